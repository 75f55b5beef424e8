import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../clock.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { isLoopbackRequest } from "../http/request-auth.ts";
import type { MediaServer } from "../media/janus-process.ts";
import { registerMediaMetrics } from "../media/media-metrics.ts";
import type { Lifecycle } from "./lifecycle.ts";
import type { Metrics } from "./metrics.ts";

/** /healthz (the process answers), /readyz (it may take traffic, see Lifecycle.readiness) and /metrics. */
export function createOpsRoutes(deps: {
  metricsToken: string | undefined;
  metrics: Metrics;
  prisma: PrismaClient;
  clock: Clock;
  lifecycle: Lifecycle;
  media: MediaServer | null;
}) {
  const { metrics, prisma, clock, lifecycle } = deps;
  if (deps.media) registerMediaMetrics(metrics.registry, deps.media);
  return {
    health(_request: IncomingMessage, response: ServerResponse): void {
      response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    },

    async readiness(_request: IncomingMessage, response: ServerResponse): Promise<void> {
      const state = await lifecycle.readiness();
      response.writeHead(state.ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(state));
    },

    /**
     * Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`, otherwise only for
     * loopback clients (a scraper on the same host), since the metrics tell an outsider about traffic and users.
     */
    async metrics(request: IncomingMessage, response: ServerResponse): Promise<void> {
      if (deps.metricsToken && request.headers.authorization !== `Bearer ${deps.metricsToken}`) {
        response.writeHead(401, { "content-type": "text/plain" }).end("Unauthorized");
        return;
      }
      if (!deps.metricsToken && !isLoopbackRequest(request)) {
        response
          .writeHead(403, { "content-type": "text/plain" })
          .end("Set METRICS_TOKEN to scrape /metrics from another host");
        return;
      }
      try {
        const due = await prisma.job.count({ where: { status: "PENDING", runAt: { lte: clock.now() } } });
        metrics.jobQueueDepth.set(due);
      } catch {
        // The database being down shows in /readyz; the other metrics are still worth serving.
      }
      response.writeHead(200, { "content-type": metrics.registry.contentType }).end(await metrics.registry.metrics());
    },
  };
}
