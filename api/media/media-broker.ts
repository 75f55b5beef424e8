import { randomBytes, randomInt } from "node:crypto";
import { ValidationError } from "../errors.ts";
import type { Logger } from "../ops/logger.ts";
import type { PubSub } from "../pubsub.ts";
import type { LiveSessionEventPayload } from "../sessions/sessions.events.ts";
import {
  JanusClient,
  JanusError,
  type JanusHandle,
  type JanusHandleEvent,
  JanusPluginError,
  type JanusSession,
  type Jsep,
} from "./janus-client.ts";
import {
  MediaAlreadyPublishingError,
  MediaFeedNotFoundError,
  MediaNotNegotiatingError,
  MediaRefusedError,
  MediaServerUnavailableError,
} from "./media.errors.ts";
import type { MediaStreamDescription, SessionMediaEventKind, SessionMediaEventPayload } from "./media.events.ts";
import type { MediaServer } from "./media-server.ts";

/**
 * The API's side of the SFU: it brokers every Janus request for the participants (the browser never talks to
 * Janus's API, only sends ICE/DTLS/RTP to its ports). One Janus session per API instance holds, per SFU session:
 * a private VideoRoom (room secret known only here), a control handle joined to the room (it hears publishers,
 * departures and audio levels and relays them as `sessionMedia` events), and per participant a publisher handle
 * and a subscriber handle. Who may call what is decided before (api/media/media.schema.ts); this only acts.
 *
 * Handles live in this process's memory: in server mode api/media/media-router.ts sends each room's requests to the
 * one instance that owns it (docs/calls.md, "Media server: several API instances").
 */

export interface RoomOptions {
  /** Most publishers at once (VideoRoom `publishers`); the control handle joins too and does not count here. */
  publishers: number;
  /** Bitrate cap per publisher, bit/s. */
  bitrate: number;
}

export interface MediaParticipant {
  sessionId: string;
  participantId: string;
}

export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

interface Subscription {
  handle: JanusHandle;
  /** Feeds (participant ids) subscribed to. */
  feeds: Set<string>;
  streams: MediaStreamDescription[];
  /** Janus sent an offer the client has not answered yet. */
  negotiating: boolean;
}

interface Participant {
  publisher: JanusHandle | null;
  subscriber: Subscription | null;
}

interface Room {
  sessionId: string;
  /** The Janus API base the room lives on. */
  janusUrl: string;
  /** Janus runs with `string_ids = true` (api/media/janus-config.ts): rooms and feeds are strings. */
  janusRoom: string;
  secret: string;
  control: JanusHandle;
  /** Publishing participants by participant id → their Janus feed id. */
  feeds: Map<string, string | number>;
  participants: Map<string, Participant>;
  stopWatching: () => Promise<void>;
  /** Where Janus records this room (`rec_dir`) while the session's server recording is on; null when not recording. */
  recordingFolder: string | null;
}

const SDP_MAX_LENGTH = 64_000;

/** Refuses what cannot be an SDP before Janus sees it (Janus's own errors then stay for what it understands). */
export function checkSdp(sdp: string, path: string): void {
  if (sdp.length > SDP_MAX_LENGTH || !/^v=0\r?\n/.test(sdp) || !/\r?\nm=(audio|video|application) /.test(sdp))
    throw ValidationError.field(path, "not a session description (SDP) from RTCPeerConnection");
}

/**
 * The client's SDP for Janus. Half-trickle (the PWA's and the benches' way): an SDP sent after ICE gathering
 * carries its candidates, and that is all of them; `trickle: false` tells Janus so in the same request, instead of a
 * `trickle {completed}` round trip after it. An SDP without candidates trickles them (mediaTrickle).
 */
function sentJsep(type: "offer" | "answer", sdp: string): Jsep {
  return /\r?\na=candidate:/.test(sdp) ? { type, sdp, trickle: false } : { type, sdp };
}

export class MediaBroker {
  private janus: JanusSession | null = null;
  private connecting: Promise<JanusSession> | null = null;
  private readonly rooms = new Map<string, Promise<Room>>();
  private readonly unsubscribers: (() => void)[] = [];
  private closed = false;
  /** Sessions whose rooms were lost while Janus was down: told again to rejoin once it is back. */
  private rejoining = new Set<string>();
  /** The folder a session's room records into (api/media/sfu-recording.ts), asked when a room is (re)created. */
  private recordingFolderOf: (sessionId: string) => Promise<string | null> = async () => null;

