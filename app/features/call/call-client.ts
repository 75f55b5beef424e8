import { type DataConnection, type MediaConnection, Peer, type PeerError } from "peerjs";
import { classifyQuality, type Quality, type StatsCursor, sampleFromReport, senderEncodingFor } from "./quality.ts";

/**
 * The call core, framework-agnostic: owns local media, the PeerJS peer, media and data connections, screen share,
 * toggles and quality stats. Components render `state` and call the methods; nothing else touches PeerJS.
 *
 * Topology
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

export interface RosterEntry {
  peerId: string;
  /** Sends media: everyone in a mesh; host and presenters in a webinar. */
  publishes: boolean;
  name?: string;
}

export interface CallOptions {
  /** Signaling server: the API's origin; PeerJS connects to <origin>/peerjs. */
  host: string;
  port: number;
  secure: boolean;
  path?: string;
  /** Issued by the API to this admitted participant. */
  peerId: string;
  /** The participant token (PeerJS `token`): the signaling server checks it against the peer id. */
  token: string;
  iceServers: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  topology: "mesh" | "webinar";
  /** Whether this participant sends media (always true in a mesh). */
  publishes: boolean;
  /** How often quality is sampled, ms (default 2000). */
  statsIntervalMs?: number;
  /** First reconnection delay, ms (doubles up to 15 s). */
  reconnectBaseMs?: number;
  /** Camera constraints besides the device (default: ideal 1280×720). */
  videoConstraints?: MediaTrackConstraints;
}

export interface RemoteState {
  peerId: string;
  name?: string;
  publishes: boolean;
  stream: MediaStream | null;
  audioMuted: boolean;
  videoOff: boolean;
  presenting: boolean;
  quality: Quality;
  stats: { rttMs: number | null; loss: number | null; jitterMs: number | null; bitrate: number | null };
  framesDecoded: number;
  connection: "connecting" | "connected" | "reconnecting";
}

export interface LocalState {
  stream: MediaStream | null;
  audioMuted: boolean;
  videoOff: boolean;
  screenSharing: boolean;
  audioDeviceId?: string;
  videoDeviceId?: string;
}

export interface CallState {
  status: "idle" | "previewing" | "joining" | "joined" | "left";
  /** Why the call ended or could not start (e.g. refused by the signaling server). */
  error?: string;
  local: LocalState;
  remotes: RemoteState[];
  /** Who is sharing a screen now (shown large), if anyone. */
  presenterId: string | null;
}

/** Control messages on the PeerJS data connection between two peers. */
type ControlMessage = { type: "state"; audioMuted: boolean; videoOff: boolean; presenting: boolean };

interface Link {
  peerId: string;
  media: MediaConnection | null;
  data: DataConnection | null;
  remote: RemoteState;
  cursor: StatsCursor | null;
  senderQuality: Quality;
  pinnedQuality: Quality | null;
  retries: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
}

export type DeviceKind = "audioinput" | "videoinput";

/** Lists cameras and microphones (labels appear once the user allowed media). */
export async function listDevices(): Promise<{ audio: MediaDeviceInfo[]; video: MediaDeviceInfo[] }> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return {
    audio: devices.filter((device) => device.kind === "audioinput"),
    video: devices.filter((device) => device.kind === "videoinput"),
  };
}

/** A black video track, so a sender exists for screen share even without a camera. */
function blankVideoTrack(): MediaStreamTrack {
  const canvas = Object.assign(document.createElement("canvas"), { width: 320, height: 180 });
  const context = canvas.getContext("2d");
  if (context) context.fillRect(0, 0, canvas.width, canvas.height);
  const track = canvas.captureStream(1).getVideoTracks()[0];
  if (!track) throw new Error("canvas capture is not supported");
  return track;
}

