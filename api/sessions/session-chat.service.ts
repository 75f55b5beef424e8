import type { Viewer } from "../auth/auth.service.ts";
import type { Clock } from "../clock.ts";
import { forbidden } from "../errors.ts";
import type { PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import type { RateLimits } from "../ops/rate-limit.ts";
import type { ParticipantAuth } from "./session-access.service.ts";
import { SessionEndedError, SessionOptionDisabledError } from "./sessions.errors.ts";
import { chatBody, parse } from "./sessions.inputs.ts";
import { isClosed } from "./sessions.rules.ts";
import type { SessionEvents } from "./sessions.store.ts";

/** Who is acting: a signed-in user, a participant token, or both. */
export interface SessionActor {
  viewer: Viewer | null;
  participant: ParticipantAuth | null;
}

/** The session's chat, for the host and admitted participants. */
export class SessionChatService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly events: SessionEvents,
    private readonly options: { messagesPerMinute: number; rateLimits: RateLimits },
  ) {}

  /** The participant row the actor speaks as in this session: their token's, or the host's row for the host. */
  async speaker(actor: SessionActor, sessionId: string): Promise<SessionParticipant | null> {
    if (actor.participant?.sessionId === sessionId) {
      // The row read with the token at the start of this request, when there is one (api/sessions/session-access.service.ts).
      const row =
        actor.participant.snapshot?.row ??
        (await this.prisma.sessionParticipant.findUnique({ where: { id: actor.participant.participantId } }));
      if (row) return row;
    }
    if (actor.viewer) {
      const host = await this.prisma.sessionParticipant.findFirst({
        where: { sessionId, role: "HOST", userId: actor.viewer.userId },
      });
      if (host) return host;
    }
    return null;
  }

  async send(actor: SessionActor, sessionId: string, body: unknown) {
    const text = parse(chatBody, body, "body");
    const speaker = await this.speaker(actor, sessionId);
    // The field's scopes let in the session's managers; a message still needs an author in the room, which an admin
    // who does not host is not.
    if (speaker?.status !== "ADMITTED") throw forbidden("Only the host and admitted participants chat");
    const session = await this.prisma.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (!session.chatEnabled) throw new SessionOptionDisabledError("CHAT");
    await this.options.rateLimits.session(`chat:${speaker.id}`, {
      limit: this.options.messagesPerMinute,
      windowMs: 60_000,
    });
    // In a transaction so a request's idempotency key is marked committed with the message (api/ops/idempotency.ts).
    const message = await this.prisma.$transaction((tx) =>
      tx.sessionChatMessage.create({
        data: { sessionId, participantId: speaker.id, body: text, createdAt: this.clock.now() },
      }),
    );
    await this.events.publish("CHAT_MESSAGE", sessionId, { participantId: speaker.id, messageId: message.id });
    return message;
  }
}