  constructor(
    private readonly server: MediaServer | null,
    private readonly deps: { pubsub: PubSub; logger: Logger; room: RoomOptions },
  ) {
    if (server) this.unsubscribers.push(server.on("restarted", () => void this.restarted()));
  }

  setRecordingFolder(resolve: (sessionId: string) => Promise<string | null>): void {
    this.recordingFolderOf = resolve;
  }

  /** Whether a media server is configured at all (up or not). */
  configured(): boolean {
    return this.server !== null;
  }

  /** Whether an SFU can carry sessions now. */
  available(): boolean {
    return this.server !== null && this.server.status() === "up" && !this.closed;
  }

  /** Whether this instance holds a room for the session (tests, metrics). */
  hasRoom(sessionId: string): boolean {
    return this.rooms.has(sessionId);
  }

  /** Participants whose media is up in the session's room (tests, the client's first subscription). */
  async publishers(sessionId: string): Promise<string[]> {
    const room = await this.existingRoom(sessionId);
    return room ? [...room.feeds.keys()] : [];
  }

  /** The Janus room id of a session's room, when this instance holds it. */
  async janusRoomOf(sessionId: string): Promise<string | null> {
    const room = this.rooms.get(sessionId);
    return room ? ((await room.catch(() => null))?.janusRoom ?? null) : null;
  }

  /** Where the session's room is, when this instance holds it: recorded for a successor (api/media/media-router.ts). */
  async roomOf(sessionId: string): Promise<{ janusUrl: string; janusRoom: string; secret: string } | null> {
    const room = await this.existingRoom(sessionId);
    return room ? { janusUrl: room.janusUrl, janusRoom: room.janusRoom, secret: room.secret } : null;
  }

  private publishEvent(kind: SessionMediaEventKind, sessionId: string, extra: Partial<SessionMediaEventPayload> = {}) {
    this.deps.pubsub.publish("sessionMedia", sessionId, { kind, sessionId, ...extra });
  }

  private async session(): Promise<JanusSession> {
    if (!this.server || this.closed || this.server.status() !== "up") throw new MediaServerUnavailableError();
    if (this.janus?.alive) return this.janus;
    if (!this.connecting) {
      const client = new JanusClient({ url: this.server.url, apiSecret: this.server.apiSecret });
      this.connecting = client
        .createSession()
        .then((session) => {
          this.janus = session;
          session.onLost((error) => {
            this.deps.logger.warn({ err: error }, "lost the Janus session: every SFU room rejoins");
            void this.restarted();
          });
          return session;
        })
        .finally(() => {
          this.connecting = null;
        });
    }
    return this.connecting.catch((error) => {
      this.deps.logger.warn({ err: error }, "Janus is unreachable");
      throw new MediaServerUnavailableError();
    });
  }

  /**
   * Janus lost every room (its session was lost, or the managed process restarted): forget them, and tell their
   * clients to publish and subscribe again; the next media request recreates the room. The session is usually lost
   * while Janus is still down, so clients that retry too early fail: the sessions are told again once the process
   * is back ("restarted"), however long that took.
   */
  private async restarted() {
    const sessions = [...this.rooms.keys()];
    const rooms = await Promise.all([...this.rooms.values()].map((room) => room.catch(() => null)));
    this.rooms.clear();
    for (const room of rooms) await room?.stopWatching();
    const previous = this.janus;
    this.janus = null;
    await previous?.destroy();
    const told = new Set([...sessions, ...this.rejoining]);
    this.rejoining = new Set(this.server?.status() === "up" ? [] : sessions);
    for (const sessionId of told) this.publishEvent("ROOM_RESTARTED", sessionId);
  }

  /** Makes the session's room ahead of its first media request (a meeting about to grow past the mesh). */
  async prepare(sessionId: string): Promise<void> {
    await this.room(sessionId);
  }

