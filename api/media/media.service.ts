import type { Clock } from "../clock.ts";
import { forbidden } from "../errors.ts";
import type { PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import type { PubSub } from "../pubsub.ts";
import type { SessionActor, SessionChatService } from "../sessions/session-chat.service.ts";
import { openServerRecording } from "../sessions/session-reactions.jobs.ts";
import { SessionEndedError } from "../sessions/sessions.errors.ts";
import type { LiveSessionEventPayload } from "../sessions/sessions.events.ts";
import { isClosed } from "../sessions/sessions.rules.ts";
import type { SessionEvents } from "../sessions/sessions.store.ts";
import { MediaPublishNotAllowedError, MediaServerUnavailableError } from "./media.errors.ts";
import type { MediaParticipantState } from "./media.events.ts";
import type { IceCandidate, MediaBroker, MediaParticipant } from "./media-broker.ts";
import type { MediaRooms } from "./media-router.ts";
import type { SfuRecordings } from "./sfu-recording.ts";

/**
 * Who may do what with a session's SFU room, then the broker acts. The fields' scopes (media.schema.ts) already
 * let in only the session's host/admins and its admitted participants; here the caller becomes one participant row
 * of this session (their token's, or the host's own row), which must be in the room of a live session.
 */
export class MediaService {
  /** Participants (host included) a peer-to-peer mesh carries; one more moves a meeting to the SFU. */
  static readonly MESH_LIMIT = 4;

  constructor(
    private readonly prisma: PrismaClient,
    readonly broker: MediaBroker,
    private readonly sessions: Pick<SessionChatService, "speaker"> & { events: SessionEvents },
    private readonly pubsub: PubSub,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
    /** Recording through the SFU (null: none, e.g. tests without a recordings folder). */
    readonly recorder: SfuRecordings | null = null,
    /** Where participants' media requests go: the broker itself, or in server mode the router to each room's owner. */
    readonly rooms: MediaRooms = broker,
  ) {
    sessions.events.observe((event) => this.sessionChanged(event));
  }

  private sessionChanged(event: LiveSessionEventPayload) {
    if (event.kind === "STARTED" || event.kind === "PARTICIPANT_ADMITTED" || event.kind === "PARTICIPANT_JOINED")
      this.queueTopologyCheck(event.sessionId);
    // Janus records the room while the session's server recording is open; turning it off stops it at once.
    if (this.recorder && (event.kind === "RECORDING_CHANGED" || event.kind === "ENDED"))
      this.recorder.sync(event.sessionId).catch(this.onError);
  }

  /** Sessions whose topology is being checked; `again` when more admissions came in meanwhile. */
  private readonly topologyChecks = new Map<string, { again: boolean }>();

  /**
   * One check at a time per session, and one more after it for whatever came in meanwhile: a webinar's "Admit all"
   * of 300 publishes 300 admissions, which need one look at the room, not 300 queries.
   */
  private queueTopologyCheck(sessionId: string) {
    const running = this.topologyChecks.get(sessionId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    this.topologyChecks.set(sessionId, state);
    void (async () => {
      try {
        do {
          state.again = false;
          await this.checkTopology(sessionId).catch(this.onError);
        } while (state.again);
      } finally {
        this.topologyChecks.delete(sessionId);
      }
    })();
  }

  /**
   * The server decides the topology: with a media server up, a live webinar, or a meeting with more than
   * MESH_LIMIT participants in the room, moves to the SFU, once (it stays there: no flapping as people come and go).
   * Clients hear TOPOLOGY_CHANGED on sessionState and sessionMedia and switch without leaving the page.
   */
  async checkTopology(sessionId: string): Promise<void> {
    if (!this.broker.available()) return;
    const session = await this.prisma.liveSession.findUnique({
      where: { id: sessionId },
      select: { id: true, hostId: true, status: true, type: true, topology: true },
    });
    if (session?.status !== "LIVE" || session.topology === "SFU") return;
    if (session.type !== "WEBINAR") {
      const inRoom = await this.prisma.sessionParticipant.count({ where: { sessionId, status: "ADMITTED" } });
      // One short of the move: the room is made now, so the switch itself does not wait for it.
      // (Embedded only: in server mode the room's owner makes it, api/media/media-router.ts.)
      if (inRoom === MediaService.MESH_LIMIT && this.rooms === this.broker)
        this.broker.prepare(sessionId).catch(this.onError);
      if (inRoom <= MediaService.MESH_LIMIT) return;
    }
    // A session recorded when it moves to the SFU goes on being recorded, by the media server from now on.
    const changed = await this.prisma.$transaction(async (tx) => {
      const moved = await tx.liveSession.updateMany({
        where: { id: sessionId, topology: "PEER_TO_PEER" },
        data: { topology: "SFU" },
      });
      const recording = await tx.liveSession.count({ where: { id: sessionId, recording: true } });
      if (moved.count > 0 && recording > 0) await openServerRecording(tx, session, new Date());
      return moved;
    });
    if (changed.count === 0) return;
    if (this.recorder) await this.recorder.sync(sessionId);
    this.sessions.events.publish("TOPOLOGY_CHANGED", sessionId);
    this.pubsub.publish("sessionMedia", sessionId, { kind: "TOPOLOGY_CHANGED", sessionId, topology: "SFU" });
  }

  private async inTheRoom(actor: SessionActor, sessionId: string): Promise<SessionParticipant> {
    const participant = await this.sessions.speaker(actor, sessionId);
    if (participant?.status !== "ADMITTED") throw forbidden("Only the host and admitted participants join the media");
    // A participant token's request read its session's status with the token; the host's reads it here.
    const snapshot = actor.participant?.snapshot;
    const status =
      snapshot?.row.id === participant.id
        ? snapshot.sessionStatus
        : (await this.prisma.liveSession.findUniqueOrThrow({ where: { id: sessionId }, select: { status: true } }))
            .status;
    if (isClosed(status)) throw new SessionEndedError(status);
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
    return this.rooms.publish(MediaService.who(participant), offer);
  }

  async subscribe(actor: SessionActor, sessionId: string, feeds: string[]) {
    return this.rooms.subscribe(MediaService.who(await this.inTheRoom(actor, sessionId)), feeds);
  }

  async answer(actor: SessionActor, sessionId: string, answer: string) {
    await this.rooms.answerSubscription(MediaService.who(await this.inTheRoom(actor, sessionId)), answer);
    return true;
  }

  async configure(
    actor: SessionActor,
    sessionId: string,
    feed: string,
    options: { substream?: number | null; audioOnly?: boolean | null },
  ) {
    await this.rooms.configure(MediaService.who(await this.inTheRoom(actor, sessionId)), feed, options);
    return true;
  }

  async trickle(
    actor: SessionActor,
    sessionId: string,
    target: "PUBLISHER" | "SUBSCRIBER",
    candidates: IceCandidate[] | null,
  ) {
    await this.rooms.trickle(MediaService.who(await this.inTheRoom(actor, sessionId)), target, candidates);
    return true;
  }

  async publishers(actor: SessionActor, sessionId: string): Promise<string[]> {
    const participant = await this.sessions.speaker(actor, sessionId);
    if (participant?.status !== "ADMITTED") throw forbidden("Only the host and admitted participants join the media");
    return this.rooms.publishers(sessionId);
  }

  /**
   * The caller's toggles, told to everyone in the room (STATE on sessionMedia) and kept on their participant row for
   * late joiners, whichever API instance those reach (leaving or being removed clears them: noMediaState).
   */
  async setState(actor: SessionActor, sessionId: string, state: Omit<MediaParticipantState, "participantId">) {
    const participant = await this.inTheRoom(actor, sessionId);
    const full: MediaParticipantState = { participantId: participant.id, ...state };
    // Only while still in the room: a leave or removal racing this call wins, and nothing stale is kept.
    const kept = await this.prisma.sessionParticipant.updateMany({
      where: { id: participant.id, status: "ADMITTED" },
      data: {
        mediaAudioMuted: state.audioMuted,
        mediaVideoOff: state.videoOff,
        mediaPresenting: state.presenting,
        mediaStateAt: this.clock.now(),
      },
    });
    if (kept.count === 0) throw forbidden("Only the host and admitted participants join the media");
    this.pubsub.publish("sessionMedia", sessionId, {
      kind: "STATE",
      sessionId,
      participantId: participant.id,
      state: full,
    });
    return true;
  }

  /**
   * The toggles of everyone in the room as last told (participants who never told any are unmuted with their camera
   * on). A session that is over has none.
   */
  async states(actor: SessionActor, sessionId: string): Promise<MediaParticipantState[]> {
    const participant = await this.sessions.speaker(actor, sessionId);
    if (participant?.status !== "ADMITTED") throw forbidden("Only the host and admitted participants join the media");
    const session = await this.prisma.liveSession.findUniqueOrThrow({
      where: { id: sessionId },
      select: { status: true },
    });
    if (isClosed(session.status)) return [];
    const told = await this.prisma.sessionParticipant.findMany({
      where: { sessionId, status: "ADMITTED", mediaStateAt: { not: null } },
      select: { id: true, mediaAudioMuted: true, mediaVideoOff: true, mediaPresenting: true },
      orderBy: [{ mediaStateAt: "asc" }, { id: "asc" }],
    });
    return told.map((row) => ({
      participantId: row.id,
      audioMuted: row.mediaAudioMuted,
      videoOff: row.mediaVideoOff,
      presenting: row.mediaPresenting,
    }));
  }

  /** Stops sending and receiving; allowed whatever the session's state, so a client can always clean up. */
  async leave(actor: SessionActor, sessionId: string) {
    const participant = await this.sessions.speaker(actor, sessionId);
    if (!participant) throw forbidden("Only the host and participants have media to leave");
    await this.rooms.leave(MediaService.who(participant));
    return true;
  }
}
