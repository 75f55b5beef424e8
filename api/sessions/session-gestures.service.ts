import type { Clock } from "../clock.ts";
import { forbidden, NotFoundError, ValidationError } from "../errors.ts";
import type { PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import type { RateLimits } from "../ops/rate-limit.ts";
import type { SessionActor, SessionChatService } from "./session-chat.service.ts";
import { SessionEndedError } from "./sessions.errors.ts";
import type { GestureKind, LiveSessionEventPayload } from "./sessions.events.ts";
import { parse, reactionEmoji } from "./sessions.inputs.ts";
import { isClosed } from "./sessions.rules.ts";
import type { SessionEvents } from "./sessions.store.ts";

/** What the host asks of a participant's microphone: the client mutes itself, or shows a prompt to unmute. */
export type MicRequest = "MUTE" | "ASK_TO_UNMUTE";

/** A gesture as published, and as the mutation that made it answers. */
export type GestureEvent = LiveSessionEventPayload & { kind: GestureKind; participantId: string; at: string };

/**
 * Raised hands and reactions of the people in a call, and the host's requests to (un)mute someone. They travel as
 * session events, so every client sees them whether media goes peer-to-peer or through a media server. A raised hand
 * is kept on the participant row (a reload shows it); the session counts hands and reactions for analytics.
 */
export class SessionGestureService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly chat: SessionChatService,
    private readonly events: SessionEvents,
    private readonly options: { reactionsPerMinute: number; rateLimits: RateLimits },
  ) {}

  /** Raises or lowers the actor's own hand. Raising a raised hand keeps its place in the queue. */
  async setHandRaised(actor: SessionActor, sessionId: string, raised: boolean): Promise<SessionParticipant> {
    const speaker = await this.inTheCall(actor, sessionId);
    return raised ? this.raise(speaker) : this.lower(speaker);
  }

  /** The host lowers someone's hand. */
  async lowerHand(participantId: string): Promise<SessionParticipant> {
    const participant = await this.prisma.sessionParticipant.findUnique({ where: { id: participantId } });
    if (!participant) throw new NotFoundError("SessionParticipant");
    await this.openSession(participant.sessionId);
    return this.lower(participant);
  }

  async react(actor: SessionActor, sessionId: string, emoji: unknown): Promise<GestureEvent> {
    const valid = parse(reactionEmoji, emoji, "emoji");
    const speaker = await this.inTheCall(actor, sessionId);
    await this.options.rateLimits.session(`reaction:${speaker.id}`, {
      limit: this.options.reactionsPerMinute,
      windowMs: 60_000,
    });
    await this.prisma.liveSession.update({ where: { id: sessionId }, data: { reactionsCount: { increment: 1 } } });
    return this.publish("REACTION", speaker, this.clock.now(), valid);
  }

  /** The host asks an admitted participant's client to mute, or to offer unmuting: no server can force a microphone. */
  async requestMic(participantId: string, request: MicRequest): Promise<GestureEvent> {
    const participant = await this.prisma.sessionParticipant.findUnique({ where: { id: participantId } });
    if (!participant) throw new NotFoundError("SessionParticipant");
    await this.openSession(participant.sessionId);
    if (participant.role === "HOST") throw ValidationError.field("participantId", "this is the host");
    if (participant.status !== "ADMITTED") throw ValidationError.field("participantId", "not in the call");
    const kind = request === "MUTE" ? "MUTE_REQUESTED" : "UNMUTE_REQUESTED";
    return this.publish(kind, participant, this.clock.now());
  }

  /** The actor's participant row, admitted to a session that is still open. */
  private async inTheCall(actor: SessionActor, sessionId: string): Promise<SessionParticipant> {
    const speaker = await this.chat.speaker(actor, sessionId);
    // The field's scopes let in the session's managers; a gesture still needs someone in the room.
    if (speaker?.status !== "ADMITTED")
      throw forbidden("Only the host and admitted participants raise hands and react");
    await this.openSession(sessionId);
    return speaker;
  }

  private async openSession(sessionId: string) {
    const session = await this.prisma.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
  }

  private async raise(participant: SessionParticipant): Promise<SessionParticipant> {
    const now = this.clock.now();
    // Only a hand that was down goes up, so two raises race to one count and one place in the queue.
    const { count } = await this.prisma.sessionParticipant.updateMany({
      where: { id: participant.id, handRaisedAt: null },
      data: { handRaisedAt: now },
    });
    if (count === 0) return this.prisma.sessionParticipant.findUniqueOrThrow({ where: { id: participant.id } });
    await this.prisma.liveSession.update({
      where: { id: participant.sessionId },
      data: { handsRaisedCount: { increment: 1 } },
    });
    this.publish("HAND_RAISED", participant, now);
    return this.prisma.sessionParticipant.findUniqueOrThrow({ where: { id: participant.id } });
  }

  private async lower(participant: SessionParticipant): Promise<SessionParticipant> {
    const { count } = await this.prisma.sessionParticipant.updateMany({
      where: { id: participant.id, handRaisedAt: { not: null } },
      data: { handRaisedAt: null },
    });
    if (count > 0) this.publish("HAND_LOWERED", participant, this.clock.now());
    return this.prisma.sessionParticipant.findUniqueOrThrow({ where: { id: participant.id } });
  }

  private publish(kind: GestureKind, participant: SessionParticipant, at: Date, emoji?: string): GestureEvent {
    const event = {
      kind,
      sessionId: participant.sessionId,
      participantId: participant.id,
      at: at.toISOString(),
      ...(emoji ? { emoji } : {}),
    };
    void this.events.publish(kind, participant.sessionId, event);
    return event;
  }
}
