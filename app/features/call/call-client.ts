import type { CallOptions, CallState, MediaLink, RemoteState, RosterEntry, SfuSignaling } from "./call-types.ts";
import { LocalMedia } from "./local-media.ts";
import type { Quality } from "./quality.ts";
import { QualityMonitor, videoSender } from "./quality-monitor.ts";
import { SfuTopology } from "./sfu-topology.ts";
import { type CallTopology, createTopology, type TopologyContext } from "./topology.ts";

export type { CallOptions, CallState, LocalState, RemoteState, RosterEntry } from "./call-types.ts";
export { listDevices } from "./local-media.ts";

/**
 * The call, framework-agnostic: one store over three parts with one job each — local media (camera, microphone,
 * screen, toggles), the topology (signaling and the connections to the others; see topology.ts) and the quality
 * monitor. Components render `state` (through `subscribe`) and call the methods; nothing else touches PeerJS.
 */
export class CallClient {
  state: CallState;
  private listeners = new Set<(state: CallState) => void>();
  private readonly media: LocalMedia;
  private topology: CallTopology;
  private roster: RosterEntry[] = [];
  private readonly topologyContext: TopologyContext;
  private readonly quality: QualityMonitor;
  /** The media-server topology readied idle beside the mesh (prepareSfu), with the switch that makes it the call. */
  private standby: { topology: SfuTopology; sfu: SfuSignaling; goLive: () => void } | null = null;
  /** The mesh kept for its pictures just after the move to the media server (see `shown`). */
  private handover: { mesh: CallTopology; pending: Set<string>; timer: ReturnType<typeof setTimeout> } | null = null;
  /** The longest the old mesh is kept after the move. */
  static readonly HANDOVER_MS = 8000;
  /** Asked before the call was joined: readied once it is. */
  private pendingStandby: SfuSignaling | null = null;
  /** What the mesh's per-remote caps were last applied for: crowded or not, screen shared or not. */
  private senderShape = "false false";

  constructor(private options: CallOptions) {
    this.media = new LocalMedia({
      videoConstraints: options.videoConstraints,
      replaceOnSenders: (kind, track) => this.replaceOnSenders(kind, track),
      toggled: () => {
        this.topology.announce();
        this.emit();
      },
    });
    this.topologyContext = {
      local: () => this.media.state,
      opened: () => {
        this.state.status = "joined";
        this.emit();
        const pending = this.pendingStandby;
        this.pendingStandby = null;
        if (pending) this.prepareSfu(pending);
      },
      changed: () => this.emit(),
      mediaArrived: (link) => void this.quality.applySenderQuality(link),
      failed: (reason) => this.leave(reason),
    };
    this.topology = createTopology(options, this.topologyContext);
    this.quality = new QualityMonitor({
      links: () => this.topology.links.values(),
      publishes: () => this.options.publishes,
      screenSharing: () => this.media.state.screenSharing,
      crowded: () => this.crowded(),
      changed: () => this.emit(),
      intervalMs: options.statsIntervalMs ?? 2000,
    });
    this.state = {
      status: "idle",
      local: { ...this.media.state },
      remotes: [],
      presenterId: null,
      publishes: options.publishes,
    };
  }

  /** This participant's peer id (the API issued it). */
  get peerId(): string {
    return this.options.peerId;
  }

  /** Per-remote links with their peer connections (diagnostics: the browser tests and the bench read them). */
  get links(): ReadonlyMap<string, MediaLink> {
    return this.topology.links;
  }

