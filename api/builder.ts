import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin, { ForbiddenError } from "@pothos/plugin-scope-auth";
import { GraphQLError } from "graphql";
import type { Viewer } from "./auth/auth.service.ts";
import type { AdminViewer, StaffViewer } from "./auth/roles.ts";
import { refusal, requestScopes, type SessionRef, scopeCacheKey } from "./auth/scopes.ts";
import type { Context } from "./context.ts";
import { isProduction } from "./env.ts";
import { BAD_USER_INPUT } from "./errors.ts";
import type PrismaTypes from "./generated/pothos-types.ts";
import { getDatamodel } from "./generated/pothos-types.ts";
import type { ParticipantAuth } from "./sessions/session-access.service.ts";

/**
 * Who may call a field, declared on the field with `authScopes` or `t.withAuth(...)` (never checked again in a
 * resolver). Scopes taking a parameter are checked per argument or per parent object, and the plugin caches every
 * result per request; the loaders are in auth/scopes.ts. A refused field is a top-level UNAUTHENTICATED or FORBIDDEN
 * error (`refusal`) unless the field says otherwise (`unauthorizedResolver`).
 */
export interface AuthScopes {
  /** Signed in (an access token). */
  authenticated: boolean;
  /** Signed in as an agent or admin. */
  agent: boolean;
  /** Signed in as an admin. */
  admin: boolean;
  /** Signed in as this user (a user id), e.g. `authScopes: (user) => ({ self: user.id })`. */
  self: string;
  /**
   * Holds a valid participant token, of any session; a signed-in caller without one is UNAUTHENTICATED.
   *
   *     leaveSession: t.withAuth({ participant: true }).prismaField({
   *       resolve: async (query, _root, _args, ctx) => { const row = await ctx.services.sessions.leave(ctx.participant); … },
   *     }),
   */
  participant: boolean;
  /**
   * May manage this session: its host, or an admin. Takes the session id (from an argument) or the session row (on
   * LiveSession's own fields, which spares the lookup). A session that does not exist is refused (FORBIDDEN), so a
   * mutation that answers NotFoundError for a missing session keeps that check in its service.
   *
   *     sessionWaitingRoom: t.withAuth((_root, args) => ({ sessionManager: String(args.sessionId) })).field({ … }),
   *     invites: t.relation("invites", { authScopes: (session) => ({ sessionManager: session }), … }),
   */
  sessionManager: SessionRef;
  /**
   * An admitted participant of this session (a session id), by participant token. Next to `sessionManager` for what
   * the host and the room share (chat, room id, peers); either lets the caller through, and `ctx` is the union of
   * both narrowed contexts. `hasScopes` answers the same questions inside a resolver whose answer depends on who asks
   * (all participants for a manager, the admitted ones for the room).
   *
   *     sessionChat: t
   *       .withAuth((_root, args) => ({ sessionManager: String(args.sessionId), sessionParticipant: String(args.sessionId) }))
   *       .field({ … }),
   */
  sessionParticipant: string;
  /**
   * Holds a participant token of this session (a session id), admitted or still in the waiting room: what the join
   * flow and the session's state events need.
   *
   * Subscriptions: a subscription resolves every event with one context, so call `forgetScopeResults(ctx)`
   * (auth/scopes.ts) before yielding each event, and fields of the event are authorized on fresh state (a
   * participant admitted since). Do the same after replacing `ctx.participant` in a request (joinSession).
   */
  sessionParticipantToken: string;
  /**
   * Signed in as someone on this session's invite list (a session id; removed invitees are not), e.g. a ticket's
   * requester: next to `sessionManager` for the access link.
   *
   *     joinUrl: t.string({ authScopes: (session) => ({ sessionManager: session, sessionInvitee: session.id }), … }),
   */
  sessionInvitee: string;
}

type SignedIn<V extends Viewer = Viewer> = Context & { viewer: V };
type WithParticipantToken = Context & { participant: ParticipantAuth };

/** The context a resolver sees behind each scope (`t.withAuth`): the credential the scope checked is not null. */
export interface AuthContexts {
  authenticated: SignedIn;
  agent: SignedIn<StaffViewer>;
  admin: SignedIn<AdminViewer>;
  self: SignedIn;
  participant: WithParticipantToken;
  sessionManager: SignedIn;
  sessionParticipant: WithParticipantToken;
  sessionParticipantToken: WithParticipantToken;
  sessionInvitee: SignedIn;
}

/** Builds the builder only: plugins, scalars and context. Types live in each domain's *.schema.ts. */
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: AuthScopes;
  AuthContexts: AuthContexts;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    File: { Input: File; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, PrismaPlugin],
  relay: { clientMutationId: "omit", cursorType: "String" },
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: requestScopes,
    cacheKey: scopeCacheKey,
    unauthorizedError: (_parent, context, _info, result) => refusal(context, result.failure),
  },
  errors: {
    defaultTypes: [],
  },
  prisma: {
    client: (context) => context.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: isProduction ? null : "error",
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType("DateTime", {
  description: "An instant in time, as an ISO-8601 string in UTC.",
  serialize: (value) => (value instanceof Date ? value.toISOString() : value),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime()))
      throw new GraphQLError("DateTime must be an ISO-8601 string", { extensions: { code: BAD_USER_INPUT } });
    return date;
  },
});

builder.scalarType("File", {
  description: "A file sent with the GraphQL multipart request specification.",
  serialize: () => {
    throw new TypeError("File is an input-only scalar");
  },
});

/**
 * Whether the caller has these scopes, answered from (and kept in) the request's scope cache: for a resolver whose
 * answer depends on who asks, behind a field whose own scopes already let the caller through.
 */
export async function hasScopes(context: Context, scopes: Parameters<typeof builder.runAuthScopes>[1]) {
  try {
    await builder.runAuthScopes(context, scopes);
    return true;
  } catch (error) {
    if (error instanceof ForbiddenError) return false;
    throw error;
  }
}
