import { fileURLToPath } from "node:url";
import { sharedSecret } from "./auth/secrets.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Database } from "./db/database.ts";
import type { Env } from "./env.ts";
import { createFilesRoute } from "./http/files.route.ts";
import { createGraphQLHandler } from "./http/graphql.handler.ts";
import { createGraphQLWsHandler } from "./http/graphql-ws.handler.ts";
import { createHttpRouter } from "./http/http.router.ts";
import { createRequestAuth } from "./http/request-auth.ts";
import { createStaticRoute } from "./http/static.route.ts";
import { createDevMailRoute } from "./notifications/dev-mail.route.ts";
import { loadVapidKeys } from "./notifications/push.service.ts";
import { fileStoreFromEnv, openInfrastructure, watchRedisOutages } from "./ops/infrastructure.ts";
import { createLifecycle } from "./ops/lifecycle.ts";
import { createLogger } from "./ops/logger.ts";
import { createMetrics } from "./ops/metrics.ts";
import { createOpsRoutes } from "./ops/ops.route.ts";
import { createRateLimits } from "./ops/rate-limit.ts";
import { createRecordingsRoute } from "./recordings/recordings.route.ts";
import { createServices } from "./services.ts";
import { createSignaling, type PeerDirectory } from "./signaling/signaling.ts";

export { WS_FORBIDDEN, WS_SERVICE_RESTART } from "./http/graphql-ws.handler.ts";

export interface AppOptions {
  clock?: Clock;
  /** An already-open database (tests); otherwise opened from DATABASE_URL. */
  database?: Database;
  /** Where the built PWA lives; defaults to ./dist. */
  staticDir?: string;
  /** Decides which PeerJS peers may signal and where their messages may go; by default the sessions service. */
  peerDirectory?: PeerDirectory;
}

export type App = Awaited<ReturnType<typeof createApp>>;

/** Builds the whole application without listening: server.ts and the tests attach it to an HTTP server. */
export async function createApp(env: Env, options: AppOptions = {}) {
  const clock = options.clock ?? systemClock;
  const logger = createLogger(env.LOG_LEVEL);
  const metrics = createMetrics();
  const { database, redis, pubsub } = await openInfrastructure(env, logger, options.database);
  const { prisma } = database;
  const lifecycle = createLifecycle({ logger, database, redis, shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT });
  const services = createServices({
    env,
    prisma,
    pubsub,
    clock,
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
  });
  const requestAuth = createRequestAuth({ trustProxy: env.TRUST_PROXY, ...services });
  const graphql = createGraphQLHandler({ env, logger, metrics, prisma, pubsub, services, requestAuth });
  const realtime = createGraphQLWsHandler({ graphql, requestAuth, metrics });
  lifecycle.onClose(() => realtime.close());
  lifecycle.onDrain(() => realtime.restartClients("Server restarting: reconnect"));
  if (env.JOBS_WORKER === "on") services.jobs.start();
  lifecycle.onClose(async () => {
    await services.jobs.stop();
    services.notifications.mailer.close();
  });
  // Only peers the sessions API admitted may signal; removing a participant or ending a session drops their peers.
  const signaling = createSignaling({
    peers: options.peerDirectory ?? services.sessions,
    corsOrigins: env.CORS_ORIGINS,
  });
  lifecycle.onClose(() => signaling.close());
  lifecycle.runTask("peer revocations", pubsub.subscribe("peerRevoked"), (revoked) =>
    signaling.revokePeers(revoked.peerIds),
  );
  // Any ticket change, on any instance, may change any list; sign-in changes reach the other instances' caches.
  lifecycle.runTask("ticket-list cache invalidation", pubsub.subscribe("ticketFeed"), graphql.clearTicketLists);
  lifecycle.runTask("sign-in cache invalidation", pubsub.subscribe("authChanged"), (changed) =>
    services.auth.forgetSessions(changed.userId),
  );
  // Events missed while Redis was away may have changed lists or revoked sign-ins: both caches are forgotten, and
  // graphql-ws clients are asked to reconnect (1012), which resubscribes them and makes them refetch.
  if (redis) {
    watchRedisOutages(redis, logger, () => {
      logger.warn({ clients: realtime.clientCount() }, "Redis is back: asking realtime clients to resync");
      graphql.clearTicketLists();
      services.auth.forgetSessions();
      void realtime.restartClients("Realtime resync: reconnect");
    });
  }
  const http = createHttpRouter({
    logger,
    metrics,
    lifecycle,
    ops: createOpsRoutes({ metricsToken: env.METRICS_TOKEN, metrics, prisma, clock, lifecycle }),
    graphql: (request, response) => graphql.yoga.requestListener(request, response),
    realtime,
    signaling,
    recordings: createRecordingsRoute(services),
    files: createFilesRoute({ prisma, ...services }),
    devMail:
      env.DEV_MAILBOX && env.NODE_ENV !== "production"
        ? createDevMailRoute(services.notifications.mailer, requestAuth)
        : null,
    staticFiles: createStaticRoute(options.staticDir ?? fileURLToPath(new URL("../dist", import.meta.url))),
  });
  return {
    yoga: graphql.yoga,
    database,
    prisma,
    services,
    pubsub,
    signaling,
    redis,
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
