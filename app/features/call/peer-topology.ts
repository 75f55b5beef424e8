import { type DataConnection, type MediaConnection, Peer, type PeerError } from "peerjs";
import type { CallOptions, LinkQuality, MediaLink, RemoteState, RosterEntry } from "./call-types.ts";
import type { CallTopology, TopologyContext } from "./topology.ts";

/**
 * Peer-to-peer through PeerJS: the PeerJS peer (signaling, with reconnection), one media and one data connection
 * per remote, and who calls whom.
 * - mesh (support calls, consultations, trainings): every participant calls every other, up to MAX_MESH_SIZE
 *   participants (each one uploads its media once per other participant, see docs/calls.md);
 * - webinar: only publishers (host and promoted presenters) send media. Publishers form a mesh among themselves;
 *   each attendee calls each publisher with an empty local stream and receive-only transceivers, and attendees
 *   never connect to each other.
 * Between two peers that both publish, the one with the smaller peer id calls (no glare). A viewer always calls.
 */
export const MAX_MESH_SIZE = 8;

/** Label of the short-lived data connection a callee opens to say it is online (see ensureLink). */
const KNOCK = "knock";
/** How long a knock waits to open before it is closed. */
const KNOCK_TIMEOUT_MS = 5000;
/** CallOptions.connectTimeoutMs's default. */
const CONNECT_TIMEOUT_MS = 15_000;

/** Control messages on the PeerJS data connection between two peers. */
type ControlMessage = { type: "state"; audioMuted: boolean; videoOff: boolean; presenting: boolean };

class PeerLink implements MediaLink {
  media: MediaConnection | null = null;
  data: DataConnection | null = null;
  retries = 0;
  retryTimer: ReturnType<typeof setTimeout> | null = null;
  readonly quality: LinkQuality = { cursor: null, senderQuality: "unknown", pinnedQuality: null };
  readonly remote: RemoteState;

  constructor(
    readonly peerId: string,
    entry: RosterEntry | undefined,
  ) {
    this.remote = {
      peerId,
      name: entry?.name,
      publishes: entry?.publishes ?? true,
      stream: null,
      audioMuted: false,
      videoOff: false,
      presenting: false,
      quality: "unknown",
      stats: { rttMs: null, loss: null, jitterMs: null, bitrate: null },
      framesDecoded: 0,
      audioLevel: 0,
      connection: "connecting",
    };
  }

  get connection(): RTCPeerConnection | undefined {
    return this.media?.peerConnection ?? undefined;
  }
}

export class PeerTopology implements CallTopology {
  readonly links = new Map<string, PeerLink>();
  private peer: Peer | null = null;
  private roster = new Map<string, RosterEntry>();
  private signalingRetries = 0;
  private closed = false;
  private readonly emptyStream = new MediaStream();

