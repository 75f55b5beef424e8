import type {
  CallOptions,
  LinkQuality,
  MediaLink,
  RemoteState,
  RosterEntry,
  SfuEvent,
  SfuParticipantState,
  SfuSignaling,
  SfuStream,
} from "./call-types.ts";
import { classifyQuality, QUALITY_THRESHOLDS } from "./quality.ts";
import type { CallTopology, TopologyContext } from "./topology.ts";

/**
 * Through the media server (Janus SFU), brokered by the API: one publishing connection carrying the local camera and
 * microphone (simulcast in three layers where the browser supports it) and one receiving connection carrying every
 * publisher of the room, whatever the size of the room. The API relays SDP (`SfuSignaling`); the browser sends its
 * media to Janus's ports only. Each remote's layer follows its measured quality (good → high, fair → medium, poor →
 * low, poor at the low layer → audio only until it recovers); the active speaker comes from the server's audio levels.
 */

/** Three simulcast layers, lowest first (Janus's substreams 0, 1, 2). */
const SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: "f", maxBitrate: 1_200_000 },
];

/** Samples at the low layer still poor before the video pauses (audio only). */
const POOR_SAMPLES_BEFORE_AUDIO_ONLY = 2;

class SfuLink implements MediaLink {
  readonly quality: LinkQuality = { cursor: null, senderQuality: "unknown", pinnedQuality: null };
  readonly remote: RemoteState;
  /** The layer asked of the server: 0..2, or "audio" (video paused). */
  layer: number | "audio" = 2;
  poorSamples = 0;