  /** The session's room, created on first use. */
  private room(sessionId: string): Promise<Room> {
    let room = this.rooms.get(sessionId);
    if (!room) {
      room = this.createRoom(sessionId);
      this.rooms.set(sessionId, room);
      room.catch(() => this.rooms.delete(sessionId));
    }
    return room;
  }

  private async createRoom(sessionId: string): Promise<Room> {
    const janus = await this.session();
    const control = await janus.attach();
    const janusRoom = `session-${randomInt(1, 2 ** 47)}`;
    const secret = randomBytes(18).toString("base64url");
    try {
      // A session being recorded (a room recreated after a Janus restart too) records from the start.
      const recordingFolder = await this.recordingFolderOf(sessionId);
      await control.message({
        request: "create",
        room: janusRoom,
        description: `session ${sessionId}`,
        secret,
        is_private: true,
        permanent: false,
        // One more than the limit: the control handle joins as a (never publishing) publisher to hear the room.
        publishers: this.deps.room.publishers + 1,
        bitrate: this.deps.room.bitrate,
        videocodec: "vp8",
        audiocodec: "opus",
        fir_freq: 10,
        notify_joining: true,
        audiolevel_event: true,
        audio_active_packets: 50,
        audio_level_average: 40,
        ...(recordingFolder ? { record: true, rec_dir: recordingFolder } : {}),
      });
      const joined = await control.message<{ publishers?: JanusPublisher[] }>({
        request: "join",
        ptype: "publisher",
        room: janusRoom,
        display: "",
      });
      const room: Room = {
        sessionId,
        janusUrl: janus.client.options.url,
        janusRoom,
        secret,
        control,
        feeds: new Map(),
        participants: new Map(),
        stopWatching: async () => {},
        recordingFolder,
      };
      for (const publisher of joined.data.publishers ?? []) this.feedPublished(room, publisher);
      control.on((event) => this.controlEvent(room, event));
      room.stopWatching = this.watchSession(room);
      return room;
    } catch (error) {
      await control.detach();
      throw this.refusal(error);
    }
  }

  /** Acts on the session's own events: a removed participant's media stops now, the end destroys the room. */
  private watchSession(room: Room): () => Promise<void> {
    const events = this.deps.pubsub.subscribe("liveSession", room.sessionId);
    void (async () => {
      for await (const event of events as AsyncIterable<LiveSessionEventPayload>) {
        try {
          if (event.kind === "ENDED" || event.kind === "CANCELLED") await this.closeRoom(room.sessionId);
          else if (
            event.participantId &&
            (event.kind === "PARTICIPANT_REMOVED" ||
              event.kind === "PARTICIPANT_DENIED" ||
              event.kind === "PARTICIPANT_LEFT")
          )
            await this.leave({ sessionId: room.sessionId, participantId: event.participantId });
        } catch (error) {
          this.deps.logger.warn(
            { err: error, sessionId: room.sessionId },
            "SFU room: acting on a session event failed",
          );
        }
      }
    })();
    return async () => {
      await events.return?.();
    };
  }

  private feedPublished(room: Room, publisher: JanusPublisher) {
    if (!publisher.display || room.feeds.get(publisher.display) === publisher.id) return;
    room.feeds.set(publisher.display, publisher.id);
    this.publishEvent("PUBLISHED", room.sessionId, { participantId: publisher.display });
  }

  private participantOfFeed(room: Room, feed: unknown): string | null {
    for (const [participantId, id] of room.feeds) if (id === feed) return participantId;
    return null;
  }

  private controlEvent(room: Room, event: JanusHandleEvent) {
    if (event.kind !== "plugin") return;
    const data = event.data as {
      videoroom?: string;
      publishers?: JanusPublisher[];
      unpublished?: number | string;
      leaving?: number | string;
      id?: number | string;
      kicked?: number | string;
    };
    if (data.videoroom === "event" && data.publishers) for (const p of data.publishers) this.feedPublished(room, p);
    const gone = data.unpublished ?? data.leaving ?? data.kicked;
    if (gone !== undefined && gone !== "ok") {
      const participantId = this.participantOfFeed(room, gone);
      if (participantId) {
        room.feeds.delete(participantId);
        this.publishEvent("UNPUBLISHED", room.sessionId, { participantId });
      }
    }
    if (data.videoroom === "talking" || data.videoroom === "stopped-talking") {
      const participantId = this.participantOfFeed(room, data.id);
      if (participantId)
        this.publishEvent(data.videoroom === "talking" ? "TALKING" : "STOPPED_TALKING", room.sessionId, {
          participantId,
        });
    }
    if (data.videoroom === "destroyed") void this.closeRoom(room.sessionId);
  }

