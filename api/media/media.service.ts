import { forbidden } from "../errors.ts";
import type { PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import type { SessionActor, SessionChatService } from "../sessions/session-chat.service.ts";
import { SessionEndedError } from "../sessions/sessions.errors.ts";
import { isClosed } from "../sessions/sessions.rules.ts";
import { MediaPublishNotAllowedError, MediaServerUnavailableError } from "./media.errors.ts";
import type { IceCandidate, MediaBroker, MediaParticipant } from "./media-broker.ts";

/**
 * Who may do what with a session's SFU room, then the broker acts. The fields' scopes (media.schema.ts) already
 * let in only the session's host/admins and its admitted participants; here the caller becomes one participant row
 * of this session (their token's, or the host's own row), which must be in the room of a live session.
 */
export class MediaService {
  constructor(
    private readonly prisma: PrismaClient,
    readonly broker: MediaBroker,
    private readonly speakers: Pick<SessionChatService, "speaker">,
  ) {}

  private async inTheRoom(actor: SessionActor, sessionId: string): Promise<SessionParticipant> {
    const participant = await this.speakers.speaker(actor, sessionId);
    if (participant?.status !== "ADMITTED") throw forbidden("Only the host and admitted participants join the media");
    const session = await this.prisma.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (!this.broker.available()) throw new MediaServerUnavailableError();
    return participant;
  }

  private static who(participant: SessionParticipant): MediaParticipant {
    return { sessionId: participant.sessionId, participantId: participant.id };
  }

  /** Webinars: the host and presenters send media; attendees only receive. Meetings: everyone in the room sends. */
  async publish(actor: SessionActor, sessionId: string, offer: string) {
    const participant = await this.inTheRoom(actor, sessionId);
    const session = await this.prisma.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
    if (session.type === "WEBINAR" && participant.role === "ATTENDEE") throw new MediaPublishNotAllowedError();
    return this.broker.publish(MediaService.who(participant), offer);
  }

  async subscribe(actor: SessionActor, sessionId: string, feeds: string[]) {
    return this.broker.subscribe(MediaService.who(await this.inTheRoom(actor, sessionId)), feeds);
  }

  async answer(actor: SessionActor, sessionId: string, answer: string) {
    await this.broker.answerSubscription(MediaService.who(await this.inTheRoom(actor, sessionId)), answer);
    return true;
  }

  async configure(
    actor: SessionActor,
    sessionId: string,
    feed: string,
    options: { substream?: number | null; audioOnly?: boolean | null },
  ) {
    await this.broker.configure(MediaService.who(await this.inTheRoom(actor, sessionId)), feed, options);
    return true;
  }

  async trickle(
    actor: SessionActor,
    sessionId: string,
    target: "PUBLISHER" | "SUBSCRIBER",
    candidates: IceCandidate[] | null,
  ) {
    await this.broker.trickle(MediaService.who(await this.inTheRoom(actor, sessionId)), target, candidates);
    return true;
  }

  /** Stops sending and receiving; allowed whatever the session's state, so a client can always clean up. */
  async leave(actor: SessionActor, sessionId: string) {
    const participant = await this.speakers.speaker(actor, sessionId);
    if (!participant) throw forbidden("Only the host and participants have media to leave");
    await this.broker.leave(MediaService.who(participant));
    return true;
  }
}
