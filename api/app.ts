import { setMaxListeners } from "node:events";
import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { createFetch } from "@whatwg-node/fetch";
import { GraphQLError, getOperationAST } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, isAsyncIterable, type Plugin, type YogaInitialContext } from "graphql-yoga";
import sirv from "sirv";
import { WebSocketServer } from "ws";
import type { Viewer } from "./auth/auth.service.ts";
import { sharedSecret } from "./auth/secrets.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Context } from "./context.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { applyMigrations, pendingMigrations } from "./db/migrate.ts";
import type { Env } from "./env.ts";
import { DomainError, ValidationError } from "./errors.ts";
import { FileStore } from "./files/file-store.ts";
import { createFilesRoute } from "./http/files.route.ts";
import { createDevMailRoute } from "./notifications/dev-mail.route.ts";
import { loadVapidKeys } from "./notifications/push.service.ts";
import { createLogger, requestIdOf } from "./ops/logger.ts";
import { createMetrics, type Metrics, routeOf } from "./ops/metrics.ts";
import { RateLimiter, RateLimits } from "./ops/rate-limit.ts";
import { connectRedis, createPrefixedRedisEventTarget } from "./ops/redis.ts";
import { ticketListCache } from "./ops/response-cache.ts";
import { sharedSubscriptionResults } from "./ops/shared-subscriptions.ts";
import { createAppPubSub } from "./pubsub.ts";
import { createRecordingsRoute, isRecordingPath } from "./recordings/recordings.route.ts";
import { schema } from "./schema.ts";
import { createServices } from "./services.ts";
import { createSignaling, type PeerResolver } from "./signaling/signaling.ts";

export interface AppOptions {
  clock?: Clock;
  /** An already-open database (tests); otherwise opened from DATABASE_URL. */
  database?: Database;
  /** Where the built PWA lives; defaults to ./dist. */
  staticDir?: string;
  /** Decides which PeerJS id/token pairs may use the signaling server; refuses everyone when absent. */
  peerResolver?: PeerResolver;
}

export type App = Awaited<ReturnType<typeof createApp>>;

/** Close code graphql-ws clients see when their token is refused. */
export const WS_FORBIDDEN = 4403;
/** Close code graphql-ws clients see when the instance shuts down: reconnect (the proxy picks another instance). */
export const WS_SERVICE_RESTART = 1012;

/** Counts operations and active subscriptions for /metrics; operation names beyond a few hundred count as "other". */
function metricsPlugin(metrics: Metrics): Plugin {
  const names = new Set<string>();
  const nameOf = (document: Parameters<typeof getOperationAST>[0], operationName?: string | null) => {
    const operation = getOperationAST(document, operationName);
    let name = operation?.name?.value ?? "anonymous";
    if (!names.has(name)) {
      if (names.size >= 200) name = "other";
      else names.add(name);
    }
    return { type: operation?.operation ?? "unknown", name };
  };
  return {
    onExecute({ args }) {
      const { type, name } = nameOf(args.document, args.operationName);
      metrics.graphqlOperations.inc({ type, name });
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result) && result.errors?.length) metrics.graphqlErrors.inc({ name });
        },
      };
    },
    onSubscribe({ args }) {
      const { name } = nameOf(args.document, args.operationName);
      metrics.graphqlOperations.inc({ type: "subscription", name });
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) return;
          metrics.activeSubscriptions.inc();
          return { onEnd: () => metrics.activeSubscriptions.dec() };
        },
      };
    },
  };
}

/**
 * Duck-typed: graphql ships CommonJS and ESM builds, and libraries may load the other one, so `instanceof`
 * would miss errors created there.
 */
function isGraphQLError(value: unknown): value is GraphQLError {
  return value instanceof Error && value.name === "GraphQLError";
}

/**
 * Expected failures keep their message and `extensions.code` (domain errors, auth errors, GraphQL validation);
 * anything else becomes "Unexpected error." so internals never reach clients.
 */
export function maskUnexpectedErrors(error: unknown, message: string): Error {
  const located = isGraphQLError(error) ? error : null;
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof DomainError) {
      const extensions: Record<string, unknown> = { code: current.code };
      if (current instanceof ValidationError) extensions.fieldErrors = current.fieldErrors;
      return new GraphQLError(current.message, { nodes: located?.nodes, path: located?.path, extensions });
    }
    if (!isGraphQLError(current)) break;
    if (current.extensions?.code) {
      return new GraphQLError(current.message, {
        nodes: located?.nodes,
        path: located?.path,
        extensions: current.extensions,
      });
    }
    // The outermost error keeps the context (e.g. which variable held a bad enum value); the message is the same.
    if (!current.originalError) return located ?? current;
    current = current.originalError;
  }
  return new GraphQLError(message, {
    nodes: located?.nodes,
    path: located?.path,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  });
}

