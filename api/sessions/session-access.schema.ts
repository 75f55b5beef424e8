import type { Viewer } from "../auth/auth.service.ts";
import type { Context } from "../context.ts";
import { unauthenticated } from "../errors.ts";
import type { LiveSession, SessionParticipant } from "../generated/prisma/client.ts";

/** Who the caller is to a session, for the sessions schema's field and argument checks. */

export function viewerOf(context: Context): Viewer {
  if (!context.viewer) throw unauthenticated();
  return context.viewer;
}

export function participantOf(context: Context) {
  if (!context.participant) throw unauthenticated("Join the session first (participant token)");
  return context.participant;
}

export interface SessionAccess {
  manager: boolean;
  /** The caller's participant row in this session (by participant token), if any. */
  participant: SessionParticipant | null;
}

export const accessCache = new WeakMap<Context, Map<string, Promise<SessionAccess>>>();

/** What the caller may do in one session, looked up once per request. */
export function sessionAccess(context: Context, sessionId: string): Promise<SessionAccess> {
  let perContext = accessCache.get(context);
  if (!perContext) {
    perContext = new Map();
    accessCache.set(context, perContext);
  }
  const key = `${sessionId}:${context.participant?.participantId ?? ""}`;
  let access = perContext.get(key);
  if (!access) {
    access = (async () => {
      const session = await context.prisma.liveSession.findUnique({
        where: { id: sessionId },
        select: { hostId: true },
      });
      if (!session) return { manager: false, participant: null };
      const participant =
        context.participant?.sessionId === sessionId
          ? await context.prisma.sessionParticipant.findUnique({ where: { id: context.participant.participantId } })
          : null;
      return { manager: context.services.sessions.canManage(context.viewer, session), participant };
    })();
    perContext.set(key, access);
  }
  return access;
}

export async function isManager(context: Context, sessionId: string) {
  return (await sessionAccess(context, sessionId)).manager;
}

/** The host/admins, or a participant of this session who is admitted. */
export async function managerOrAdmitted(context: Context, sessionId: string) {
  const access = await sessionAccess(context, sessionId);
  return access.manager || access.participant?.status === "ADMITTED";
}

/** The host/admins, or any participant of this session whose token is valid (waiting ones included). */
export async function managerOrParticipant(context: Context, sessionId: string) {
  const access = await sessionAccess(context, sessionId);
  return access.manager || access.participant !== null;
}

export function isSelf(context: Context, participant: SessionParticipant) {
  return (
    context.participant?.participantId === participant.id ||
    (participant.role === "HOST" && participant.userId !== null && context.viewer?.userId === participant.userId)
  );
}

/** The link goes to the host, admins, and signed-in users on the invite list (e.g. a ticket's requester). */
export async function mayHaveLink(context: Context, session: LiveSession): Promise<boolean> {
  if (context.services.sessions.canManage(context.viewer, session)) return true;
  if (!context.viewer) return false;
  const invite = await context.prisma.sessionInvite.findUnique({
    where: { sessionId_email: { sessionId: session.id, email: context.viewer.email } },
    select: { removedAt: true },
  });
  return invite !== null && invite.removedAt === null;
}
