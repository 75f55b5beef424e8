/**
 * bench:calls, our side: the real call client (app/features/call/call-client.ts) with the peer id and participant
 * token the API issued. The bench drives it through `window.bench`.
 */
import { CallClient, type CallOptions, type RosterEntry } from "../../app/features/call/call-client.ts";
import type { SfuSignaling } from "../../app/features/call/call-types.ts";
import { CAMERA, decodedFrom, firstFrame, type Inbound, inboundVideo, type Joined, now, show } from "./common.ts";

type Prepare = Omit<CallOptions, "host" | "port" | "secure" | "videoConstraints" | "sfu"> & {
  signalingUrl: string;
  /** The camera to open; by default CAMERA (320×240, 15 fps). */
  camera?: MediaTrackConstraints;
  /**
   * Through the media server (bench:webinar's presenter): the SFU topology's signaling goes to the bench process
   * (`window.benchSfu`, exposed by playwright), which calls the media API with the participant's credentials.
   */
  sfu?: boolean;
};

/** The SFU signaling over the bench process; the presenter needs no room events (it only publishes). */
function sfuOverBench(): SfuSignaling {
  const call = (operation: string, argument?: unknown) =>
    (window as unknown as { benchSfu(operation: string, argument?: unknown): Promise<any> }).benchSfu(
      operation,
      argument,
    );
  return {
    publishers: () => call("publishers"),
    publish: (offer) => call("publish", offer),
    subscribe: (feeds) => call("subscribe", feeds),
    answer: (sdp) => call("answer", sdp),
    configure: async () => {},
    leave: () => call("leave"),
    // Nobody watches the presenter's toggles in the bench.
    state: async () => {},
    states: async () => [],
    events: () => () => {},
  };
}

let client: CallClient | null = null;

/** Every RTCPeerConnection the page creates (PeerJS: one per media call and one per data connection), for diagnostics. */
const created: RTCPeerConnection[] = [];
const Native = window.RTCPeerConnection;
window.RTCPeerConnection = class extends Native {
  constructor(configuration?: RTCConfiguration) {
    super(configuration);
    created.push(this);
  }
} as typeof RTCPeerConnection;

/** The client's peer connections per remote peer (private: diagnostics only, as the e2e page does). */
function connections(): Map<string, { media: { peerConnection?: RTCPeerConnection } | null }> {
  return (client as unknown as { links: Map<string, { media: { peerConnection?: RTCPeerConnection } | null }> }).links;
}

const bench = {
  /** The pre-join screen: client created, camera and microphone open (preview) for a publisher. */
  async prepare(options: Prepare): Promise<void> {
    const { signalingUrl, camera, sfu, ...rest } = options;
    const url = new URL(signalingUrl);
    client = new CallClient({
      ...rest,
      host: url.hostname,
      port: Number(url.port),
      secure: false,
      videoConstraints: camera ?? CAMERA,
      sfu: sfu ? sfuOverBench() : null,
    });
    client.subscribe((state) => {
      for (const remote of state.remotes) show(remote.peerId, remote.stream);
    });
    if (options.publishes) await client.startPreview();
  },
  /** Presses Join: the clock starts here. Resolves once the signaling socket is open (or refused). */
  async join(roster: RosterEntry[]): Promise<Joined> {
    if (!client) throw new Error("prepare first");
    const pressedAt = now();
    try {
      await client.join(roster);
      return { status: client.state.status, pressedAt, openAt: now() };
    } catch (error) {
      return { status: `failed: ${error instanceof Error ? error.message : String(error)}`, pressedAt, openAt: now() };
    }
  },
  firstFrame,
  decodedFrom,
  status: () => ({ status: client?.state.status ?? "none", error: client?.state.error ?? null }),
  /** How many peer connections the page created, by their ICE connection state now. */
  async peerConnections(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const connection of created) {
      let remote = 0;
      let local = 0;
      if (connection.iceConnectionState !== "closed") {
        (await connection.getStats()).forEach((stat: any) => {
          if (stat.type === "remote-candidate") remote++;
          if (stat.type === "local-candidate") local++;
        });
      }
      const key = `${connection.iceConnectionState}/${connection.signalingState}/local ${local}/remote ${remote}/${connection.getReceivers().length}rx`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  },
  /** The client's view of each remote peer whose video has not been decoded yet (diagnostics). */
  missing: (peerIds: string[]) =>
    peerIds
      .filter((peerId) => !decodedFrom([peerId]))
      .map((peerId) => {
        const remote = client?.state.remotes.find((entry) => entry.peerId === peerId);
        return remote ? `${remote.connection}${remote.stream ? "+stream" : ""}` : "no link";
      }),
  /** Decoded frames per remote peer, from getStats on each peer connection. */
  async frames(): Promise<Record<string, Inbound | null>> {
    const out: Record<string, Inbound | null> = {};
    for (const [peerId, link] of connections()) out[peerId] = await inboundVideo(link.media?.peerConnection);
    return out;
  },
  /** What the page sends: video bytes and frames per outbound layer (rid), over every peer connection it made. */
  async outbound(): Promise<Outbound[]> {
    const out: Outbound[] = [];
    for (const connection of created) {
      if (connection.connectionState === "closed") continue;
      (await connection.getStats()).forEach((stat: any) => {
        if (stat.type === "outbound-rtp" && stat.kind === "video")
          out.push({
            rid: stat.rid ?? "",
            bytesSent: stat.bytesSent ?? 0,
            framesEncoded: stat.framesEncoded ?? 0,
            width: stat.frameWidth ?? 0,
            height: stat.frameHeight ?? 0,
            limitation: stat.qualityLimitationReason ?? "",
          });
      });
    }
    return out;
  },
  leave: () => client?.leave(),
};

interface Outbound {
  rid: string;
  bytesSent: number;
  framesEncoded: number;
  width: number;
  height: number;
  limitation: string;
}

(window as unknown as { bench: typeof bench }).bench = bench;
