import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket } from "werift";
import { eventually } from "./harness.ts";
import type { PeerSocket } from "./peer-socket.ts";

/** One end of a call: its PeerJS signaling socket and the peer id the API issued. */
export interface CallEnd {
  peerId: string;
  socket: PeerSocket;
}

/** A real WebRTC audio call between two headless peers (werift), signaled through their PeerJS sockets. */
export interface AudioCall {
  /** RTP packets each side has received from the other so far. */
  received: { caller: number; callee: number };
  /** Resolves once both directions carried at least `packets` RTP packets. */
  until(packets: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Opus silence: a valid one-byte frame (TOC of a 20 ms SILK frame, no payload), enough for RTP to flow. */
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);

function sendAudio(track: MediaStreamTrack): () => void {
  let sequenceNumber = Math.floor(Math.random() * 60_000);
  let timestamp = Math.floor(Math.random() * 2 ** 31);
  const ssrc = Math.floor(Math.random() * 2 ** 31);
  const timer = setInterval(() => {
    sequenceNumber = (sequenceNumber + 1) % 65_536;
    timestamp = (timestamp + 960) % 2 ** 32;
    const header = new RtpHeader({ payloadType: 111, sequenceNumber, timestamp, ssrc, marker: false });
    track.writeRtp(new RtpPacket(header, OPUS_SILENCE));
  }, 20);
  return () => clearInterval(timer);
}

/**
 * Calls `callee` from `caller` the way the PWA's PeerJS client does at the signaling level: an OFFER carrying the
 * SDP (ICE candidates gathered in it, no trickle), an ANSWER back, relayed by the signaling server(s) in between.
 * Each side then sends 50 packets of Opus silence a second.
 */
export async function startAudioCall(caller: CallEnd, callee: CallEnd): Promise<AudioCall> {
  const received = { caller: 0, callee: 0 };
  const callerPc = new RTCPeerConnection({ iceUseIpv6: false });
  const calleePc = new RTCPeerConnection({ iceUseIpv6: false });
  const stops: (() => void)[] = [];
  callerPc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => received.caller++));
  calleePc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => received.callee++));

  const callerTrack = new MediaStreamTrack({ kind: "audio" });
  callerPc.addTransceiver(callerTrack, { direction: "sendrecv" });
  await callerPc.setLocalDescription(await callerPc.createOffer());
  await untilGathered(callerPc);
  const connectionId = `mc_${Math.random().toString(36).slice(2)}`;
  caller.socket.socket.send(
    JSON.stringify({
      type: "OFFER",
      dst: callee.peerId,
      payload: { sdp: callerPc.localDescription, type: "media", connectionId },
    }),
  );

  const offer = await callee.socket.next("OFFER", 10_000);
  if (offer.src !== caller.peerId) throw new Error(`OFFER from ${offer.src}, expected ${caller.peerId}`);
  await calleePc.setRemoteDescription(offer.payload.sdp);
  const calleeTrack = new MediaStreamTrack({ kind: "audio" });
  calleePc.addTrack(calleeTrack);
  await calleePc.setLocalDescription(await calleePc.createAnswer());
  await untilGathered(calleePc);
  callee.socket.socket.send(
    JSON.stringify({
      type: "ANSWER",
      dst: caller.peerId,
      payload: { sdp: calleePc.localDescription, type: "media", connectionId },
    }),
  );
  const answer = await caller.socket.next("ANSWER", 10_000);
  await callerPc.setRemoteDescription(answer.payload.sdp);

  stops.push(sendAudio(callerTrack), sendAudio(calleeTrack));
  return {
    received,
    async until(packets, timeoutMs = 15_000) {
      await eventually(() => received.caller >= packets && received.callee >= packets, {
        timeoutMs,
        what: `${packets} RTP packets each way (so far: caller ${received.caller}, callee ${received.callee})`,
      });
    },
    async close() {
      for (const stop of stops) stop();
      await Promise.all([callerPc.close(), calleePc.close()]);
    },
  };
}

function untilGathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
      if (state !== "complete") return;
      unSubscribe();
      resolve();
    });
  });
}
