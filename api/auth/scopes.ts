import { type AuthFailure, AuthScopeFailureType, RequestCache } from "@pothos/plugin-scope-auth";
import type { GraphQLError } from "graphql";
import type { Context } from "../context.ts";
import { forbidden, unauthenticated } from "../errors.ts";
import type { LiveSession } from "../generated/prisma/client.ts";
import { isStaff } from "./roles.ts";

/** A session by id, or its row when the caller already holds it (fields of LiveSession), which spares a lookup. */
export type SessionRef = string | Pick<LiveSession, "id" | "hostId">;

/**
 * The scopes of one request (declared with their meaning in api/builder.ts). Viewer scopes are plain booleans: the
 * viewer never changes within a request. Scopes about a participant token are loaders, so they read
 * `context.participant` when first asked. The plugin caches each loader's result per request and parameter
 * (`scopeCacheKey`).
 */
export function requestScopes(context: Context) {
  const { viewer } = context;
  return {
    authenticated: viewer !== null,
    agent: viewer !== null && isStaff(viewer.role),
    admin: viewer?.role === "ADMIN",
    self: (userId: string) => viewer?.userId === userId,
    participant: () => context.participant !== null,
    sessionManager: async (session: SessionRef) => {
      if (!viewer) return false;
      const row =
        typeof session === "string"
          ? await context.prisma.liveSession.findUnique({ where: { id: session }, select: { hostId: true } })
          : session;
      return row !== null && context.services.sessions.canManage(viewer, row);
    },
    sessionParticipant: async (sessionId: string) => {
      const { participant } = context;
      if (participant?.sessionId !== sessionId) return false;
      // Read with the token at the start of this request (or fresh, after forgetScopeResults).
      const row =
        participant.snapshot?.row ??
        (await context.prisma.sessionParticipant.findUnique({
          where: { id: participant.participantId },
          select: { status: true },
        }));
      return row?.status === "ADMITTED";
    },
    sessionParticipantToken: (sessionId: string) => context.participant?.sessionId === sessionId,
    sessionInvitee: async (sessionId: string) => {
      if (!viewer) return false;
      const invite = await context.prisma.sessionInvite.findUnique({
        where: { sessionId_email: { sessionId, email: viewer.email } },
        select: { removedAt: true },
      });
      return invite !== null && invite.removedAt === null;
    },
  };
}

/** A loaded session and its id are the same question to `sessionManager`. */
export function scopeCacheKey(parameter: unknown): unknown {
  return typeof parameter === "object" && parameter !== null && "id" in parameter ? parameter.id : parameter;
}

/** Scopes that only a participant token can satisfy. */
const participantScopes = new Set(["participant", "sessionParticipant", "sessionParticipantToken"]);

/**
 * The top-level error for a refused field: UNAUTHENTICATED when the caller holds no credential the field could
 * accept (no access token and no participant token; no participant token for fields only participants may call),
 * FORBIDDEN otherwise.
 */
export function refusal(context: Context, failure: AuthFailure): GraphQLError {
  const scopes = failedScopes(failure);
  if (scopes.length > 0 && scopes.every((scope) => participantScopes.has(scope))) {
    return context.participant ? forbidden() : unauthenticated("Join the session first (participant token)");
  }
  if (!context.viewer && !context.participant) return unauthenticated();
  return scopes.includes("sessionManager") ? forbidden("Only the session's host or an admin may do this") : forbidden();
}

function failedScopes(failure: AuthFailure): string[] {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return [failure.scope];
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes:
      return failure.failures.flatMap(failedScopes);
    default:
      return [];
  }
}

/**
 * Forgets the scope results cached for this context. A subscription resolves all its events with one context: call
 * this before each event so the event's fields are authorized on fresh state (a waiting participant admitted
 * since), and after changing `context.participant` within a request (joinSession).
 */
export function forgetScopeResults(context: Context): void {
  RequestCache.clearForContext(context);
  // The participant's row read with the token is as old as the subscription: read it again from now on.
  if (context.participant?.snapshot) {
    const { snapshot: _stale, ...participant } = context.participant;
    context.participant = participant;
  }
}
