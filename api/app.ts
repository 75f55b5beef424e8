import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { createFetch } from "@whatwg-node/fetch";
import { GraphQLError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, type YogaInitialContext } from "graphql-yoga";
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

/** Builds the whole application without listening: server.ts and the tests attach it to an HTTP server. */
export async function createApp(env: Env, options: AppOptions = {}) {
  const clock = options.clock ?? systemClock;
  const database = options.database ?? (await openDatabase(env.DATABASE_URL, env.DATA_DIR));
  await database.withSession((session) => applyMigrations(session));
  const { prisma } = database;
  const authSecret = env.AUTH_SECRET ?? (await sharedSecret(prisma, "auth.secret"));
  const pubsub = createAppPubSub();
  const files = new FileStore(resolve(env.DATA_DIR, "files"), {
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
  const services = createServices({ env, prisma, pubsub, files, clock, authSecret, vapid });
  if (env.JOBS_WORKER === "on") services.jobs.start();

  // Only peers the sessions API admitted may signal; removing a participant or ending a session drops their peers.
  const signaling = createSignaling({
    resolvePeer: options.peerResolver ?? ((peerId, token) => services.sessions.resolvePeer(peerId, token)),
  });
  const peerRevocations = pubsub.subscribe("peerRevoked");
  void (async () => {
    for await (const revoked of peerRevocations) signaling.revokePeers(revoked.peerIds);
  })();

  async function viewerFromAuthorization(value: unknown): Promise<Viewer | null | "invalid"> {
    if (typeof value !== "string" || value === "") return null;
    const token = /^Bearer (.+)$/i.exec(value)?.[1] ?? value;
    return (await services.auth.authenticate(token)) ?? "invalid";
  }

  async function participantFromToken(value: unknown) {
    return typeof value === "string" && value !== "" ? services.sessions.authenticateParticipant(value) : null;
  }

  const yoga = createYoga<
    { viewer?: Viewer | null; clientAddress?: string; participantToken?: string | null },
    Context
  >({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: env.NODE_ENV !== "production" ? { title: "Live Support API" } : false,
    cors: env.CORS_ORIGINS.length > 0 ? { origin: env.CORS_ORIGINS, credentials: true } : false,
    fetchAPI: createFetch({
      // Larger files are cut off while parsing; the service then refuses them with a typed error.
      formDataLimits: { fileSize: env.UPLOAD_MAX_BYTES + 1, files: env.UPLOAD_MAX_FILES + 1, fieldSize: 1_000_000 },
      skipPonyfill: false,
    }),
    logging: env.LOG_LEVEL === "silent" ? false : env.LOG_LEVEL,
    maskedErrors: { maskError: maskUnexpectedErrors },
    context: async (
      initial: YogaInitialContext & {
        viewer?: Viewer | null;
        clientAddress?: string;
        participantToken?: string | null;
      },
    ) => {
      let viewer: Viewer | null = initial.viewer ?? null;
      if (initial.viewer === undefined) {
        const found = await viewerFromAuthorization(initial.request.headers.get("authorization"));
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
        clientAddress: initial.clientAddress ?? initial.request.headers.get("x-forwarded-for") ?? "unknown",
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
          request: new Request(`http://localhost${request.url ?? "/graphql"}`, {
            headers: { "user-agent": request.headers["user-agent"] ?? "" },
          }),
          viewer: ctx.extra.viewer ?? null,
          participantToken: ctx.extra.participantToken ?? null,
          clientAddress: request.socket.remoteAddress ?? "unknown",
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

  const staticDir = options.staticDir ?? fileURLToPath(new URL("../dist", import.meta.url));
  const serveStatic = existsSync(staticDir)
    ? sirv(staticDir, {
        single: true,
        etag: true,
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

  async function readiness() {
    const databaseUp = await database.ping();
    const pending = databaseUp ? await database.withSession((session) => pendingMigrations(session)) : [];
    return { ready: databaseUp && pending.length === 0, database: databaseUp, pendingMigrations: pending };
  }

  /** Node request handler for every path the server answers. */
  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    try {
      if (url.pathname === "/graphql") {
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
      console.error(error);
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end("Internal server error");
    }
  }

  /** Routes WebSocket upgrades: graphql-ws on /graphql, PeerJS signaling on /peerjs/peerjs; anything else is refused. */
  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    if (pathname === "/graphql") {
      wsServer.handleUpgrade(request, socket, head, (client) => wsServer.emit("connection", client, request));
      return;
    }
    if (pathname.startsWith("/peerjs/")) {
      signaling.handleUpgrade(request, socket, head);
      return;
    }
    socket.destroy();
  }

  async function close(): Promise<void> {
    await services.jobs.stop();
    services.notifications.mailer.close();
    await wsDisposable.dispose();
    for (const client of wsServer.clients) client.terminate();
    wsServer.close();
    await peerRevocations.return?.();
    await signaling.close();
    await database.close();
  }

  return { yoga, database, prisma, services, pubsub, signaling, handleRequest, handleUpgrade, close, readiness };
}
