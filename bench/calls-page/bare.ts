/**
 * bench:calls, the baseline: two plain PeerJS peers (Peer + call + answer) against a bare `peer` server, no product
 * code. The peer in the room answers every call with its camera; the joiner calls it with its own.
 */
import { type MediaConnection, Peer, type PeerOptions } from "peerjs";
import { CAMERA, decodedFrom, firstFrame, type Inbound, inboundVideo, type Joined, now, show } from "./common.ts";

let peer: Peer | null = null;
let stream: MediaStream | null = null;
const calls = new Map<string, MediaConnection>();

function peerOptions(signalingUrl: string): PeerOptions {
  const url = new URL(signalingUrl);
  return {
    host: url.hostname,
    port: Number(url.port),
    secure: false,
    path: "/peerjs",
    key: "peerjs",
    config: { iceServers: [], iceTransportPolicy: "all" },
    debug: 0,
  };
}

function track(call: MediaConnection): void {
  calls.set(call.peer, call);
  call.on("stream", (remote) => show(call.peer, remote));
}

const bench = {
  /** The pre-join screen: camera and microphone open. */
  async prepare(): Promise<void> {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: CAMERA });
  },
  /** The peer already in the room: connected to signaling, answers every call with its camera. */
  listen(id: string, signalingUrl: string): Promise<string> {
    return new Promise((resolve) => {
      const listener = new Peer(id, peerOptions(signalingUrl));
      peer = listener;
      listener.on("call", (call) => {
        call.answer(stream ?? undefined);
        track(call);
      });
      listener.on("open", () => resolve("joined"));
      listener.on("error", (error) => resolve(`failed: ${error.type}`));
    });
  },
  /** Presses Join: the clock starts here; connects to signaling and calls `target`. */
  join(id: string, target: string, signalingUrl: string): Promise<Joined> {
    const pressedAt = now();
    return new Promise((resolve) => {
      const joiner = new Peer(id, peerOptions(signalingUrl));
      peer = joiner;
      joiner.on("open", () => {
        const openAt = now();
        if (stream) track(joiner.call(target, stream));
        resolve({ status: "joined", pressedAt, openAt });
      });
      joiner.on("error", (error) => resolve({ status: `failed: ${error.type}`, pressedAt, openAt: now() }));
    });
  },
  firstFrame,
  decodedFrom,
  async frames(): Promise<Record<string, Inbound | null>> {
    const out: Record<string, Inbound | null> = {};
    for (const [peerId, call] of calls) out[peerId] = await inboundVideo(call.peerConnection);
    return out;
  },
  leave(): void {
    peer?.destroy();
    for (const item of stream?.getTracks() ?? []) item.stop();
  },
};

(window as unknown as { bench: typeof bench }).bench = bench;