  private entry(room: Room, participantId: string): Participant {
    let entry = room.participants.get(participantId);
    if (!entry) {
      entry = { publisher: null, subscriber: null };
      room.participants.set(participantId, entry);
    }
    return entry;
  }

  /** Janus's refusals as typed errors a client can act on; anything else is a media server that is not there. */
  private refusal(error: unknown): Error {
    if (error instanceof MediaRefusedError || error instanceof MediaServerUnavailableError) return error;
    if (error instanceof JanusPluginError) return new MediaRefusedError(error.message);
    if (error instanceof JanusError && error.code !== 0 && error.code !== 458)
      return new MediaRefusedError(error.message);
    this.deps.logger.warn({ err: error }, "Janus request failed");
    return new MediaServerUnavailableError();
  }

  /** Sends the participant's media: joins the room as a publisher with their offer; answers Janus's SDP answer. */
  async publish(who: MediaParticipant, offer: string): Promise<{ sdp: string }> {
    checkSdp(offer, "offer");
    const room = await this.room(who.sessionId);
    const entry = this.entry(room, who.participantId);
    if (entry.publisher || room.feeds.has(who.participantId)) throw new MediaAlreadyPublishingError();
    const handle = await (await this.session()).attach().catch((error) => {
      throw this.refusal(error);
    });
    entry.publisher = handle;
    try {
      const joined = await handle.message(
        { request: "joinandconfigure", ptype: "publisher", room: room.janusRoom, display: who.participantId },
        sentJsep("offer", offer),
      );
      if (!joined.jsep) throw new MediaRefusedError("Janus sent no answer");
      // Others hear of the feed once its media is up: Janus announces it to the room (controlEvent → PUBLISHED).
      handle.on((event) => {
        if (event.kind === "hangup" || event.kind === "detached")
          void this.unpublished(room, who.participantId, handle);
      });
      return { sdp: joined.jsep.sdp };
    } catch (error) {
      entry.publisher = null;
      await handle.detach();
      throw this.refusal(error);
    }
  }

  private async unpublished(room: Room, participantId: string, handle: JanusHandle) {
    const entry = room.participants.get(participantId);
    if (entry?.publisher !== handle) return;
    entry.publisher = null;
    await handle.detach();
    if (room.feeds.delete(participantId)) this.publishEvent("UNPUBLISHED", room.sessionId, { participantId });
  }

  /**
   * Receives these participants' feeds (the whole wanted set): a subscription is created or updated, and Janus's
   * offer is returned with the streams it carries; null when nothing changed. Answer with `answerSubscription`.
   */
  async subscribe(
    who: MediaParticipant,
    feeds: string[],
  ): Promise<{ sdp: string | null; streams: MediaStreamDescription[] }> {
    const room = await this.room(who.sessionId);
    const wanted = new Set(feeds);
    for (const feed of wanted) if (!room.feeds.has(feed)) throw new MediaFeedNotFoundError(feed);
    const entry = this.entry(room, who.participantId);
    const feedStreams = (ids: Iterable<string>) => [...ids].map((id) => ({ feed: room.feeds.get(id) }));
    try {
      if (!entry.subscriber) {
        if (wanted.size === 0) return { sdp: null, streams: [] };
        const handle = await (await this.session()).attach();
        const subscription: Subscription = { handle, feeds: wanted, streams: [], negotiating: true };
        entry.subscriber = subscription;
        try {
          const attached = await handle.message<{ streams?: JanusStream[] }>({
            request: "join",
            ptype: "subscriber",
            room: room.janusRoom,
            streams: feedStreams(wanted),
          });
          subscription.streams = this.describe(attached.data.streams);
          handle.on((event) => this.subscriberEvent(room, who.participantId, subscription, event));
          return { sdp: attached.jsep?.sdp ?? null, streams: subscription.streams };
        } catch (error) {
          entry.subscriber = null;
          await handle.detach();
          throw error;
        }
      }
      const subscription = entry.subscriber;
      const added = [...wanted].filter((feed) => !subscription.feeds.has(feed));
      const removed = [...subscription.feeds].filter((feed) => !wanted.has(feed) && room.feeds.has(feed));
      subscription.feeds = wanted;
      if (added.length === 0 && removed.length === 0) return { sdp: null, streams: subscription.streams };
      const updated = await subscription.handle.message<{ streams?: JanusStream[] }>({
        request: "update",
        ...(added.length ? { subscribe: feedStreams(added) } : {}),
        ...(removed.length ? { unsubscribe: feedStreams(removed) } : {}),
      });
      if (updated.data.streams) subscription.streams = this.describe(updated.data.streams);
      if (updated.jsep) subscription.negotiating = true;
      return { sdp: updated.jsep?.sdp ?? null, streams: subscription.streams };
    } catch (error) {
      throw this.refusal(error);
    }
  }

