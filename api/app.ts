import { fileURLToPath } from "node:url";
import { createRefreshRoute } from "./auth/refresh.route.ts";
import { createRefreshCookie } from "./auth/refresh-cookie.ts";
import { sharedSecret } from "./auth/secrets.ts";
import { createSignInWatch } from "./auth/sign-in-watch.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Database } from "./db/database.ts";
import type { Env } from "./env.ts";
import { createFilesRoute } from "./http/files.route.ts";
import { createGraphQLHandler } from "./http/graphql.handler.ts";
import { createGraphQLWsHandler } from "./http/graphql-ws.handler.ts";
import { createHttpRouter } from "./http/http.router.ts";
import { createRequestAuth } from "./http/request-auth.ts";
import { createSecurityHeaders } from "./http/security-headers.ts";
import type { MediaServer } from "./media/media-server.ts";
import { createDevMailRoute } from "./notifications/dev-mail.route.ts";
import { loadVapidKeys } from "./notifications/push.service.ts";
import { withIdempotentCommits } from "./ops/idempotency.ts";
import { fileStoreFromEnv, openInfrastructure } from "./ops/infrastructure.ts";
import { keepInstanceInSync } from "./ops/instance-sync.ts";
import { createLifecycle } from "./ops/lifecycle.ts";
import { createLogger } from "./ops/logger.ts";
import { createMetrics } from "./ops/metrics.ts";
import { createOpsRoutes } from "./ops/ops.route.ts";
import { createRateLimits } from "./ops/rate-limit.ts";
import { createRecordingsRoute } from "./recordings/recordings.route.ts";
import { createServices } from "./services.ts";
import { createSignaling, type PeerDirectory } from "./signaling/signaling.ts";
import { createRedisSignalingRelay } from "./signaling/signaling-relay.ts";
import { createPwaRoutes } from "./workspace/workspace.route.ts";

export { WS_FORBIDDEN, WS_SERVICE_RESTART, WS_TOKEN_EXPIRED } from "./http/graphql-ws.handler.ts";

export interface AppOptions {
  clock?: Clock;
  /** An already-open database (tests); otherwise opened from DATABASE_URL. */
  database?: Database;
  /** Where the built PWA lives; defaults to ./dist. */
  staticDir?: string;
  /** Decides which PeerJS peers may signal and where their messages may go; by default the sessions service. */
  peerDirectory?: PeerDirectory;
  /** A media server the caller started (tests), or null for none; otherwise from the configuration (JANUS…). */
  mediaServer?: MediaServer | null;
}

export type App = Awaited<ReturnType<typeof createApp>>;

/** Builds the whole application without listening: server.ts and the tests attach it to an HTTP server. */
export async function createApp(env: Env, options: AppOptions = {}) {
  const clock = options.clock ?? systemClock;
  const logger = createLogger(env.LOG_LEVEL);
  const metrics = createMetrics();
  const { database, redis, pubsub, media } = await openInfrastructure(env, logger, clock, options);
  // Services write through a client whose transactions also mark a request's idempotency key (api/ops/idempotency.ts).
  const prisma = withIdempotentCommits(database.prisma, clock);
  const lifecycle = createLifecycle({ logger, database, redis, media, shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT });
  const services = createServices(options.mediaServer ?? media, {
    env,
    prisma,
    pubsub,
    clock,
    logger,
    authSecret: env.AUTH_SECRET ?? (await sharedSecret(prisma, "auth.secret")),
    files: fileStoreFromEnv(env),
    vapid: await loadVapidKeys(prisma, {
      publicKey: env.VAPID_PUBLIC_KEY,
      privateKey: env.VAPID_PRIVATE_KEY,
      subject: env.VAPID_SUBJECT,
      publicUrl: env.PUBLIC_URL,
      mailFrom: env.MAIL_FROM,
    }),
    rateLimits: createRateLimits(env, redis, clock, (rule) => metrics.rateLimited.inc({ rule })),
    redis,
  });
  const requestAuth = createRequestAuth({ trustProxy: env.TRUST_PROXY, ...services });
  // Subscriptions are authenticated once, at their start; this ends them when that sign-in expires or changes.
  const signIns = createSignInWatch({ auth: services.auth, clock });
  lifecycle.onClose(async () => void (await Promise.all([signIns.close(), services.media.rooms.close()])));
  const refreshCookie = createRefreshCookie({ publicUrl: env.PUBLIC_URL });
  const graphql = createGraphQLHandler({
    env,
    clock,
    logger,
    metrics,
    prisma,
    pubsub,
    services,
    requestAuth,
    signIns,
    refreshCookie,
  });
  const realtime = createGraphQLWsHandler({ graphql, requestAuth, metrics, signIns });
  lifecycle.onClose(() => realtime.close());
  lifecycle.onDrain(() => realtime.restartClients("Server restarting: reconnect"));
  lifecycle.onDrain(async () => graphql.endStreams());
  if (env.JOBS_WORKER === "on") services.jobs.start();
  lifecycle.onClose(async () => {
    await services.jobs.stop();
    services.notifications.mailer.close();
  });
  // Only peers the sessions API admitted may signal; removing a participant or ending a session drops their peers.
  // In server mode, messages for peers on other instances go there through Redis.
  const signaling = createSignaling({
    peers: options.peerDirectory ?? services.sessions,
    relay: redis ? createRedisSignalingRelay(redis) : null,
    corsOrigins: env.CORS_ORIGINS,
  });
  await signaling.ready();
  lifecycle.onClose(() => signaling.close());
  keepInstanceInSync({ lifecycle, pubsub, redis, logger, services, graphql, realtime, signIns, signaling });
  const http = createHttpRouter({
    logger,
    metrics,
    lifecycle,
    ops: createOpsRoutes({ metricsToken: env.METRICS_TOKEN, metrics, prisma, clock, lifecycle, media }),
    graphql: (request, response) => graphql.yoga.requestListener(request, response),
    graphiql: graphql.graphiqlAssets,
    realtime,
    refresh: createRefreshRoute({ ...services, prisma, requestAuth, cookie: refreshCookie }),
    signaling,
    recordings: createRecordingsRoute(services),
    files: createFilesRoute({ prisma, ...services }),
    devMail:
      env.DEV_MAILBOX && env.NODE_ENV !== "production"
        ? createDevMailRoute(services.notifications.mailer, requestAuth)
        : null,
    securityHeaders: createSecurityHeaders({ publicUrl: env.PUBLIC_URL, graphiql: env.NODE_ENV !== "production" }),
    ...createPwaRoutes(services.workspace, options.staticDir ?? fileURLToPath(new URL("../dist", import.meta.url))),
  });
  return {
    yoga: graphql.yoga,
    database,
    prisma,
    services,
    pubsub,
    signaling,
    signIns,
    redis,
    media,
    logger,
    metrics,
    handleRequest: http.handleRequest,
    handleUpgrade: http.handleUpgrade,
    close: (closeOptions: { timeoutMs?: number } = {}) => lifecycle.close(closeOptions.timeoutMs),
    readiness: lifecycle.readiness,
    onClose: lifecycle.onClose,
    inFlight: lifecycle.inFlight,
  };
}
