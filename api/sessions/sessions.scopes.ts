import type { Context } from "../context.ts";
import type { LiveSession } from "../generated/prisma/client.ts";

type ManagedSession = Pick<LiveSession, "id" | "hostId">;

/**
 * The scopes of a host control (api/builder.ts): staff who manage the session, its host or an admin. A session
 * that does not exist is refused to non-staff only, so staff still get the mutation's NotFoundError from the
 * service; `sessionManager` alone would refuse them (FORBIDDEN).
 */
function hostControl(session: ManagedSession | null) {
  return session ? { $all: { agent: true, sessionManager: session } } : { agent: true };
}

/** Host-control scopes of a mutation on a session, by its id. */
export async function managesSession(context: Context, sessionId: string) {
  return hostControl(
    await context.prisma.liveSession.findUnique({ where: { id: sessionId }, select: { id: true, hostId: true } }),
  );
}

/** Host-control scopes of a mutation on a participant, by their id: the scopes of their session. */
export async function managesParticipant(context: Context, participantId: string) {
  const participant = await context.prisma.sessionParticipant.findUnique({
    where: { id: participantId },
    select: { session: { select: { id: true, hostId: true } } },
  });
  return hostControl(participant?.session ?? null);
}

/** The host, admins, and admitted participants (by token): who share the room (chat, room id, peers). */
export const inTheRoom = (sessionId: string) => ({ sessionManager: sessionId, sessionParticipant: sessionId });

/** The host, admins, and any participant token of the session, waiting room included. */
export const ofTheSession = (sessionId: string) => ({ sessionManager: sessionId, sessionParticipantToken: sessionId });