/** In-process pub/sub target without Node's 10-listener warning: thousands may watch one ticket. */
function localEventTarget() {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target;
}

async function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}

/** Builds the whole application without listening: server.ts and the tests attach it to an HTTP server. */
export async function createApp(env: Env, options: AppOptions = {}) {
  const clock = options.clock ?? systemClock;
  const logger = createLogger(env.LOG_LEVEL);
  const database =
    options.database ??
    (await openDatabase(env.DATABASE_URL, env.DATA_DIR, {
      onConnectionError: (error) => logger.warn({ err: error }, "database connection lost; the pool reconnects"),
    }));
  await database.withSession((session) => applyMigrations(session));
  const { prisma } = database;
  const authSecret = env.AUTH_SECRET ?? (await sharedSecret(prisma, "auth.secret"));
  const metrics = createMetrics();
  // Server mode: Redis carries realtime events between instances and holds the shared rate-limit counters.
  const redis = env.REDIS_URL ? connectRedis(env.REDIS_URL, env.REDIS_PREFIX) : null;
  // Channels subscribed while the subscriber connection was still connecting were sometimes never subscribed
  // (seen in test/scale.test.ts: one instance missed every ticketFeed event), so start once Redis is ready.
  await redis?.ready(5000);
  const pubsub = createAppPubSub({ eventTarget: redis ? createPrefixedRedisEventTarget(redis) : localEventTarget() });
  const rateLimits = new RateLimits(
    redis ? RateLimiter.redis(redis) : RateLimiter.memory(clock),
    env.RATE_LIMITS
      ? {
          authPerAddress: env.RATE_LIMIT_AUTH_IP,
          authPerAccount: env.RATE_LIMIT_AUTH_ACCOUNT,
          writesPerUser: env.RATE_LIMIT_WRITES_USER,
        }
      : { authPerAddress: null, authPerAccount: null, writesPerUser: null },
    (rule) => metrics.rateLimited.inc({ rule }),
  );
  // UPLOADS_DIR names a directory every instance shares (a mounted volume); by default files live in DATA_DIR.
  const files = new FileStore(env.UPLOADS_DIR ? resolve(env.UPLOADS_DIR) : resolve(env.DATA_DIR, "files"), {
    maxBytes: env.UPLOAD_MAX_BYTES,
    maxFiles: env.UPLOAD_MAX_FILES,
  });
  const vapid = await loadVapidKeys(prisma, {
    publicKey: env.VAPID_PUBLIC_KEY,
    privateKey: env.VAPID_PRIVATE_KEY,
    subject: env.VAPID_SUBJECT,
    publicUrl: env.PUBLIC_URL,
    mailFrom: env.MAIL_FROM,
  });
  const services = createServices({ env, prisma, pubsub, files, clock, authSecret, vapid, rateLimits });
  /** Work other domains register to stop cleanly (job workers releasing leases, the PeerJS server…). */
  const closeHooks: (() => Promise<void> | void)[] = [];
  if (env.JOBS_WORKER === "on") services.jobs.start();
  closeHooks.push(async () => {
    await services.jobs.stop();
    services.notifications.mailer.close();
  });

  // Only peers the sessions API admitted may signal; removing a participant or ending a session drops their peers.
  const signaling = createSignaling({
    resolvePeer: options.peerResolver ?? ((peerId, token) => services.sessions.resolvePeer(peerId, token)),
  });
  const peerRevocations = pubsub.subscribe("peerRevoked");
  void (async () => {
    for await (const revoked of peerRevocations) signaling.revokePeers(revoked.peerIds);
  })();
  closeHooks.push(async () => {
    await peerRevocations.return?.();
    await signaling.close();
  });

  /** The caller's address: the socket's, or with TRUST_PROXY the first hop a trusted proxy reports. */
  function clientAddressOf(socketAddress: string | undefined, forwardedFor: string | null | undefined): string {
    const forwarded = env.TRUST_PROXY ? forwardedFor?.split(",")[0]?.trim() : undefined;
    return forwarded || socketAddress || "unknown";
  }

  async function viewerFromAuthorization(value: unknown): Promise<Viewer | null | "invalid"> {
    if (typeof value !== "string" || value === "") return null;
    const token = /^Bearer (.+)$/i.exec(value)?.[1] ?? value;
    return (await services.auth.authenticate(token)) ?? "invalid";
  }

  /** One sign-in check per HTTP request, shared by the response cache (which asks first) and the context. */
  const viewerByRequest = new WeakMap<Request, Promise<Viewer | null | "invalid">>();
  function viewerOfRequest(request: Request): Promise<Viewer | null | "invalid"> {
    let found = viewerByRequest.get(request);
    if (!found) {
      found = viewerFromAuthorization(request.headers.get("authorization"));
      viewerByRequest.set(request, found);
    }
    return found;
  }

  /** The stand-in requests of operations over graphql-ws (see onSubscribe below). */
  const realtimeRequests = new WeakSet<Request>();
  const ticketLists = ticketListCache({
    schema,
    ttlMs: env.RESPONSE_CACHE_TTL,
    viewerKey: async (request) => {
      const viewer = await viewerOfRequest(request);
      return viewer && viewer !== "invalid" ? `${viewer.userId}:${viewer.role}` : null;
    },
    onHit: () => metrics.responseCacheHits.inc(),
    bypass: (request) => realtimeRequests.has(request),
  });
  // Any ticket change, on any instance, may change any list; sign-in changes reach the other instances' caches.
  const ticketChanges = pubsub.subscribe("ticketFeed");
  void (async () => {
    for await (const _event of ticketChanges) ticketLists.clear();
  })();
  const authChanges = pubsub.subscribe("authChanged");
  void (async () => {
    for await (const changed of authChanges) services.auth.forgetSessions(changed.userId);
  })();
  closeHooks.push(async () => {
    await ticketChanges.return?.();
    await authChanges.return?.();
  });

  async function participantFromToken(value: unknown) {
    return typeof value === "string" && value !== "" ? services.sessions.authenticateParticipant(value) : null;
  }

  const yoga = createYoga<
    { viewer?: Viewer | null; clientAddress?: string; participantToken?: string | null; req?: IncomingMessage },
    Context
  >({
    schema,
    plugins: [
      metricsPlugin(metrics),
      ticketLists.plugin,
      sharedSubscriptionResults<Context>(({ viewer, participant }) =>
        viewer || participant
          ? `${viewer?.userId ?? ""}:${viewer?.role ?? ""}:${participant?.participantId ?? ""}`
          : "anonymous",
      ),
    ],
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: env.NODE_ENV !== "production" ? { title: "Live Support API" } : false,
    cors: env.CORS_ORIGINS.length > 0 ? { origin: env.CORS_ORIGINS, credentials: true } : false,
    fetchAPI: createFetch({
      // Larger files are cut off while parsing; the service then refuses them with a typed error.
      formDataLimits: { fileSize: env.UPLOAD_MAX_BYTES + 1, files: env.UPLOAD_MAX_FILES + 1, fieldSize: 1_000_000 },
      skipPonyfill: false,
    }),
    logging:
      env.LOG_LEVEL === "silent"
        ? false
        : {
            debug: (...args: unknown[]) => logger.debug({ detail: args }, "graphql"),
            info: (...args: unknown[]) => logger.info({ detail: args }, "graphql"),
            warn: (...args: unknown[]) => logger.warn({ detail: args }, "graphql"),
            error: (...args: unknown[]) =>
              logger.error(args[0] instanceof Error ? { err: args[0] } : { detail: args }, "graphql"),
          },
    maskedErrors: { maskError: maskUnexpectedErrors },
    context: async (
      initial: YogaInitialContext & {
        viewer?: Viewer | null;
        clientAddress?: string;
        participantToken?: string | null;
        req?: IncomingMessage;
      },
    ) => {
      let viewer: Viewer | null = initial.viewer ?? null;
      if (initial.viewer === undefined) {
        const found = await viewerOfRequest(initial.request);
        // A stale token on HTTP acts as anonymous: protected fields answer UNAUTHENTICATED, so clients refresh.
        viewer = found === "invalid" ? null : found;
      }
      return {
        env,
        prisma,
        pubsub,
        services,
        viewer,
        participant: await participantFromToken(
          initial.participantToken !== undefined
            ? initial.participantToken
            : initial.request.headers.get("x-participant-token"),
        ),
        authenticatedUserIds: new Set<string>(),
        clientAddress:
          initial.clientAddress ??
          clientAddressOf(initial.req?.socket.remoteAddress, initial.request.headers.get("x-forwarded-for")),
        userAgent: initial.request.headers.get("user-agent") ?? undefined,
      };
    },
  });

  const wsServer = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const wsDisposable = useServer<
    Record<string, unknown>,
    { viewer?: Viewer | null; participantToken?: string | null; request: IncomingMessage }
  >(
    {
      execute: (args) => (args.rootValue as { execute: typeof import("graphql").execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof import("graphql").subscribe }).subscribe(args),
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const found = await viewerFromAuthorization(params.authorization ?? params.Authorization);
        // A client that presents a token we refuse is told so at once (4403) instead of acting anonymous.
        if (found === "invalid") return false;
        ctx.extra.viewer = found;
        const participantToken = params.participantToken;
        if (participantToken !== undefined && participantToken !== null && participantToken !== "") {
          if (!(await participantFromToken(participantToken))) return false;
          ctx.extra.participantToken = participantToken as string;
        }
        return true;
      },
      onSubscribe: async (ctx, _id, params) => {
        const request = ctx.extra.request;
        const standIn = new Request(`http://localhost${request.url ?? "/graphql"}`, {
          headers: { "user-agent": request.headers["user-agent"] ?? "" },
        });
        realtimeRequests.add(standIn);
        const {
          schema: envelopedSchema,
          execute,
          subscribe,
          contextFactory,
          parse,
          validate,
        } = yoga.getEnveloped({
          ...ctx,
          req: request,
          socket: ctx.extra.socket,
          params,
          request: standIn,
          viewer: ctx.extra.viewer ?? null,
          participantToken: ctx.extra.participantToken ?? null,
          clientAddress: clientAddressOf(
            request.socket.remoteAddress,
            [request.headers["x-forwarded-for"]].flat()[0] ?? null,
          ),
        });
        const args = {
          schema: envelopedSchema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
  );

  if (redis) {
    redis.onPublishError = (error) => logger.error({ err: error }, "realtime event lost: Redis unreachable");
    // Events published while Redis was away are lost. graphql-ws clients are asked to reconnect (1012): they
    // resubscribe and refetch what they show, so nothing stays stale.
    redis.onResubscribed(() => {
      logger.warn({ clients: wsServer.clients.size }, "Redis is back: asking realtime clients to resync");
      // Events missed while Redis was away may have changed lists or revoked sign-ins: forget both caches.
      ticketLists.clear();
      services.auth.forgetSessions();
      for (const client of wsServer.clients) client.close(WS_SERVICE_RESTART, "Realtime resync: reconnect");
    });
  }

  const staticDir = options.staticDir ?? fileURLToPath(new URL("../dist", import.meta.url));
  const serveStatic = existsSync(staticDir)
    ? sirv(staticDir, {
        single: true,
        etag: true,
        // The build writes .br and .gz beside text files (vite.config.ts); sirv picks one by Accept-Encoding.
        brotli: true,
        gzip: true,
        setHeaders: (response, pathname) => {
          if (pathname.startsWith("/assets/"))
            response.setHeader("cache-control", "public, max-age=31536000, immutable");
          else response.setHeader("cache-control", "no-cache");
        },
      })
    : null;
  const serveFile = createFilesRoute({ prisma, ...services });
  const serveRecordings = createRecordingsRoute(services);
  const serveDevMail = env.NODE_ENV !== "production" ? createDevMailRoute(services.notifications.mailer) : null;

  let draining = false;
  let closing: Promise<void> | null = null;
  /** Requests being answered (SSE streams excluded: shutdown ends them), so shutdown can wait for them. */
  let inFlight = 0;
  let idle: (() => void) | null = null;

  /** Ready to take traffic: database reachable and migrated, Redis reachable (server mode), not shutting down. */
  async function readiness() {
    const [databaseUp, redisUp] = await Promise.all([database.ping(), redis ? redis.ping() : Promise.resolve(null)]);
    const pending = databaseUp ? await database.withSession((session) => pendingMigrations(session)) : [];
    return {
      ready: databaseUp && pending.length === 0 && redisUp !== false && !draining,
      database: databaseUp,
      redis: redisUp,
      pendingMigrations: pending,
      draining,
    };
  }

  async function serveMetrics(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (env.METRICS_TOKEN && request.headers.authorization !== `Bearer ${env.METRICS_TOKEN}`) {
      response.writeHead(401, { "content-type": "text/plain" }).end("Unauthorized");
      return;
    }
    try {
      metrics.jobQueueDepth.set(await prisma.job.count({ where: { status: "PENDING", runAt: { lte: clock.now() } } }));
    } catch {
      // The database being down shows in /readyz; the other metrics are still worth serving.
    }
    response.writeHead(200, { "content-type": metrics.registry.contentType }).end(await metrics.registry.metrics());
  }

  /** Node request handler for every path the server answers: request id, access log and metrics around `route`. */
  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(request.headers["x-request-id"]);
    response.setHeader("x-request-id", requestId);
    const url = new URL(request.url ?? "/", "http://localhost");
    const route = routeOf(url.pathname);
    const streaming = /text\/event-stream/.test(request.headers.accept ?? "");
    if (draining && route !== "/healthz" && route !== "/metrics") {
      response
        .writeHead(503, { "content-type": "text/plain", connection: "close", "retry-after": "1" })
        .end("Shutting down");
      return;
    }
    if (!streaming) inFlight += 1;
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
      await dispatch(request, response, url, requestId);
    } finally {
      // Counted until the handler is done, not until the socket closes: a client that went away must not let
      // shutdown close the database under a resolver still running.
      if (!streaming) {
        inFlight -= 1;
        if (inFlight === 0) idle?.();
      }
    }
  }

  async function dispatch(request: IncomingMessage, response: ServerResponse, url: URL, requestId: string) {
    try {
      if (url.pathname === "/metrics") {
        await serveMetrics(request, response);
      } else if (url.pathname === "/graphql") {
        await yoga.requestListener(request, response);
      } else if (url.pathname === "/healthz") {
        response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      } else if (url.pathname === "/readyz") {
        const state = await readiness();
        response.writeHead(state.ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(state));
      } else if (url.pathname === "/peerjs" || url.pathname.startsWith("/peerjs/")) {
        signaling.handleRequest(request, response);
      } else if (isRecordingPath(url.pathname)) {
        await serveRecordings(request, response, url);
      } else if (url.pathname.startsWith("/files/")) {
        await serveFile(request, response, url);
      } else if (serveDevMail && (url.pathname === "/dev/mail" || url.pathname.startsWith("/dev/mail/"))) {
        await serveDevMail(request, response, url);
      } else if (serveStatic) {
        serveStatic(request, response, () => {
          response.writeHead(404).end("Not found");
        });
      } else {
        response
          .writeHead(503, { "content-type": "text/plain; charset=utf-8" })
          .end("The app is not built yet: run npm run build (npm start does it for you).");
      }
    } catch (error) {
      logger.error({ err: error, requestId }, "request failed");
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end("Internal server error");
    }
  }

  /** Routes WebSocket upgrades: graphql-ws on /graphql, PeerJS signaling on /peerjs/peerjs; anything else is refused. */
  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    if (pathname === "/graphql" && !draining) {
      wsServer.handleUpgrade(request, socket, head, (client) => {
        metrics.wsConnections.inc();
        client.once("close", () => metrics.wsConnections.dec());
        wsServer.emit("connection", client, request);
      });
      return;
    }
    if (pathname.startsWith("/peerjs/")) {
      signaling.handleUpgrade(request, socket, head);
      return;
    }
    socket.destroy();
  }

  /**
   * Graceful shutdown, after the HTTP server stopped accepting connections: readiness turns false, graphql-ws
   * clients are told to reconnect (1012, so they land on another instance and refetch), requests in flight finish
   * (up to SHUTDOWN_TIMEOUT), registered close hooks run, then Redis and the database close.
   */
  function close(options: { timeoutMs?: number } = {}): Promise<void> {
    closing ??= (async () => {
      draining = true;
      const timeoutMs = options.timeoutMs ?? env.SHUTDOWN_TIMEOUT;
      const sockets = [...wsServer.clients];
      const socketsClosed = Promise.all(
        sockets.map((client) => new Promise<void>((done) => client.once("close", () => done()))),
      );
      for (const client of sockets) client.close(WS_SERVICE_RESTART, "Server restarting: reconnect");
      const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((done) => (idle = done));
      await withTimeout(Promise.all([drained, socketsClosed]), timeoutMs);
      for (const hook of closeHooks.reverse()) {
        try {
          await hook();
        } catch (error) {
          logger.error({ err: error }, "close hook failed");
        }
      }
      await wsDisposable.dispose();
      for (const client of wsServer.clients) client.terminate();
      wsServer.close();
      await redis?.close();
      await database.close();
      logger.flush();
    })();
    return closing;
  }

  return {
    yoga,
    database,
    prisma,
    services,
    pubsub,
    signaling,
    redis,
    logger,
    metrics,
    handleRequest,
    handleUpgrade,
    close,
    readiness,
    /** Registers work to run on shutdown, after requests finished and before the database closes. */
    onClose: (hook: () => Promise<void> | void) => void closeHooks.push(hook),
    /** Requests being answered right now (SSE streams excluded). */
    inFlight: () => inFlight,
  };
}