  private describe(streams: JanusStream[] | undefined): MediaStreamDescription[] {
    return (streams ?? []).map((stream) => ({
      mid: String(stream.mid),
      type: stream.type,
      participantId: stream.feed_display || null,
      active: stream.active !== false,
    }));
  }

  /** Janus renegotiates on its own when a subscribed feed goes away: the client gets the offer to answer. */
  private subscriberEvent(room: Room, participantId: string, subscription: Subscription, event: JanusHandleEvent) {
    if (event.kind === "detached" || event.kind === "hangup") {
      const entry = room.participants.get(participantId);
      if (entry?.subscriber === subscription) entry.subscriber = null;
      return;
    }
    if (event.kind !== "plugin") return;
    const data = event.data as { streams?: JanusStream[] };
    if (data.streams) subscription.streams = this.describe(data.streams);
    if (event.jsep?.type === "offer") {
      subscription.negotiating = true;
      this.publishEvent("SUBSCRIPTION_OFFER", room.sessionId, {
        to: participantId,
        sdp: event.jsep.sdp,
        streams: subscription.streams,
      });
    }
  }

  /** The client's answer to the last subscription offer: media starts flowing. */
  async answerSubscription(who: MediaParticipant, answer: string): Promise<void> {
    checkSdp(answer, "answer");
    const subscription = (await this.existingRoom(who.sessionId))?.participants.get(who.participantId)?.subscriber;
    if (!subscription?.negotiating) throw new MediaNotNegotiatingError("subscription");
    try {
      await subscription.handle.message({ request: "start" }, sentJsep("answer", answer));
      subscription.negotiating = false;
    } catch (error) {
      throw this.refusal(error);
    }
  }

  /**
   * Which simulcast layer of a feed this subscriber receives (0 lowest … 2 highest), or audio only: the client's
   * quality logic decides, Janus forwards.
   */
  async configure(
    who: MediaParticipant,
    feed: string,
    options: { substream?: number | null; audioOnly?: boolean | null },
  ): Promise<void> {
    const subscription = (await this.existingRoom(who.sessionId))?.participants.get(who.participantId)?.subscriber;
    if (!subscription) throw new MediaNotNegotiatingError("subscription");
    const mids = subscription.streams.filter((stream) => stream.participantId === feed && stream.type === "video");
    if (!subscription.feeds.has(feed) || mids.length === 0) throw new MediaFeedNotFoundError(feed);
    try {
      await subscription.handle.message({
        request: "configure",
        streams: mids.map((stream) => ({
          mid: stream.mid,
          ...(options.audioOnly !== undefined && options.audioOnly !== null ? { send: !options.audioOnly } : {}),
          ...(options.substream !== undefined && options.substream !== null ? { substream: options.substream } : {}),
        })),
      });
    } catch (error) {
      throw this.refusal(error);
    }
  }

