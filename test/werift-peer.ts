import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from "werift";
import { eventually } from "./harness.ts";

/**
 * Headless WebRTC peers for the SFU tests (werift: pure TypeScript, no decoding). They send and count RTP packets:
 * enough to prove who receives whose media through Janus.
 */

const codecs = {
  video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96 })],
  audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 })],
};

async function gathered(pc: RTCPeerConnection): Promise<string> {
  await eventually(() => pc.iceGatheringState === "complete", { what: "ICE gathering", timeoutMs: 10_000 });
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error("no local description");
  return sdp;
}

/** A VP8 key frame's first packet, as far as an SFU looks into it (payload descriptor and frame header). */
const vp8KeyFrame = Buffer.from([
  0x10,
  0x10,
  0x02,
  0x00,
  0x9d,
  0x01,
  0x2a,
  0x40,
  0x01,
  0xf0,
  0x00,
  ...new Array(200).fill(0),
]);

/** Sends a synthetic VP8 stream (50 packets/s) once connected. */
export async function createPublisher() {
  const pc = new RTCPeerConnection({ codecs, iceUseIpv6: false });
  const video = new MediaStreamTrack({ kind: "video" });
  pc.addTransceiver(video, { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  const offer = await gathered(pc);
  let sequenceNumber = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  return {
    offer,
    async start(answer: string) {
      await pc.setRemoteDescription({ type: "answer", sdp: answer });
      timer = setInterval(() => {
        sequenceNumber = (sequenceNumber + 1) & 0xffff;
        const header = new RtpHeader({
          payloadType: 96,
          sequenceNumber,
          timestamp: sequenceNumber * 1800,
          marker: true,
        });
        video.writeRtp(new RtpPacket(header, vp8KeyFrame));
      }, 20);
    },
    async close() {
      if (timer) clearInterval(timer);
      await pc.close();
    },
  };
}

/** Answers Janus's subscription offer and counts the packets of each stream (by mid). */
export async function createSubscriber() {
  const pc = new RTCPeerConnection({ codecs, iceUseIpv6: false });
  const packets = new Map<string, { count: number; lastAt: number }>();
  let total = 0;
  let lastPacketAt = 0;
  pc.ontrack = ({ track, transceiver }) => {
    track.onReceiveRtp.subscribe(() => {
      const mid = transceiver?.mid ?? "?";
      const entry = packets.get(mid) ?? { count: 0, lastAt: 0 };
      entry.count++;
      entry.lastAt = Date.now();
      packets.set(mid, entry);
      total++;
      lastPacketAt = Date.now();
    });
  };
  return {
    packets,
    get total() {
      return total;
    },
    get lastPacketAt() {
      return lastPacketAt;
    },
    async answer(offer: string): Promise<string> {
      await pc.setRemoteDescription({ type: "offer", sdp: offer });
      await pc.setLocalDescription(await pc.createAnswer());
      return gathered(pc);
    },
    async close() {
      await pc.close();
    },
  };
}