  subscribe(listener: (state: CallState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  /** A mesh sending to 2 or more remotes, one encoding each (QualityMonitor's CROWDED_MESH caps). */
  private crowded(): boolean {
    return !(this.topology instanceof SfuTopology) && this.topology.links.size >= 2;
  }

  private emit(): void {
    const links = [...this.topology.links.values()];
    // The mesh's per-remote caps follow its size and the screen share (QualityMonitor.applySenderQuality).
    const shape = `${this.crowded()} ${this.media.state.screenSharing}`;
    if (shape !== this.senderShape) {
      this.senderShape = shape;
      for (const link of links) void this.quality.applySenderQuality(link);
    }
    const local = this.media.state;
    this.state = {
      ...this.state,
      local: { ...local },
      remotes: links.map((link) => this.shown(link)),
      presenterId: local.screenSharing
        ? this.options.peerId
        : (links.find((link) => link.remote.presenting)?.peerId ?? null),
    };
    for (const listener of this.listeners) listener(this.state);
  }

  /** Camera and microphone preview before joining (also used to switch devices later). */
  async startPreview(devices: { audioDeviceId?: string; videoDeviceId?: string } = {}): Promise<MediaStream> {
    const stream = await this.media.open(devices);
    if (this.state.status === "idle") this.state.status = "previewing";
    this.emit();
    return stream;
  }

  /**
   * What the page shows of a remote. Just after a move to the media server, a remote whose media there has not
   * arrived yet is shown with the picture the old mesh still brings (they may not have switched yet); the mesh goes
   * once every remote's media arrived through the server, or after HANDOVER_MS.
   */
  private shown(link: MediaLink): RemoteState {
    const handover = this.handover;
    if (!handover?.pending.has(link.peerId)) return { ...link.remote };
    const video = link.remote.stream?.getVideoTracks()[0];
    if ((video && !video.muted) || !link.remote.publishes) {
      handover.pending.delete(link.peerId);
      if (handover.pending.size === 0) this.endHandover();
      return { ...link.remote };
    }
    const old = handover.mesh.links.get(link.peerId)?.remote.stream;
    return { ...link.remote, stream: old ?? link.remote.stream };
  }

  private endHandover(): void {
    const handover = this.handover;
    if (!handover) return;
    this.handover = null;
    clearTimeout(handover.timer);
    handover.mesh.close();
  }

  /** Connects to the signaling server and calls the peers on the roster. */
  async join(roster: RosterEntry[] = []): Promise<void> {
    if (this.options.publishes && !this.media.state.stream) await this.startPreview();
    this.state.status = "joining";
    this.emit();
    this.setRoster(roster);
    await this.topology.connect();
    this.quality.start();
  }

  /** The room's participants as the session subscription reports them; connects to new ones, drops gone ones. */
  setRoster(entries: RosterEntry[]): void {
    this.roster = entries;
    this.topology.setRoster(entries);
    this.standby?.topology.setRoster(entries);
    this.emit();
  }

  /**
   * Moves the running call to the media server (or back to peer-to-peer) without leaving the page: the old
   * connections close, local media stays, the new topology connects to the same roster. (Make-before-break, keeping
   * the old connections until the new ones carry media, was tried: on the 2-core test machine the doubled load
   * stalled streams; see docs/calls.md.)
   */
  async switchTopology(sfu: SfuSignaling | null): Promise<void> {
    if (this.hasLeft() || (sfu ?? null) === (this.options.sfu ?? null)) return;
    // A mark in the page's performance timeline (diagnostics: the browser tests read when each page switched).
    performance.mark("call:switch-topology");
    const standby = this.standby;
    this.standby = null;
    if (standby && standby.sfu === sfu) {
      // Readied at 4 (prepareSfu): its connections are up, so only the tracks move. The mesh stops sending at once
      // (nothing is encoded twice) but keeps bringing the others' pictures until theirs arrive through the server.
      const mesh = this.topology;
      for (const link of mesh.links.values())
        for (const sender of link.connection?.getSenders() ?? []) void sender.replaceTrack(null).catch(() => undefined);
      this.options = { ...this.options, sfu };
      this.topology = standby.topology;
      this.handover = {
        mesh,
        pending: new Set(mesh.links.keys()),
        timer: setTimeout(() => {
          this.endHandover();
          this.emit();
        }, CallClient.HANDOVER_MS),
      };
      standby.goLive();
      standby.topology.activate();
      this.emit();
      return;
    }
    standby?.topology.close();
    this.topology.close();
    this.options = { ...this.options, sfu };
    this.topology = createTopology(this.options, this.topologyContext);
    this.topology.setRoster(this.roster);
    this.emit();
    if (this.state.status === "joined" || this.state.status === "joining") await this.topology.connect();
  }

  /**
   * Readies the move to the media server while the call is still peer-to-peer (the session says when: one short of
   * the move): publishes with the microphone off the sender and video at its lowest layer only, and subscribes;
   * switchTopology then only moves the tracks (make-before-break without doubling the encoding, docs/calls.md). A
   * failure leaves the mesh as it is, and the switch sets everything up then. Until the switch it tells the call
   * nothing.
   */
  prepareSfu(sfu: SfuSignaling): void {
    if (this.hasLeft() || this.options.sfu || this.standby || !this.options.publishes) return;
    if (this.state.status !== "joined") {
      this.pendingStandby = sfu;
      return;
    }
    let live = false;
    const quiet =
      <Args extends unknown[]>(step: (...args: Args) => void) =>
      (...args: Args) => {
        if (live) step(...args);
      };
    const call = this.topologyContext;
    const context: TopologyContext = {
      local: call.local,
      opened: quiet(call.opened),
      changed: quiet(call.changed),
      mediaArrived: quiet(call.mediaArrived),
      failed: quiet(call.failed),
    };
    const topology = new SfuTopology({ ...this.options, sfu }, context, true);
    topology.setRoster(this.roster);
    const standby = {
      topology,
      sfu,
      goLive: () => {
        live = true;
      },
    };
    this.standby = standby;
    topology.connect().catch(() => {
      if (this.standby !== standby) return;
      this.standby = null;
      topology.close();
    });
  }

  private hasLeft(): boolean {
    return this.state.status === "left";
  }

  /** Whether media goes through the media server now. */
  get usesSfu(): boolean {
    return !!this.options.sfu;
  }

  /** Promotes or demotes this participant (webinar presenter); reconnects with or without media. */
  async setPublishing(publishes: boolean): Promise<void> {
    if (publishes === this.options.publishes) return;
    this.options = { ...this.options, publishes };
    this.state.publishes = publishes;
    if (publishes && !this.media.state.stream) await this.startPreview();
    if (!publishes) await this.media.release();
    this.standby?.topology.close();
    this.standby = null;
    this.topology.setPublishing(publishes);
    this.emit();
  }

  setAudioMuted(muted: boolean): void {
    this.media.setAudioMuted(muted);
  }

  setVideoOff(off: boolean): void {
    this.media.setVideoOff(off);
  }

  /** Shares the screen in place of the camera on every connection. */
  async startScreenShare(): Promise<void> {
    if (this.options.publishes) await this.media.startScreenShare();
  }

  async stopScreenShare(): Promise<void> {
    await this.media.stopScreenShare();
  }

  private async replaceOnSenders(kind: "audio" | "video", track: MediaStreamTrack | null): Promise<void> {
    const senders: RTCRtpSender[] = [...(this.topology.senders?.() ?? [])];
    for (const link of this.topology.links.values()) {
      for (const sender of link.connection?.getSenders() ?? []) {
        if (sender.track?.kind === kind || (!sender.track && kind === "video")) senders.push(sender);
      }
    }
    await Promise.all(senders.map((sender) => sender.replaceTrack(track).catch(() => undefined)));
  }

  /** The video sender's current encoding limits towards one peer (diagnostics and tests). */
  senderEncoding(peerId: string): RTCRtpEncodingParameters | null {
    const link = this.topology.links.get(peerId);
    return (link && videoSender(link)?.getParameters().encodings?.[0]) ?? null;
  }

  /**
   * Pins the sender quality towards one peer (as if its stats said so) until called with null, which returns to
   * the automatic adaptation. For diagnostics and tests.
   */
  async overrideSenderQuality(peerId: string, quality: Quality | null): Promise<void> {
    const link = this.topology.links.get(peerId);
    if (link) await this.quality.pin(link, quality);
  }

  /** Leaves the room: closes every connection and the signaling socket, stops local media. */
  leave(reason?: string): void {
    if (this.state.status === "left") return;
    this.quality.stop();
    this.endHandover();
    this.topology.close();
    this.standby?.topology.close();
    this.standby = null;
    this.media.stop();
    this.state.status = "left";
    if (reason) this.state.error = reason;
    this.emit();
  }
}
