/**
 * Test page for the call e2e tests: bundles the real call client and exposes a small driver on `window` that the
 * test calls through playwright. Remote streams are attached to <video> elements so decoding is real.
 */
import { createSignal } from "solid-js";
import { render as renderSolid } from "solid-js/web";
import { type CallReaction, CallView } from "../../../app/features/call/CallView.tsx";
import {
  CallClient,
  type CallOptions,
  type CallState,
  type RosterEntry,
} from "../../../app/features/call/call-client.ts";
import { CallRecorder } from "../../../app/features/call/recorder.ts";

interface Driver {
  client: CallClient | null;
  state: CallState | null;
  error: string | null;
  start(
    options: Omit<CallOptions, "host" | "port" | "secure">,
    signalingUrl: string,
    roster: RosterEntry[],
  ): Promise<void>;
  video(peerId: string): { width: number; height: number; time: number; hasStream: boolean; tracks: number } | null;
  sending(): { peerId: string; kinds: string[]; labels: string[] }[];
  inboundBytes(peerId: string): Promise<number>;
  record(ms: number, chunkMs: number): Promise<{ chunks: number; mimeType: string }>;
  playRecording(url: string): Promise<{ width: number; height: number; time: number; duration: number }>;
  mountView(options: Omit<CallOptions, "host" | "port" | "secure">, signalingUrl: string, roster: RosterEntry[]): void;
  /** What the sessions API's hand and reaction events would tell the mounted view. */
  raiseHand(peerId: string, raised: boolean): void;
  react(peerId: string, emoji: string): void;
}

const [hands, setHands] = createSignal<string[]>([]);
const [reactions, setReactions] = createSignal<CallReaction[]>([]);

const videos = new Map<string, HTMLVideoElement>();

function render(state: CallState): void {
  for (const remote of state.remotes) {
    let video = videos.get(remote.peerId);
    if (!video) {
      video = Object.assign(document.createElement("video"), { autoplay: true, muted: true, playsInline: true });
      video.dataset.peer = remote.peerId;
      document.body.append(video);
      videos.set(remote.peerId, video);
    }
    if (video.srcObject !== remote.stream) {
      video.srcObject = remote.stream;
      if (remote.stream) void video.play().catch(() => undefined);
    }
  }
}

function createClient(options: Omit<CallOptions, "host" | "port" | "secure">, signalingUrl: string): CallClient {
  const url = new URL(signalingUrl);
  const client = new CallClient({
    ...options,
    host: url.hostname,
    port: Number(url.port),
    secure: url.protocol === "https:",
  });
  driver.client = client;
  return client;
}

const driver: Driver = {
  client: null,
  state: null,
  error: null,
  async start(options, signalingUrl, roster) {
    const client = createClient(options, signalingUrl);
    client.subscribe((state) => {
      driver.state = state;
      render(state);
    });
    try {
      await client.join(roster);
    } catch (error) {
      driver.error = error instanceof Error ? error.message : String(error);
    }
  },
  video(peerId) {
    const video = videos.get(peerId);
    if (!video) return null;
    const stream = video.srcObject as MediaStream | null;
    return {
      width: video.videoWidth,
      height: video.videoHeight,
      time: video.currentTime,
      hasStream: !!stream,
      tracks: stream?.getTracks().filter((track) => track.readyState === "live").length ?? 0,
    };
  },
  sending() {
    const links = (
      driver.client as unknown as { links: Map<string, { media: { peerConnection: RTCPeerConnection } | null }> }
    ).links;
    return [...links.entries()].map(([peerId, link]) => {
      const senders = link.media?.peerConnection?.getSenders() ?? [];
      return {
        peerId,
        kinds: senders.filter((sender) => sender.track).map((sender) => sender.track?.kind ?? ""),
        labels: senders.filter((sender) => sender.track).map((sender) => sender.track?.label ?? ""),
      };
    });
  },
  async inboundBytes(peerId) {
    const links = (
      driver.client as unknown as { links: Map<string, { media: { peerConnection: RTCPeerConnection } | null }> }
    ).links;
    const connection = links.get(peerId)?.media?.peerConnection;
    if (!connection) return -1;
    let bytes = 0;
    (await connection.getStats()).forEach((stat: any) => {
      if (stat.type === "inbound-rtp") bytes += stat.bytesReceived ?? 0;
    });
    return bytes;
  },
  async record(ms, chunkMs) {
    const client = driver.client;
    if (!client) throw new Error("join first");
    let uploads = 0;
    const recorder = new CallRecorder({
      chunkMs,
      width: 640,
      height: 360,
      // Stands in for the sessions API's chunk upload: the test server stores each chunk in order.
      upload: async (chunk) => {
        const response = await fetch(`/upload?index=${chunk.index}&final=${chunk.final}`, {
          method: "POST",
          body: chunk.data,
        });
        if (!response.ok) throw new Error(`upload failed: ${response.status}`);
        uploads++;
      },
    });
    const state = client.state;
    recorder.setAudio("local", state.local.stream);
    for (const remote of state.remotes) recorder.setAudio(remote.peerId, remote.stream);
    recorder.setActiveVideo(state.remotes.find((remote) => remote.stream)?.stream ?? state.local.stream);
    recorder.start();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await recorder.stop();
    return { chunks: uploads, mimeType: recorder.mimeType };
  },
  async playRecording(url) {
    const video = Object.assign(document.createElement("video"), { muted: true, src: url });
    document.body.append(video);
    await new Promise((resolve, reject) => {
      video.onloadeddata = resolve;
      video.onerror = () => reject(new Error(`cannot play: ${video.error?.message}`));
    });
    await video.play();
    // Playing: the clock moves past the first frame.
    await new Promise<void>((resolve, reject) => {
      const stuck = setTimeout(() => reject(new Error("the recording does not play")), 10_000);
      const moved = () => {
        if (video.currentTime === 0) return;
        clearTimeout(stuck);
        video.removeEventListener("timeupdate", moved);
        resolve();
      };
      video.addEventListener("timeupdate", moved);
    });
    return { width: video.videoWidth, height: video.videoHeight, time: video.currentTime, duration: video.duration };
  },
  mountView(options, signalingUrl, roster) {
    const client = createClient(options, signalingUrl);
    client.subscribe((state) => {
      driver.state = state;
    });
    const root = document.getElementById("view");
    if (root)
      renderSolid(
        () =>
          CallView({
            client,
            roster,
            recording: true,
            selfName: options.peerId,
            get hands() {
              return hands();
            },
            get reactions() {
              return reactions();
            },
            onRaiseHand: (raised) => driver.raiseHand(options.peerId, raised),
            onReact: (emoji) => driver.react(options.peerId, emoji),
          }),
        root,
      );
  },
  raiseHand(peerId, raised) {
    setHands((list) => (raised ? [...list.filter((id) => id !== peerId), peerId] : list.filter((id) => id !== peerId)));
  },
  react(peerId, emoji) {
    setReactions((list) => [...list, { id: `${list.length}`, peerId, emoji }]);
  },
};

(window as unknown as { call: Driver }).call = driver;
