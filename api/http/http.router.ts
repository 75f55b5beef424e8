import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import express, { type RequestHandler } from "express";
import { REFRESH_PATH } from "../auth/refresh-cookie.ts";
import type { Lifecycle } from "../ops/lifecycle.ts";
import { type Logger, requestIdOf, withRequestId } from "../ops/logger.ts";
import { type Metrics, routeOf } from "../ops/metrics.ts";
import type { createOpsRoutes } from "../ops/ops.route.ts";
import { RECORDING_PATHS } from "../recordings/recordings.route.ts";
import type { Signaling } from "../signaling/signaling.ts";
import type { GraphQLWsHandler } from "./graphql-ws.handler.ts";
import { refuseUpgrade } from "./refuse-upgrade.ts";
import type { SecurityHeaders } from "./security-headers.ts";

/** A route: answers the request, resolving once it is done with it (the body may still be streaming). */
export type Route = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void> | void;

const urlOf = (request: IncomingMessage) => new URL(request.url ?? "/", "http://localhost");

/**
 * Every HTTP path the server answers, and the WebSocket upgrades: request id, access log, metrics and the
 * shutdown gate around an express router.
 */
export function createHttpRouter(deps: {
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  ops: ReturnType<typeof createOpsRoutes>;
  graphql: Route;
  /** GraphiQL's files under /graphiql/; null in production. */
  graphiql: Route | null;
  realtime: GraphQLWsHandler;
  /** POST /auth/refresh: the PWA's refresh cookie traded for a new access token. */
  refresh: Route;
  signaling: Signaling;
  recordings: Route;
  files: Route;
  /** The workspace's web app manifest (its name and colour) and logo. */
  workspace: { manifest: Route; logo: Route };
  /** The development mailbox; null unless DEV_MAILBOX is on outside production. */
  devMail: Route | null;
  staticFiles: Route;
  /** Security headers (CSP, framing, referrer, nosniff, HSTS), set on every response before anything answers. */
  securityHeaders: SecurityHeaders;
}) {
  const { logger, metrics, lifecycle } = deps;
  /** Settles the promise handleRequest waits on, once the request's route is done with it. */
  const routed = new WeakMap<IncomingMessage, { resolve: () => void; reject: (error: unknown) => void }>();
  const handle =
    (route: Route): RequestHandler =>
    (request, response) => {
      const settle = routed.get(request);
      (async () => route(request, response, urlOf(request)))().then(settle?.resolve, settle?.reject);
    };

  const router = express();
  router.disable("x-powered-by");
  // Paths match exactly as written: /graphql, not /GraphQL or /graphql/.
  router.set("case sensitive routing", true);
  router.set("strict routing", true);
  router.set("query parser", false);
  router.all("/metrics", handle(deps.ops.metrics));
  router.all("/graphql", handle(deps.graphql));
  if (deps.graphiql) router.all(/^\/graphiql\//, handle(deps.graphiql));
  router.all(REFRESH_PATH, handle(deps.refresh));
  router.all("/healthz", handle(deps.ops.health));
  router.all("/readyz", handle(deps.ops.readiness));
  router.all(/^\/peerjs(?:\/|$)/, handle(deps.signaling.handleRequest));
  router.all(RECORDING_PATHS, handle(deps.recordings));
  router.all(/^\/files\//, handle(deps.files));
  router.get("/manifest.webmanifest", handle(deps.workspace.manifest));
  router.all(/^\/workspace\/logo\//, handle(deps.workspace.logo));
  if (deps.devMail) router.all(/^\/dev\/mail(?:\/|$)/, handle(deps.devMail));
  router.use(handle(deps.staticFiles));

  function dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      routed.set(request, { resolve, reject });
      router(request as express.Request, response as express.Response, (error?: unknown) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  /** Node request handler: request id, access log and metrics around the router; 503 while shutting down. */
  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(request.headers["x-request-id"]);
    response.setHeader("x-request-id", requestId);
    // Before the drain refusal and the router, so those answers (and a route's 500) carry them too.
    deps.securityHeaders(request, response, () => {});
    const url = urlOf(request);
    const route = routeOf(url.pathname);
    const streaming = /text\/event-stream/.test(request.headers.accept ?? "");
    if (lifecycle.isDraining() && route !== "/healthz" && route !== "/metrics") {
      response
        .writeHead(503, { "content-type": "text/plain", connection: "close", "retry-after": "1" })
        .end("Shutting down");
      return;
    }
    // Counted until the route is done, not until the socket closes: a client that went away must not let
    // shutdown close the database under a resolver still running.
    const finished = streaming ? () => {} : lifecycle.requestStarted();
    response.once("close", () => {
      const status = response.statusCode;
      const seconds = (performance.now() - started) / 1000;
      metrics.httpRequests.inc({ method: request.method ?? "GET", route, status: String(status) });
      if (status >= 500) metrics.httpErrors.inc({ route });
      if (!streaming) metrics.httpDuration.observe({ route }, seconds);
      if (route !== "/healthz" && route !== "/metrics") {
        logger.info(
          { requestId, method: request.method, path: url.pathname, status, ms: Math.round(seconds * 1e4) / 10 },
          "request",
        );
      }
    });
    try {
      await withRequestId(requestId, () => dispatch(request, response));
    } catch (error) {
      logger.error({ err: error, requestId }, "request failed");
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end("Internal server error");
    } finally {
      finished();
    }
  }

  /**
   * Routes WebSocket upgrades: graphql-ws on /graphql, PeerJS signaling on /peerjs/…. Anything else gets an HTTP
   * answer (404, or 503 while shutting down) so that a proxy sees a response, not a failed upstream.
   */
  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The socket's operations log under the upgrade's request id (graphql-ws keeps it, see its handler).
    withRequestId(requestIdOf(request.headers["x-request-id"]), () => upgrade(request, socket, head));
  }

  function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { pathname } = urlOf(request);
    const known = pathname === "/graphql" || pathname.startsWith("/peerjs/");
    if (!known) refuseUpgrade(socket, 404, "No WebSocket endpoint at this path.");
    else if (lifecycle.isDraining()) refuseUpgrade(socket, 503, "Shutting down: reconnect.");
    else if (pathname === "/graphql") deps.realtime.handleUpgrade(request, socket, head);
    else deps.signaling.handleUpgrade(request, socket, head);
  }

  return { handleRequest, handleUpgrade };
}
