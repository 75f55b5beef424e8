import type { IncomingMessage } from "node:http";
import { createFetch } from "@whatwg-node/fetch";
import { createYoga, type YogaInitialContext } from "graphql-yoga";
import type { Viewer } from "../auth/auth.service.ts";
import type { RefreshCookie } from "../auth/refresh-cookie.ts";
import type { SignInWatch } from "../auth/sign-in-watch.ts";
import type { Clock } from "../clock.ts";
import type { Context } from "../context.ts";
import type { Env } from "../env.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { idempotencyPlugin } from "../ops/idempotency.plugin.ts";
import { createIdempotencyStore } from "../ops/idempotency.ts";
import type { Logger } from "../ops/logger.ts";
import { metricsPlugin } from "../ops/metrics.plugin.ts";
import type { Metrics } from "../ops/metrics.ts";
import { operationLimitPlugins, operationLimitsFromEnv } from "../ops/operation-limits.ts";
import { ticketListCache } from "../ops/response-cache.ts";
import { sharedSubscriptionResults } from "../ops/shared-subscriptions.ts";
import type { PubSub } from "../pubsub.ts";
import { schema } from "../schema.ts";
import type { Services } from "../services.ts";
import { clientErrorCode, maskUnexpectedErrors } from "./graphql-errors.ts";
import type { RequestAuth } from "./request-auth.ts";
import { endSubscriptionsOnShutdown } from "./subscription-shutdown.plugin.ts";
import { endSubscriptionsWithSignIn } from "./subscription-sign-in.plugin.ts";

const UNEXPECTED_ERROR = "Unexpected error.";

/** What a transport may settle before yoga builds the context (graphql-ws authenticates once, at connect). */
export interface TransportContext {
  viewer?: Viewer | null;
  clientAddress?: string;
  participantToken?: string | null;
  req?: IncomingMessage;
}

/**
 * The GraphQL endpoint: yoga with the metrics plugin, error masking and the ticket-list response cache, and one
 * context factory for HTTP, SSE and graphql-ws.
 */
export function createGraphQLHandler(deps: {
  env: Env;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  prisma: PrismaClient;
  pubsub: PubSub;
  services: Services;
  requestAuth: RequestAuth;
  signIns: SignInWatch;
  refreshCookie: RefreshCookie;
}) {
  const { env, clock, logger, metrics, prisma, pubsub, services, requestAuth, signIns, refreshCookie } = deps;
  /** Set-Cookie values resolvers asked for, by request, added to the response once it is built. */
  const responseCookies = new WeakMap<Request, string[]>();
  /** The stand-in requests of operations over graphql-ws (see graphql-ws.handler.ts). */
  const realtimeRequests = new WeakSet<Request>();
  const ticketLists = ticketListCache({
    schema,
    ttlMs: env.RESPONSE_CACHE_TTL,
    viewerKey: async (request) => {
      const viewer = await requestAuth.viewerOfRequest(request);
      return viewer && viewer !== "invalid" ? `${viewer.userId}:${viewer.role}` : null;
    },
    onHit: () => metrics.responseCacheHits.inc(),
    bypass: (request) => realtimeRequests.has(request),
  });

  // On shutdown, SSE subscriptions end with a last event instead of a cut (graphql-ws closes its sockets with 1012).
  const sseShutdown = endSubscriptionsOnShutdown<Context & YogaInitialContext>((context) =>
    realtimeRequests.has(context.request),
  );

  const cookiesOf = (request: Request) => {
    const cookies = responseCookies.get(request) ?? [];
    responseCookies.set(request, cookies);
    return cookies;
  };

  const yoga = createYoga<TransportContext, Context>({
    schema,
    plugins: [
      ...operationLimitPlugins<Context>(operationLimitsFromEnv(env)),
      metricsPlugin(metrics),
      {
        onResponse({ request, response }) {
          for (const cookie of responseCookies.get(request) ?? []) response.headers.append("set-cookie", cookie);
        },
      },
      idempotencyPlugin(
        createIdempotencyStore({ prisma, clock, ttlMs: env.IDEMPOTENCY_TTL, leaseMs: env.IDEMPOTENCY_LEASE }),
        (error) => maskUnexpectedErrors(error, UNEXPECTED_ERROR),
      ),
      ticketLists.plugin,
      sharedSubscriptionResults<Context>(({ viewer, participant }) =>
        viewer || participant
          ? `${viewer?.userId ?? ""}:${viewer?.role ?? ""}:${participant?.participantId ?? ""}`
          : "anonymous",
      ),
      // SSE streams end with an UNAUTHENTICATED event; graphql-ws closes the whole socket instead.
      endSubscriptionsWithSignIn<Context & YogaInitialContext>({
        signIns,
        handledElsewhere: (context) => realtimeRequests.has(context.request),
      }),
      sseShutdown.plugin,
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
            // Yoga reports every error it rewrote; only internal ones are errors (with a stack), the rest the client's.
            error: (...args: unknown[]) => {
              const [error] = args;
              const code = error instanceof Error ? clientErrorCode(error) : null;
              if (code) logger.info({ code, message: (error as Error).message }, "graphql client error");
              else logger.error(error instanceof Error ? { err: error } : { detail: args }, "graphql");
            },
          },
    maskedErrors: { maskError: maskUnexpectedErrors, errorMessage: UNEXPECTED_ERROR },
    context: async (initial: YogaInitialContext & TransportContext) => {
      let viewer: Viewer | null = initial.viewer ?? null;
      if (initial.viewer === undefined) {
        const found = await requestAuth.viewerOfRequest(initial.request);
        // A stale token on HTTP acts as anonymous: protected fields answer UNAUTHENTICATED, so clients refresh.
        viewer = found === "invalid" ? null : found;
      }
      return {
        env,
        prisma,
        pubsub,
        services,
        viewer,
        participant: await requestAuth.participantFromToken(
          initial.participantToken !== undefined
            ? initial.participantToken
            : initial.request.headers.get("x-participant-token"),
        ),
        authenticatedUserIds: new Set<string>(),
        refreshCookie: {
          issue: (auth) => cookiesOf(initial.request).push(refreshCookie.issue(auth)),
          clear: () => cookiesOf(initial.request).push(refreshCookie.clear()),
        },
        clientAddress:
          initial.clientAddress ??
          requestAuth.clientAddressOf(
            initial.req?.socket.remoteAddress,
            initial.request.headers.get("x-forwarded-for"),
          ),
        userAgent: initial.request.headers.get("user-agent") ?? undefined,
      };
    },
  });

  return {
    yoga,
    /** Forgets every cached ticket list (a ticket changed, or events may have been missed). */
    clearTicketLists: () => ticketLists.clear(),
    /** Ends every SSE subscription with a SERVICE_RESTARTING event (shutdown). */
    endStreams: () => sseShutdown.endAll(),
    /** Marks a graphql-ws operation's stand-in request: the response cache never answers those. */
    markRealtime: (request: Request) => void realtimeRequests.add(request),
  };
}

export type GraphQLHandler = ReturnType<typeof createGraphQLHandler>;