  constructor(
    private options: CallOptions,
    private context: TopologyContext,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const peer = new Peer(this.options.peerId, {
        host: this.options.host,
        port: this.options.port,
        secure: this.options.secure,
        path: this.options.path ?? "/peerjs",
        key: "peerjs",
        token: this.options.token,
        config: { iceServers: this.options.iceServers, iceTransportPolicy: this.options.iceTransportPolicy ?? "all" },
        debug: 0,
      });
      this.peer = peer;
      let opened = false;
      peer.on("open", () => {
        opened = true;
        this.signalingRetries = 0;
        this.context.opened();
        for (const entry of this.roster.values()) this.ensureLink(entry.peerId);
        resolve();
      });
      peer.on("call", (call) => this.onIncomingCall(call));
      peer.on("connection", (data) => this.onIncomingData(data));
      peer.on("disconnected", () => {
        // Signaling dropped (network): media keeps flowing; reconnect the signaling socket with backoff.
        if (this.closed || peer.destroyed) return;
        const delay = Math.min(15_000, (this.options.reconnectBaseMs ?? 1000) * 2 ** this.signalingRetries++);
        setTimeout(() => {
          if (!peer.destroyed && peer.disconnected) peer.reconnect();
        }, delay);
      });
      peer.on("error", (error: PeerError<string>) => {
        if (error.type === "server-error" || error.type === "unavailable-id" || error.type === "invalid-key") {
          // Refused or revoked by the signaling server: this participant may not be in the room.
          this.context.failed(error.message || "refused by the signaling server");
          if (!opened) reject(new Error(error.message));
          return;
        }
        if (error.type === "peer-unavailable") {
          this.onPeerUnavailable(error.message);
          return;
        }
        if (
          !opened &&
          (error.type === "socket-error" || error.type === "network" || error.type === "browser-incompatible")
        ) {
          this.context.failed(error.message);
          reject(new Error(error.message));
        }
      });
    });
  }

  /** The callee was not connected to signaling yet (the server dropped the queued offer): call again later. */
  private onPeerUnavailable(message: string): void {
    const peerId = /peer (\S+)$/.exec(message)?.[1];
    const link = peerId ? this.links.get(peerId) : undefined;
    if (!peerId || !link) return;
    this.dropUnanswered(link, !link.remote.stream);
  }

  /**
   * Gives up a call that never got going and places it again with backoff. PeerJS emits no "close" for a call that
   * got no answer, so the link lets go of it here rather than in onGone. `media: false` keeps a call that brings
   * media and only lets go of a data connection that never opened.
   */
  private dropUnanswered(link: PeerLink, media = true): void {
    if (media && link.media) {
      const stale = link.media;
      link.media = null;
      link.remote.stream = null;
      stale.close();
    }
    if (link.data && !link.data.open) {
      const data = link.data;
      link.data = null;
      data.close();
    }
    this.scheduleReconnect(link.peerId);
  }

  setRoster(entries: RosterEntry[]): void {
    const next = new Map(entries.filter((entry) => entry.peerId !== this.options.peerId).map((e) => [e.peerId, e]));
    for (const peerId of [...this.links.keys()]) {
      if (!next.has(peerId)) this.dropLink(peerId);
    }
    for (const [peerId, entry] of next) {
      const before = this.roster.get(peerId);
      this.roster.set(peerId, entry);
      const link = this.links.get(peerId);
      if (link) {
        link.remote.name = entry.name;
        if (before && before.publishes !== entry.publishes) {
          // Promoted or demoted: the connection's shape changes, so it is set up again.
          this.closeLinkConnections(link);
          link.remote.publishes = entry.publishes;
          link.remote.stream = null;
        }
      }
    }
    for (const peerId of [...this.roster.keys()]) if (!next.has(peerId)) this.roster.delete(peerId);
    if (this.peer?.open) for (const peerId of this.roster.keys()) this.ensureLink(peerId);
  }

  setPublishing(publishes: boolean): void {
    this.options = { ...this.options, publishes };
    for (const link of this.links.values()) this.closeLinkConnections(link);
    for (const peerId of this.roster.keys()) this.ensureLink(peerId);
  }

  private needsConnection(entry: RosterEntry): boolean {
    if (this.options.topology === "mesh") return true;
    return this.options.publishes || entry.publishes;
  }

  /** Whether this side places the call to `entry` (see the rule above). */
  private isCaller(entry: RosterEntry): boolean {
    if (this.options.topology === "webinar" && this.options.publishes !== entry.publishes)
      return !this.options.publishes;
    return this.options.peerId < entry.peerId;
  }

  private linkFor(peerId: string): PeerLink {
    let link = this.links.get(peerId);
    if (!link) {
      link = new PeerLink(peerId, this.roster.get(peerId));
      this.links.set(peerId, link);
    }
    return link;
  }

  /** What this side sends: its camera (or screen) when it publishes and has media. */
  private outgoing(): MediaStream | null {
    const stream = this.context.local().stream;
    return this.options.publishes && stream ? stream : null;
  }

  private ensureLink(peerId: string): void {
    const entry = this.roster.get(peerId);
    const peer = this.peer;
    if (!entry || !peer?.open || !this.needsConnection(entry)) return;
    const link = this.linkFor(peerId);
    if (link.media) return;
    if (!this.isCaller(entry)) {
      // Knock: tells the caller this side is online now, so it calls at once instead of waiting for its retry.
      const knock = peer.connect(peerId, { label: KNOCK, serialization: "json" });
      // A knock on a caller that is not connected yet never opens (the server drops the offer and PeerJS only
      // reports `peer-unavailable` on the Peer): give it up after a while instead of leaving it open.
      const giveUp = setTimeout(() => knock?.close(), KNOCK_TIMEOUT_MS);
      knock?.on("open", () => {
        clearTimeout(giveUp);
        setTimeout(() => knock.close(), 1000);
      });
      knock?.on("error", () => {
        clearTimeout(giveUp);
        knock.close();
      });
      return;
    }
    const sends = this.options.publishes;
    const call = peer.call(peerId, this.outgoing() ?? this.emptyStream, {
      metadata: { publishes: sends },
      // Receive-only offer when this side sends nothing (webinar attendee).
      constraints: { offerToReceiveAudio: true, offerToReceiveVideo: true },
    } as Parameters<Peer["call"]>[2]);
    if (!call) return;
    this.attachMedia(link, call);
    this.watchConnect(link, call);
    if (!link.data) this.attachData(link, peer.connect(peerId, { reliable: true, serialization: "json" }));
  }

  private onIncomingCall(call: MediaConnection): void {
    const entry = this.roster.get(call.peer);
    // Only answer peers the session says are in the room (the server already checked their admission).
    if (!entry || !this.needsConnection(entry)) {
      call.close();
      return;
    }
    const link = this.linkFor(call.peer);
    if (link.media && link.media !== call) {
      const old = link.media;
      link.media = null;
      old.close();
    }
    call.answer(this.outgoing() ?? undefined);
    this.attachMedia(link, call);
  }

  private onIncomingData(data: DataConnection): void {
    if (!this.roster.has(data.peer)) {
      data.close();
      return;
    }
    if (data.label === KNOCK) {
      data.on("open", () => data.close());
      const entry = this.roster.get(data.peer);
      const link = this.links.get(data.peer);
      if (entry && this.isCaller(entry) && !link?.media) {
        if (link?.retryTimer) clearTimeout(link.retryTimer);
        if (link) {
          link.retryTimer = null;
          link.retries = 0;
        }
        this.ensureLink(data.peer);
      }
      return;
    }
    const link = this.linkFor(data.peer);
    if (link.data && link.data !== data) link.data.close();
    this.attachData(link, data);
  }

  private attachMedia(link: PeerLink, call: MediaConnection): void {
    link.media = call;
    link.remote.connection = link.retries > 0 ? "reconnecting" : "connecting";
    // PeerJS emits `stream` once per remote track (audio, then video): keep one stream, update on new tracks.
    call.on("stream", (stream) => {
      if (link.media !== call) return;
      link.remote.stream = stream;
      link.remote.connection = "connected";
      link.retries = 0;
      this.context.changed();
      this.context.mediaArrived(link);
    });
    const onGone = () => {
      if (link.media !== call) return;
      link.media = null;
      link.remote.stream = null;
      link.quality.cursor = null;
      this.context.changed();
      this.scheduleReconnect(link.peerId);
    };
    call.on("close", onGone);
    call.on("error", onGone);
    call.on("iceStateChanged", (state) => {
      if ((state === "connected" || state === "completed") && link.media === call) {
        link.remote.connection = "connected";
        this.context.changed();
      }
      // A dropped network path: PeerJS closes on "failed"; a long "disconnected" is treated the same.
      if (state === "disconnected") {
        setTimeout(() => {
          if (link.media === call && call.peerConnection?.iceConnectionState === "disconnected") call.close();
        }, 5000);
      }
    });
    this.context.changed();
  }

  /**
   * Places the call again when it has not connected in time: a lost offer or answer (a signaling hiccup, a callee
   * that reloaded) leaves the connection in "new" or "checking" with nothing that would ever fail it. The callee
   * replaces its side when the new call comes in (onIncomingCall).
   */
  private watchConnect(link: PeerLink, call: MediaConnection): void {
    const timer = setTimeout(() => {
      const state = call.peerConnection?.iceConnectionState;
      if (link.media !== call || this.closed || state === "connected" || state === "completed") return;
      this.dropUnanswered(link);
    }, this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    const stop = () => clearTimeout(timer);
    call.on("close", stop);
    call.on("iceStateChanged", (state) => {
      if (state === "connected" || state === "completed") stop();
    });
  }

  private attachData(link: PeerLink, data: DataConnection): void {
    link.data = data;
    data.on("open", () => this.sendState(data));
    data.on("data", (message) => {
      const control = message as ControlMessage;
      if (control?.type === "state") {
        link.remote.audioMuted = !!control.audioMuted;
        link.remote.videoOff = !!control.videoOff;
        link.remote.presenting = !!control.presenting;
        this.context.changed();
      }
    });
    data.on("close", () => {
      if (link.data === data) link.data = null;
    });
    data.on("error", () => {
      if (link.data === data) link.data = null;
    });
  }

  /** Re-calls a dropped peer with backoff while it is still in the room (the caller side re-calls). */
  private scheduleReconnect(peerId: string): void {
    const link = this.links.get(peerId);
    const entry = this.roster.get(peerId);
    if (!link || !entry || this.closed || link.retryTimer) return;
    link.remote.connection = "reconnecting";
    this.context.changed();
    if (!this.isCaller(entry)) return;
    const delay = Math.min(15_000, (this.options.reconnectBaseMs ?? 1000) * 2 ** link.retries++);
    link.retryTimer = setTimeout(() => {
      link.retryTimer = null;
      if (link.media) return;
      if (link.data && !link.data.open) {
        link.data.close();
        link.data = null;
      }
      this.ensureLink(peerId);
    }, delay);
  }

  private closeLinkConnections(link: PeerLink): void {
    if (link.retryTimer) clearTimeout(link.retryTimer);
    link.retryTimer = null;
    const { media, data } = link;
    link.media = null;
    link.data = null;
    media?.close();
    data?.close();
  }

  private dropLink(peerId: string): void {
    const link = this.links.get(peerId);
    if (!link) return;
    this.links.delete(peerId);
    this.closeLinkConnections(link);
  }

  private sendState(data?: DataConnection): void {
    const local = this.context.local();
    const message: ControlMessage = {
      type: "state",
      audioMuted: local.audioMuted,
      videoOff: local.videoOff,
      presenting: local.screenSharing,
    };
    const targets = data ? [data] : [...this.links.values()].map((link) => link.data);
    for (const target of targets) if (target?.open) void target.send(message);
  }

  announce(): void {
    this.sendState();
  }

  close(): void {
    this.closed = true;
    for (const peerId of [...this.links.keys()]) this.dropLink(peerId);
    this.peer?.destroy();
    this.peer = null;
  }
}