export class CallClient {
  state: CallState = {
    status: "idle",
    local: { stream: null, audioMuted: false, videoOff: false, screenSharing: false },
    remotes: [],
    presenterId: null,
  };
  private listeners = new Set<(state: CallState) => void>();
  private peer: Peer | null = null;
  private links = new Map<string, Link>();
  private roster = new Map<string, RosterEntry>();
  private cameraTrack: MediaStreamTrack | null = null;
  private screenTrack: MediaStreamTrack | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private signalingRetries = 0;
  private readonly emptyStream = new MediaStream();

  constructor(private options: CallOptions) {}

  subscribe(listener: (state: CallState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    this.state = {
      ...this.state,
      local: { ...this.state.local },
      remotes: [...this.links.values()].map((link) => ({ ...link.remote })),
      presenterId: this.state.local.screenSharing
        ? this.options.peerId
        : ([...this.links.values()].find((link) => link.remote.presenting)?.peerId ?? null),
    };
    for (const listener of this.listeners) listener(this.state);
  }

  /** Camera and microphone preview before joining (also used to switch devices later). */
  async startPreview(devices: { audioDeviceId?: string; videoDeviceId?: string } = {}): Promise<MediaStream> {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: devices.audioDeviceId ? { deviceId: { exact: devices.audioDeviceId } } : true,
      video: {
        ...(this.options.videoConstraints ?? { width: { ideal: 1280 }, height: { ideal: 720 } }),
        ...(devices.videoDeviceId ? { deviceId: { exact: devices.videoDeviceId } } : {}),
      },
    });
    const previous = this.state.local.stream;
    const audio = stream.getAudioTracks()[0] ?? null;
    const video = stream.getVideoTracks()[0] ?? blankVideoTrack();
    if (audio) audio.enabled = !this.state.local.audioMuted;
    video.enabled = !this.state.local.videoOff;
    if (previous) {
      // Device switch while in the call: replace the tracks on every sender, no renegotiation.
      for (const old of previous.getTracks()) {
        if (old === this.screenTrack) continue;
        previous.removeTrack(old);
        old.stop();
      }
      if (audio) previous.addTrack(audio);
      this.cameraTrack = video;
      if (!this.screenTrack) previous.addTrack(video);
      await this.replaceOnSenders("audio", audio);
      if (!this.screenTrack) await this.replaceOnSenders("video", video);
    } else {
      this.cameraTrack = video;
      this.state.local.stream = new MediaStream([...(audio ? [audio] : []), video]);
    }
    this.state.local.audioDeviceId = audio?.getSettings().deviceId;
    this.state.local.videoDeviceId = video.getSettings().deviceId;
    if (this.state.status === "idle") this.state.status = "previewing";
    this.emit();
    return this.state.local.stream as MediaStream;
  }

  /** Connects to the signaling server and calls the peers on the roster. */
  async join(roster: RosterEntry[] = []): Promise<void> {
    if (this.options.publishes && !this.state.local.stream) await this.startPreview();
    this.state.status = "joining";
    this.emit();
    this.setRoster(roster);
    await this.connectSignaling();
    this.statsTimer = setInterval(() => void this.sampleStats(), this.options.statsIntervalMs ?? 2000);
  }

  private connectSignaling(): Promise<void> {
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
        this.state.status = "joined";
        this.emit();
        for (const entry of this.roster.values()) this.ensureLink(entry.peerId);
        resolve();
      });
      peer.on("call", (call) => this.onIncomingCall(call));
      peer.on("connection", (data) => this.onIncomingData(data));
      peer.on("disconnected", () => {
        // Signaling dropped (network): media keeps flowing; reconnect the signaling socket with backoff.
        if (this.state.status === "left" || peer.destroyed) return;
        const delay = Math.min(15_000, (this.options.reconnectBaseMs ?? 1000) * 2 ** this.signalingRetries++);
        setTimeout(() => {
          if (!peer.destroyed && peer.disconnected) peer.reconnect();
        }, delay);
      });
      peer.on("error", (error: PeerError<string>) => {
        if (error.type === "server-error" || error.type === "unavailable-id" || error.type === "invalid-key") {
          // Refused or revoked by the signaling server: this participant may not be in the room.
          this.leave(error.message || "refused by the signaling server");
          if (!opened) reject(new Error(error.message));
          return;
        }
        if (error.type === "peer-unavailable") {
          // The callee was not connected to signaling yet (the server dropped the queued offer): call again later.
          const peerId = /peer (\S+)$/.exec(error.message)?.[1];
          const link = peerId ? this.links.get(peerId) : undefined;
          if (!peerId || !link) return;
          if (link.media && !link.remote.stream) {
            const stale = link.media;
            link.media = null;
            stale.close();
          }
          if (link.data && !link.data.open) {
            const stale = link.data;
            link.data = null;
            stale.close();
          }
          this.scheduleReconnect(peerId);
          return;
        }
        if (
          !opened &&
          (error.type === "socket-error" || error.type === "network" || error.type === "browser-incompatible")
        ) {
          this.leave(error.message);
          reject(new Error(error.message));
        }
      });
    });
  }

  /** The room's participants as the session subscription reports them; connects to new ones, drops gone ones. */
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
    this.emit();
  }

  /** Promotes or demotes this participant (webinar presenter); reconnects with or without media. */
  async setPublishing(publishes: boolean): Promise<void> {
    if (publishes === this.options.publishes) return;
    this.options = { ...this.options, publishes };
    if (publishes && !this.state.local.stream) await this.startPreview();
    if (!publishes) {
      // Demoted: the camera and microphone are released (privacy), screen share ends.
      if (this.screenTrack) await this.stopScreenShare();
      for (const track of this.state.local.stream?.getTracks() ?? []) track.stop();
      this.cameraTrack = null;
      this.state.local = { ...this.state.local, stream: null };
    }
    for (const link of this.links.values()) this.closeLinkConnections(link);
    for (const peerId of this.roster.keys()) this.ensureLink(peerId);
    this.emit();
  }

  private needsConnection(entry: RosterEntry): boolean {
    if (this.options.topology === "mesh") return true;
    return this.options.publishes || entry.publishes;
  }

  /** Whether this side places the call to `entry` (see the topology rule above). */
  private isCaller(entry: RosterEntry): boolean {
    if (this.options.topology === "webinar" && this.options.publishes !== entry.publishes)
      return !this.options.publishes;
    return this.options.peerId < entry.peerId;
  }

  private linkFor(peerId: string): Link {
    let link = this.links.get(peerId);
    if (!link) {
      const entry = this.roster.get(peerId);
      link = {
        peerId,
        media: null,
        data: null,
        cursor: null,
        senderQuality: "unknown",
        pinnedQuality: null,
        retries: 0,
        retryTimer: null,
        remote: {
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
          connection: "connecting",
        },
      };
      this.links.set(peerId, link);
    }
    return link;
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
    const call = peer.call(peerId, sends && this.state.local.stream ? this.state.local.stream : this.emptyStream, {
      metadata: { publishes: sends },
      // Receive-only offer when this side sends nothing (webinar attendee).
      constraints: { offerToReceiveAudio: true, offerToReceiveVideo: true },
    } as Parameters<Peer["call"]>[2]);
    if (!call) return;
    this.attachMedia(link, call);
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
    call.answer(this.options.publishes && this.state.local.stream ? this.state.local.stream : undefined);
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

  private attachMedia(link: Link, call: MediaConnection): void {
    link.media = call;
    link.remote.connection = link.retries > 0 ? "reconnecting" : "connecting";
    // PeerJS emits `stream` once per remote track (audio, then video): keep one stream, update on new tracks.
    call.on("stream", (stream) => {
      if (link.media !== call) return;
      link.remote.stream = stream;
      link.remote.connection = "connected";
      link.retries = 0;
      this.emit();
      void this.applySenderQuality(link);
    });
    const onGone = () => {
      if (link.media !== call) return;
      link.media = null;
      link.remote.stream = null;
      link.cursor = null;
      this.emit();
      this.scheduleReconnect(link.peerId);
    };
    call.on("close", onGone);
    call.on("error", onGone);
    call.on("iceStateChanged", (state) => {
      if ((state === "connected" || state === "completed") && link.media === call) {
        link.remote.connection = "connected";
        this.emit();
      }
      // A dropped network path: PeerJS closes on "failed"; a long "disconnected" is treated the same.
      if (state === "disconnected") {
        setTimeout(() => {
          if (link.media === call && call.peerConnection?.iceConnectionState === "disconnected") call.close();
        }, 5000);
      }
    });
    this.emit();
  }

  private attachData(link: Link, data: DataConnection): void {
    link.data = data;
    data.on("open", () => this.sendState(data));
    data.on("data", (message) => {
      const control = message as ControlMessage;
      if (control?.type === "state") {
        link.remote.audioMuted = !!control.audioMuted;
        link.remote.videoOff = !!control.videoOff;
        link.remote.presenting = !!control.presenting;
        this.emit();
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
    if (!link || !entry || this.state.status === "left" || link.retryTimer) return;
    link.remote.connection = "reconnecting";
    this.emit();
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

  private closeLinkConnections(link: Link): void {
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
    const message: ControlMessage = {
      type: "state",
      audioMuted: this.state.local.audioMuted,
      videoOff: this.state.local.videoOff,
      presenting: this.state.local.screenSharing,
    };
    const targets = data ? [data] : [...this.links.values()].map((link) => link.data);
    for (const target of targets) if (target?.open) void target.send(message);
  }

  setAudioMuted(muted: boolean): void {
    for (const track of this.state.local.stream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.state.local.audioMuted = muted;
    this.sendState();
    this.emit();
  }

  setVideoOff(off: boolean): void {
    if (this.cameraTrack) this.cameraTrack.enabled = !off;
    this.state.local.videoOff = off;
    this.sendState();
    this.emit();
  }

  private senders(kind: "audio" | "video"): RTCRtpSender[] {
    const senders: RTCRtpSender[] = [];
    for (const link of this.links.values()) {
      for (const sender of link.media?.peerConnection?.getSenders() ?? []) {
        if (sender.track?.kind === kind || (!sender.track && kind === "video")) senders.push(sender);
      }
    }
    return senders;
  }

  private async replaceOnSenders(kind: "audio" | "video", track: MediaStreamTrack | null): Promise<void> {
    await Promise.all(this.senders(kind).map((sender) => sender.replaceTrack(track).catch(() => undefined)));
  }

  /** Shares the screen in place of the camera on every connection (RTCRtpSender.replaceTrack). */
  async startScreenShare(): Promise<void> {
    if (this.screenTrack || !this.options.publishes) return;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track) return;
    this.screenTrack = track;
    track.addEventListener("ended", () => void this.stopScreenShare());
    const stream = this.state.local.stream;
    if (stream && this.cameraTrack) {
      stream.removeTrack(this.cameraTrack);
      stream.addTrack(track);
    }
    await this.replaceOnSenders("video", track);
    this.state.local.screenSharing = true;
    this.sendState();
    this.emit();
  }

  async stopScreenShare(): Promise<void> {
    const track = this.screenTrack;
    if (!track) return;
    this.screenTrack = null;
    track.stop();
    const stream = this.state.local.stream;
    if (stream && this.cameraTrack) {
      stream.removeTrack(track);
      stream.addTrack(this.cameraTrack);
    }
    await this.replaceOnSenders("video", this.cameraTrack);
    this.state.local.screenSharing = false;
    this.sendState();
    this.emit();
  }

  /** Samples getStats per remote peer: quality badge for the receive side, bitrate cap for the send side. */
  private async sampleStats(): Promise<void> {
    for (const link of this.links.values()) {
      const connection = link.media?.peerConnection;
      if (!connection) continue;
      try {
        const report = await connection.getStats();
        const expectsVideo = link.remote.publishes && !link.remote.videoOff;
        const { sample, cursor, framesDecoded } = sampleFromReport(report, link.cursor, expectsVideo);
        link.cursor = cursor;
        link.remote.framesDecoded = framesDecoded;
        if (link.remote.publishes) {
          link.remote.stats = {
            rttMs: sample.rttMs,
            loss: sample.loss,
            jitterMs: sample.jitterMs,
            bitrate: sample.bitrate,
          };
          link.remote.quality = classifyQuality(sample);
        }
        if (this.options.publishes) {
          // What the other side reports about our video (RTCP receiver reports).
          let rttMs: number | null = sample.rttMs;
          let loss: number | null = null;
          let jitterMs: number | null = null;
          report.forEach((stat: any) => {
            if (stat.type === "remote-inbound-rtp" && stat.kind === "video") {
              if (typeof stat.roundTripTime === "number") rttMs = stat.roundTripTime * 1000;
              if (typeof stat.fractionLost === "number") loss = stat.fractionLost;
              if (typeof stat.jitter === "number") jitterMs = stat.jitter * 1000;
            }
          });
          const quality = classifyQuality({ rttMs, loss, jitterMs, bitrate: null, expectsVideo: false });
          if (!link.pinnedQuality && quality !== link.senderQuality) {
            link.senderQuality = quality;
            await this.applySenderQuality(link);
          }
        }
      } catch {
        // The connection closed while sampling.
      }
    }
    this.emit();
  }

  /** Lowers (poor) or restores the video bitrate and resolution sent to one peer. */
  private async applySenderQuality(link: Link): Promise<void> {
    const sender = link.media?.peerConnection?.getSenders().find((candidate) => candidate.track?.kind === "video");
    if (!sender) return;
    const parameters = sender.getParameters();
    if (!parameters.encodings || parameters.encodings.length === 0) return;
    const target = senderEncodingFor(link.senderQuality);
    for (const encoding of parameters.encodings) {
      if (target.maxBitrate) encoding.maxBitrate = target.maxBitrate;
      else delete encoding.maxBitrate;
      if (!this.screenTrack) encoding.scaleResolutionDownBy = target.scaleResolutionDownBy;
    }
    await sender.setParameters(parameters).catch(() => undefined);
  }

  /** The video sender's current encoding limits towards one peer (diagnostics and tests). */
  senderEncoding(peerId: string): RTCRtpEncodingParameters | null {
    const sender = this.links
      .get(peerId)
      ?.media?.peerConnection?.getSenders()
      .find((candidate) => candidate.track?.kind === "video");
    return sender?.getParameters().encodings?.[0] ?? null;
  }

  /**
   * Pins the sender quality towards one peer (as if its stats said so) until called with null, which returns to
   * the automatic adaptation. For diagnostics and tests.
   */
  async overrideSenderQuality(peerId: string, quality: Quality | null): Promise<void> {
    const link = this.links.get(peerId);
    if (!link) return;
    link.pinnedQuality = quality;
    link.senderQuality = quality ?? "unknown";
    await this.applySenderQuality(link);
  }

  /** Leaves the room: closes every connection and the signaling socket, stops local media. */
  leave(reason?: string): void {
    if (this.state.status === "left") return;
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    for (const peerId of [...this.links.keys()]) this.dropLink(peerId);
    this.peer?.destroy();
    this.peer = null;
    for (const track of this.state.local.stream?.getTracks() ?? []) track.stop();
    this.cameraTrack?.stop();
    this.screenTrack?.stop();
    this.screenTrack = null;
    this.state.local = { ...this.state.local, stream: null, screenSharing: false };
    this.state.status = "left";
    if (reason) this.state.error = reason;
    this.emit();
  }
}