  /** ICE candidates of the participant's publishing or receiving connection; null once gathering completed. */
  async trickle(who: MediaParticipant, target: "PUBLISHER" | "SUBSCRIBER", candidates: IceCandidate[] | null) {
    const entry = (await this.existingRoom(who.sessionId))?.participants.get(who.participantId);
    const handle = target === "PUBLISHER" ? entry?.publisher : entry?.subscriber?.handle;
    if (!handle) throw new MediaNotNegotiatingError(target === "PUBLISHER" ? "publication" : "subscription");
    try {
      await handle.trickle(candidates);
    } catch (error) {
      throw this.refusal(error);
    }
  }

  private async existingRoom(sessionId: string): Promise<Room | null> {
    const room = this.rooms.get(sessionId);
    return room ? room.catch(() => null) : null;
  }

  /** Tears down the participant's handles at once: Janus stops forwarding their media to everyone and to them. */
  async leave(who: MediaParticipant): Promise<void> {
    const room = await this.existingRoom(who.sessionId);
    const entry = room?.participants.get(who.participantId);
    if (!room || !entry) return;
    room.participants.delete(who.participantId);
    const feed = room.feeds.get(who.participantId);
    await Promise.all([entry.publisher?.detach(), entry.subscriber?.handle.detach()]);
    if (feed !== undefined) {
      // Detaching removes the publisher; the kick also covers a feed published through another instance.
      await room.control
        .message({ request: "kick", room: room.janusRoom, secret: room.secret, id: feed })
        .catch(() => {});
      room.feeds.delete(who.participantId);
      this.publishEvent("UNPUBLISHED", room.sessionId, { participantId: who.participantId });
    }
  }

  /**
   * Janus records the session's room into `folder` from now on (every publisher, and those who publish later); a
   * session without a room yet records from the room's creation (`recordingFolderOf`).
   */
  async startRecording(sessionId: string, folder: string): Promise<void> {
    const room = await this.existingRoom(sessionId);
    if (!room || room.recordingFolder === folder) return;
    try {
      await room.control.message({ request: "edit", room: room.janusRoom, secret: room.secret, new_rec_dir: folder });
      await room.control.message({
        request: "enable_recording",
        room: room.janusRoom,
        secret: room.secret,
        record: true,
      });
      room.recordingFolder = folder;
    } catch (error) {
      throw this.refusal(error);
    }
  }

  /** Janus stops recording the room (it closes every recording file); only if it records into `folder`, when given. */
  async stopRecording(sessionId: string, folder?: string): Promise<void> {
    const room = await this.existingRoom(sessionId);
    if (!room?.recordingFolder || (folder !== undefined && room.recordingFolder !== folder)) return;
    room.recordingFolder = null;
    await room.control
      .message({ request: "enable_recording", room: room.janusRoom, secret: room.secret, record: false })
      .catch((error) => this.deps.logger.warn({ err: error, sessionId }, "could not stop the SFU room's recording"));
  }

  /** Destroys the session's room in Janus (every handle in it closes) and forgets it. */
  async closeRoom(sessionId: string): Promise<void> {
    const room = await this.existingRoom(sessionId);
    if (!room || this.rooms.get(sessionId) === undefined) return;
    this.rooms.delete(sessionId);
    await room.stopWatching();
    const handles = [...room.participants.values()].flatMap((entry) => [entry.publisher, entry.subscriber?.handle]);
    await Promise.all(handles.map((handle) => handle?.detach()));
    await room.control
      .message({ request: "destroy", room: room.janusRoom, secret: room.secret })
      .catch((error) => this.deps.logger.warn({ err: error, sessionId }, "could not destroy the SFU room"));
    await room.control.detach();
  }

  /** Whether Janus has this room (private rooms are not listed): a destroyed room is gone from Janus itself. */
  async janusHasRoom(janusRoom: string): Promise<boolean> {
    const handle = await (await this.session()).attach();
    try {
      return (await handle.message<{ exists?: boolean }>({ request: "exists", room: janusRoom })).data.exists === true;
    } finally {
      await handle.detach();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    for (const sessionId of [...this.rooms.keys()]) await this.closeRoom(sessionId).catch(() => {});
    await this.janus?.destroy();
  }
}

interface JanusPublisher {
  id: number | string;
  display?: string;
}

interface JanusStream {
  mid: string | number;
  type: string;
  feed_id?: number;
  feed_display?: string;
  active?: boolean;
}
