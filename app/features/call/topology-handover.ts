import type { MediaLink, RosterEntry } from "./call-types.ts";
import type { PeerTopology } from "./peer-topology.ts";
import type { SfuTopology } from "./sfu-topology.ts";
import type { CallTopology } from "./topology.ts";

/** How often the media server's side is checked for decoded media while the mesh still carries it. */
const POLL_MS = 150;
/**
 * The mesh closes after this long whatever the media server carries by then (a remote that never arrives there).
 * Long on purpose: on a saturated machine the SFU path took minutes to decode, and the mesh is what keeps the
 * picture meanwhile; links the media server already carries close as soon as both sides say so.
 */
export const HANDOVER_DEADLINE_MS = 90_000;

/**
 * Make-before-break move of a running call from the peer-to-peer mesh to the media server (a meeting grew past 4).
 * The SFU topology publishes the same local tracks (no new getUserMedia) and subscribes while the mesh keeps carrying
 * everyone's media; each remote's tile switches to its SFU stream once that stream has a decoded frame, and each mesh
 * link closes once both of its sides receive each other through the media server (PeerTopology.retire/handOver), so
 * no picture stops while the other side is still switching. After every link is handed over (or the deadline), the
 * mesh's signaling socket closes and the SFU topology alone remains (`finished`).
 */
export class TopologyHandover implements CallTopology {
  private readonly switched = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private deadline: ReturnType<typeof setTimeout> | null = null;
  private polling = false;
  private over = false;

  constructor(
    private readonly from: PeerTopology,
    readonly to: SfuTopology,
    private readonly hooks: { changed(): void; finished(): void },
    private readonly deadlineMs = HANDOVER_DEADLINE_MS,
  ) {
    from.retire();
  }

  /** Per remote: its SFU link once that carries media, its mesh link until then (same peer id, so the same tile). */
  get links(): ReadonlyMap<string, MediaLink> {
    const merged = new Map<string, MediaLink>();
    for (const [peerId, link] of this.to.links) {
      const mesh = this.from.links.get(peerId);
      merged.set(peerId, !this.switched.has(peerId) && mesh?.remote.stream ? mesh : link);
    }
    for (const [peerId, link] of this.from.links) if (!merged.has(peerId)) merged.set(peerId, link);
    return merged;
  }

  async connect(): Promise<void> {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.deadline = setTimeout(() => this.finish(), this.deadlineMs);
    try {
      await this.to.connect();
    } catch (error) {
      this.stopTimers();
      throw error;
    }
  }

  private async poll(): Promise<void> {
    if (this.polling || this.over) return;
    this.polling = true;
    try {
      for (const peerId of this.to.links.keys()) {
        if (this.switched.has(peerId) || !(await this.to.receiving(peerId)) || this.over) continue;
        this.switched.add(peerId);
        this.from.handOver(peerId);
        this.hooks.changed();
      }
      const allSwitched = [...this.to.links.keys()].every((peerId) => this.switched.has(peerId));
      if (allSwitched && this.from.links.size === 0) this.finish();
    } finally {
      this.polling = false;
    }
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.deadline) clearTimeout(this.deadline);
    this.timer = null;
    this.deadline = null;
  }

  /** The mesh is done: its remaining connections and signaling socket close, the SFU topology carries the call. */
  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.stopTimers();
    this.from.close();
    this.hooks.finished();
  }

  setRoster(entries: RosterEntry[]): void {
    this.from.setRoster(entries);
    this.to.setRoster(entries);
  }

  setPublishing(publishes: boolean): void {
    this.from.setPublishing(publishes);
    this.to.setPublishing(publishes);
  }

  announce(): void {
    this.from.announce();
    this.to.announce();
  }

  senders(): RTCRtpSender[] {
    return this.to.senders();
  }

  close(): void {
    this.over = true;
    this.stopTimers();
    this.from.close();
    this.to.close();
  }
}