  constructor(
    readonly peerId: string,
    readonly participantId: string | undefined,
    entry: RosterEntry,
    private readonly receivers: () => RTCRtpReceiver[],
  ) {
    this.remote = {
      peerId,
      name: entry.name,
      publishes: entry.publishes,
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

  /**
   * The quality monitor's view of this remote: the receivers carrying their feed (the receiving connection is
   * shared), and no senders (the publishing connection is shared too; layers replace per-remote sender limits).
   */
  get connection(): RTCPeerConnection | undefined {
    const receivers = this.receivers();
    if (receivers.length === 0) return undefined;
    const facade = {
      getSenders: () => [],
      getStats: async () => {
        const merged = new Map<string, unknown>();
        for (const report of await Promise.all(receivers.map((receiver) => receiver.getStats())))
          for (const [key, value] of report) merged.set(key, value);
        return merged;
      },
    };
    return facade as unknown as RTCPeerConnection;
  }
}

async function gathered(pc: RTCPeerConnection, timeoutMs = 3000): Promise<string> {
  if (pc.iceGatheringState !== "complete") {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }
  return pc.localDescription?.sdp ?? "";
}

export class SfuTopology implements CallTopology {
  readonly links = new Map<string, SfuLink>();
  private roster = new Map<string, RosterEntry>();
  private publisher: RTCPeerConnection | null = null;
  private subscriber: RTCPeerConnection | null = null;
  /** Participant ids whose media is up in the room. */
  private published = new Set<string>();
  private streams: SfuStream[] = [];
  private stopEvents: (() => void) | null = null;
  private layerTimer: ReturnType<typeof setInterval> | null = null;
  /** Subscription changes run one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Counts ROOM_RESTARTED rejoins: an older one still retrying stops. */
  private rejoins = 0;
  /** The remotes' toggles by participant id (they may come before their link). */
  private readonly states = new Map<string, SfuParticipantState>();
  private readonly sfu: SfuSignaling;

  /** Whether the local tracks are on the publishing connection (false while on standby). */
  private sending: boolean;
  /** connect() finished its requests: the call is up, or ready to go live on activate(). */
  private connected = false;

  /**
   * `standby`: connects beside the mesh (CallClient.prepareSfu): the publishing connection is negotiated with audio
   * but no microphone on it and video sending its lowest layer only, and the receiving connection carries the others'
   * lowest layers. activate() puts the microphone on and turns every layer on: the move costs no setup.
   */
  constructor(
    private options: CallOptions & { sfu: SfuSignaling },
    private context: TopologyContext,
    standby = false,
  ) {
    this.sfu = options.sfu;
    this.sending = !standby;
  }

  async connect(): Promise<void> {
    this.stopEvents = this.sfu.events((event) => this.onEvent(event));
    try {
      if (this.options.publishes) await this.publish();
      for (const id of await this.sfu.publishers()) this.published.add(id);
    } catch (error) {
      this.context.failed(error instanceof Error ? error.message : "The media server refused this call");
      throw error;
    }
    this.connected = true;
    this.resync();
    if (this.sending) this.goLive();
  }

  /** The standby becomes the call: the local tracks go on the senders (no renegotiation). */
  activate(): void {
    if (this.sending || this.closed) return;
    this.sending = true;
    const stream = this.context.local().stream;
    for (const { sender, receiver } of this.publisher?.getTransceivers() ?? []) {
      // The receiver's track tells the kind even where the sender has no track yet.
      const track =
        (receiver.track.kind === "audio" ? stream?.getAudioTracks()[0] : stream?.getVideoTracks()[0]) ?? null;
      // The camera may have changed (device, screen share) since the standby began.
      if (sender.track !== track) sender.replaceTrack(track).catch(() => undefined);
      const parameters = sender.getParameters();
      if (parameters.encodings?.some((layer) => layer.active === false)) {
        for (const layer of parameters.encodings) layer.active = true;
        sender.setParameters(parameters).catch(() => undefined);
      }
    }
    if (this.connected) this.goLive();
  }

  private goLive(): void {
    this.context.opened();
    this.context.changed();
    this.announce();
    // The others' toggles as last told (then STATE events); a failure leaves tiles unmuted until the next one.
    void this.sfu
      .states()
      .then((list) => {
        for (const state of list) this.applyState(state);
      })
      .catch(() => undefined);
    this.layerTimer = setInterval(() => this.chooseLayers(), this.options.statsIntervalMs ?? 2000);
  }

  /** A remote's toggles (mute, camera off, presenting) as the server relays them. */
  private applyState(state: SfuParticipantState): void {
    this.states.set(state.participantId, state);
    const link = this.linkOfParticipant(state.participantId);
    if (!link) return;
    link.remote.audioMuted = state.audioMuted;
    link.remote.videoOff = state.videoOff;
    link.remote.presenting = state.presenting;
    this.context.changed();
  }

  private newConnection(): RTCPeerConnection {
    return new RTCPeerConnection({
      iceServers: this.options.iceServers,
      iceTransportPolicy: this.options.iceTransportPolicy ?? "all",
    });
  }

  /** Sends the local camera and microphone to the media server (video in three simulcast layers). */
  private async publish(): Promise<void> {
    const stream = this.context.local().stream;
    const pc = this.newConnection();
    this.publisher = pc;
    const audio = stream?.getAudioTracks()[0];
    const video = stream?.getVideoTracks()[0];
    const streams = stream ? [stream] : [];
    // On standby audio is negotiated without its track, and video sends its lowest layer only (320×180 at most
    // 150 kbit/s, a few % of a core): at the move the others already receive a picture through the server, and the
    // higher layers follow with their first key frames.
    if (audio) pc.addTransceiver(this.sending ? audio : "audio", { direction: "sendonly", streams });
    if (video) {
      const sendEncodings = this.sending
        ? SIMULCAST
        : SIMULCAST.map((layer, index) => ({ ...layer, active: index === 0 }));
      try {
        pc.addTransceiver(video, { direction: "sendonly", streams, sendEncodings });
      } catch {
        // No simulcast here: one layer (on standby, none until activate()).
        pc.addTransceiver(this.sending ? video : "video", { direction: "sendonly", streams });
      }
    }
    if (!audio && !video) return;
    await pc.setLocalDescription(await pc.createOffer());
    const answer = await this.sfu.publish(await gathered(pc));
    if (this.closed) return;
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    performance.mark("call:sfu-published");
  }

  senders(): RTCRtpSender[] {
    return this.publisher?.getSenders() ?? [];
  }

  private onEvent(event: SfuEvent): void {
    if (this.closed) return;
    const id = event.participantId ?? "";
    switch (event.kind) {
      case "PUBLISHED":
        this.published.add(id);
        this.resync();
        break;
      case "UNPUBLISHED":
        this.published.delete(id);
        this.resync();
        break;
      case "TALKING":
      case "STOPPED_TALKING": {
        const link = [...this.links.values()].find((candidate) => candidate.participantId === id);
        if (link) {
          link.remote.talking = event.kind === "TALKING";
          this.context.changed();
        }
        break;
      }
      case "SUBSCRIPTION_OFFER":
        if (event.sdp) {
          const sdp = event.sdp;
          this.enqueue(() => this.applyOffer(sdp, event.streams ?? this.streams));
        }
        break;
      case "ROOM_RESTARTED":
        void this.rejoin();
        break;
      case "STATE":
        if (event.participantId)
          this.applyState({
            participantId: event.participantId,
            audioMuted: !!event.audioMuted,
            videoOff: !!event.videoOff,
            presenting: !!event.presenting,
          });
        break;
    }
  }

  /**
   * The media server restarted: everything is set up again without leaving the page; tiles show "reconnecting" until
   * their media is back. While the server is still coming back (MediaServerUnavailable) this retries, 0.5 s doubling
   * to 4 s; a newer ROOM_RESTARTED starts over.
   */
  private async rejoin(): Promise<void> {
    const attempt = ++this.rejoins;
    for (const link of this.links.values()) link.remote.connection = "reconnecting";
    this.context.changed();
    for (let delayMs = 500; !this.closed && attempt === this.rejoins; delayMs = Math.min(delayMs * 2, 4000)) {
      this.publisher?.close();
      this.subscriber?.close();
      this.publisher = null;
      this.subscriber = null;
      this.published.clear();
      this.streams = [];
      try {
        if (this.options.publishes) await this.publish();
        for (const id of await this.sfu.publishers()) this.published.add(id);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    if (!this.closed && attempt === this.rejoins) this.resync();
  }

  private enqueue(step: () => Promise<void>) {
    this.queue = this.queue.then(step).catch(() => undefined);
  }

  /** Subscribes to exactly the roster's participants whose media is up. */
  private resync(): void {
    this.enqueue(async () => {
      if (this.closed) return;
      const wanted = [...this.roster.values()]
        .map((entry) => entry.participantId)
        .filter((id): id is string => !!id && this.published.has(id));
      const offer = await this.sfu.subscribe(wanted);
      this.streams = offer.streams;
      if (offer.sdp) await this.applyOffer(offer.sdp, offer.streams);
      this.dropInactive();
    });
  }

  private async applyOffer(sdp: string, streams: SfuStream[]): Promise<void> {
    if (this.closed) return;
    this.streams = streams;
    if (!this.subscriber) {
      const pc = this.newConnection();
      pc.ontrack = (event) => this.onTrack(event);
      this.subscriber = pc;
    }
    const pc = this.subscriber;
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await this.sfu.answer(await gathered(pc));
    performance.mark("call:sfu-subscribed");
    this.dropInactive();
  }

  private participantOfMid(mid: string | null): string | null {
    return this.streams.find((stream) => stream.mid === mid && stream.active)?.participantId ?? null;
  }

  private linkOfParticipant(participantId: string): SfuLink | undefined {
    for (const link of this.links.values()) if (link.participantId === participantId) return link;
    return undefined;
  }

  private onTrack(event: RTCTrackEvent): void {
    const participantId = this.participantOfMid(event.transceiver.mid);
    const link = participantId ? this.linkOfParticipant(participantId) : undefined;
    if (!link) return;
    const others = link.remote.stream?.getTracks().filter((track) => track.kind !== event.track.kind) ?? [];
    link.remote.stream = new MediaStream([...others, event.track]);
    // Their media flowing (again) is news: the call shows it (CallClient's handover waits for it).
    event.track.addEventListener("unmute", () => {
      performance.mark(`call:sfu-unmute-${event.track.kind}`);
      this.context.changed();
    });
    link.remote.connection = "connected";
    this.context.mediaArrived(link);
    this.context.changed();
  }

  /** Remotes whose feed left the subscription lose their media (their tile stays while they are on the roster). */
  private dropInactive(): void {
    const active = new Set(this.streams.filter((stream) => stream.active).map((stream) => stream.participantId));
    for (const link of this.links.values()) {
      if (link.participantId && !active.has(link.participantId) && link.remote.stream) {
        link.remote.stream = null;
        // A remote lost in a media server restart stays "reconnecting" until its media is back (onTrack).
        if (link.remote.connection !== "reconnecting") link.remote.connection = "connecting";
      }
    }
    this.context.changed();
  }

  private receiversOf(participantId: string | undefined): RTCRtpReceiver[] {
    if (!participantId || !this.subscriber) return [];
    const mids = new Set(
      this.streams.filter((stream) => stream.participantId === participantId && stream.active).map((s) => s.mid),
    );
    return this.subscriber
      .getTransceivers()
      .filter((transceiver) => transceiver.mid !== null && mids.has(transceiver.mid))
      .map((transceiver) => transceiver.receiver);
  }

  setRoster(entries: RosterEntry[]): void {
    this.roster = new Map(entries.map((entry) => [entry.peerId, entry]));
    for (const entry of entries) {
      if (!entry.publishes || this.links.has(entry.peerId)) continue;
      const participantId = entry.participantId;
      const link = new SfuLink(entry.peerId, participantId, entry, () => this.receiversOf(participantId));
      this.links.set(entry.peerId, link);
      const state = participantId ? this.states.get(participantId) : undefined;
      if (state) {
        link.remote.audioMuted = state.audioMuted;
        link.remote.videoOff = state.videoOff;
        link.remote.presenting = state.presenting;
      }
    }
    for (const [peerId, link] of this.links) {
      const entry = this.roster.get(peerId);
      if (!entry?.publishes) this.links.delete(peerId);
      else link.remote.name = entry.name;
    }
    this.context.changed();
    if (this.stopEvents) this.resync();
  }

  /** The quality logic picks each remote's layer; a poor link pauses video (audio only) and recovers. */
  private chooseLayers(): void {
    for (const link of this.links.values()) {
      if (!link.participantId || !link.remote.stream) continue;
      // The path's loss and delay decide, not the received bitrate (a lower layer lowers it by itself) nor jitter (a
      // receiver short of CPU shows jitter that a lower layer does not cure). Only loss pauses the video.
      const { rttMs, loss } = link.remote.stats;
      const quality = classifyQuality({ rttMs, loss, jitterMs: null, bitrate: null, expectsVideo: false });
      const lossy = (loss ?? 0) > QUALITY_THRESHOLDS.poor.loss;
      let layer: number | "audio" = quality === "poor" ? 0 : quality === "fair" ? 1 : 2;
      if (lossy && (link.layer === 0 || link.layer === "audio")) {
        link.poorSamples++;
        if (link.poorSamples >= POOR_SAMPLES_BEFORE_AUDIO_ONLY) layer = "audio";
      } else link.poorSamples = 0;
      // Audio only measures no video: come back to the low layer after a sample without loss or delay trouble.
      if (link.layer === "audio" && !lossy) layer = 0;
      if (layer === link.layer) continue;
      const previous = link.layer;
      link.layer = layer;
      link.remote.audioOnly = layer === "audio";
      const request =
        layer === "audio"
          ? { audioOnly: true }
          : { substream: layer, ...(previous === "audio" ? { audioOnly: false } : {}) };
      this.sfu.configure(link.participantId, request).catch(() => {
        link.layer = previous;
      });
      this.context.changed();
    }
  }

  setPublishing(publishes: boolean): void {
    if (publishes === this.options.publishes) return;
    this.options = { ...this.options, publishes };
    if (publishes) {
      this.publish().catch(() => undefined);
      return;
    }
    // Stop sending: the server drops both handles, the subscription is set up again.
    this.publisher?.close();
    this.publisher = null;
    this.subscriber?.close();
    this.subscriber = null;
    this.enqueue(() => this.sfu.leave());
    this.resync();
  }

  /**
   * Tells the others this side's toggles: the tracks themselves only go silent or black, so the server relays the
   * flags (mediaState → sessionMedia STATE), as the mesh's data connections do between peers.
   */
  announce(): void {
    if (this.closed || !this.stopEvents || !this.options.publishes || !this.sending) return;
    const local = this.context.local();
    this.sfu
      .state({ audioMuted: local.audioMuted, videoOff: local.videoOff, presenting: local.screenSharing })
      .catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    this.stopEvents?.();
    if (this.layerTimer) clearInterval(this.layerTimer);
    this.publisher?.close();
    this.subscriber?.close();
    void this.sfu.leave().catch(() => undefined);
    this.links.clear();
  }
}
