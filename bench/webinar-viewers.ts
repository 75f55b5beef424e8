/**
 * bench:webinar's load generator: one child process holding a share of the webinar's viewers, each a receive-only
 * werift peer (pure TypeScript, no decoding) that goes through the real API as the PWA does: `joinSession` with the
 * link (waiting room, its GraphQL socket opened meanwhile as the PWA's is), admitted by the host (the parent process,
 * told over IPC), then the `sessionMedia` subscription (graphql-ws; nothing waits for it, as in the PWA),
 * `mediaPublishers`, `mediaSubscribe`, `mediaSubscribeAnswer` with an answer carrying its candidates (half-trickle, as
 * app/features/call/sfu-topology.ts). It counts video RTP packets, bytes and VP8 key
 * frames, and sends its own PLI when no key frame came 500 ms after the first packet (see
 * ../shared/notes/media-server.md). Driven by bench/webinar.ts over the IPC channel.
 */
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from "werift";
import type WebSocket from "ws";
import { openEvents, PUBLISHERS, subscribeMedia } from "./webinar-api.ts";

export type ToViewers =
  | { type: "join"; url: string; link: string; sessionId: string; from: number; count: number }
  | { type: "admitted"; participantIds: string[] }
  | { type: "sample" }
  | { type: "close" };

export interface ViewerSample {
  index: number;
  packets: number;
  bytes: number;
  keyframes: number;
}

export type FromViewers =
  | { type: "waiting"; index: number; participantId: string }
  | {
      type: "first";
      index: number;
      /** joinSession sent → first video RTP packet, and the API phases on the way (ms). */
      firstPacketMs: number;
      joinMs: number;
      admittedMs: number;
    }
  /**
   * joinSession sent → mediaSubscribeAnswer answered (packets may flow before the answer returns), and when each
   * step after the admission ended (ms from joinSession): sessionMedia subscribed, mediaPublishers and
   * mediaSubscribe answered, the answer made with its candidates.
   */
  | { type: "subscribed"; index: number; ms: number; steps: Record<string, number> }
  | { type: "failed"; index: number; error: string }
  | { type: "sample"; viewers: ViewerSample[] };

const codecs = {
  video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96 })],
  audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 })],
};

const send = (message: FromViewers) => process.send?.(message);

/** Whether an RTP packet starts a VP8 key frame (payload descriptor, then the frame header's inverse key-frame bit). */
export function isVp8KeyFrameStart(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const first = payload[0] as number;
  const start = (first & 0x10) !== 0 && (first & 0x07) === 0;
  if (!start) return false;
  let offset = 1;
  if (first & 0x80) {
    const extension = payload[offset++] as number;
    if (extension & 0x80) offset += (payload[offset] as number) & 0x80 ? 2 : 1;
    if (extension & 0x40) offset++;
    if (extension & 0x30) offset++;
  }
  return offset < payload.length && ((payload[offset] as number) & 0x01) === 0;
}

async function gql(url: string, query: string, variables: Record<string, unknown>, participantToken?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(participantToken ? { "x-participant-token": participantToken } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 300)}`);
  return body.data as Record<string, any>;
}

const JOIN = `mutation($input: JoinSessionInput!) { joinSession(input: $input) { __typename
  ... on JoinSessionPayload { participantToken participant { id status } } ... on Error { message } } }`;
const SUBSCRIBE = `mutation($sessionId: ID!, $feeds: [ID!]!) { mediaSubscribe(sessionId: $sessionId, feeds: $feeds) {
  __typename ... on MediaOffer { sdp streams { mid type participantId active } } ... on Error { message } } }`;
const ANSWER = `mutation($sessionId: ID!, $answer: String!) { mediaSubscribeAnswer(sessionId: $sessionId, answer: $answer) {
  __typename ... on Error { message } } }`;

class Viewer {
  packets = 0;
  bytes = 0;
  keyframes = 0;
  private pc: RTCPeerConnection | null = null;
  private socket: WebSocket | null = null;
  private admitted!: () => void;
  private readonly admission = new Promise<void>((resolve) => {
    this.admitted = resolve;
  });
  participantId = "";
  /** The step running now, named in a failure. */
  step = "joinSession";

  constructor(readonly index: number) {}

  admit() {
    this.admitted();
  }

  async run(url: string, link: string, sessionId: string): Promise<void> {
    const started = performance.now();
    const joined = (
      await gql(url, JOIN, {
        input: { token: link, name: `Viewer ${this.index}`, email: `viewer${this.index}@bench.test` },
      })
    ).joinSession;
    if (joined.__typename !== "JoinSessionPayload") throw new Error(`joinSession: ${JSON.stringify(joined)}`);
    const token = joined.participantToken as string;
    this.participantId = joined.participant.id;
    const joinMs = performance.now() - started;
    // The PWA's socket is open while its participant waits (it hears the admission there).
    const events = openEvents(url, token);
    events.catch(() => undefined);
    this.step = "admission";
    if (joined.participant.status === "WAITING") {
      send({ type: "waiting", index: this.index, participantId: this.participantId });
      await this.admission;
    }
    const admittedMs = performance.now() - started;
    const steps: Record<string, number> = {};
    const step = (name: string, next: string) => {
      steps[name] = performance.now() - started;
      this.step = next;
    };
    this.step = "sessionMedia";
    this.socket = await events;
    subscribeMedia(this.socket, sessionId);
    step("events", "mediaPublishers");
    const feeds = (await gql(url, PUBLISHERS, { sessionId }, token)).mediaPublishers as string[];
    if (feeds.length === 0) throw new Error("no publisher in the room");
    step("publishers", "mediaSubscribe");
    const offer = (await gql(url, SUBSCRIBE, { sessionId, feeds }, token)).mediaSubscribe;
    step("offer", "ICE gathering");
    if (offer.__typename !== "MediaOffer" || !offer.sdp) throw new Error(`mediaSubscribe: ${JSON.stringify(offer)}`);
    const pc = new RTCPeerConnection({ codecs, iceUseIpv6: false });
    this.pc = pc;
    let firstAt = 0;
    pc.ontrack = ({ track, receiver }) => {
      if (track.kind !== "video") return;
      let pliTimer: ReturnType<typeof setTimeout> | null = null;
      track.onReceiveRtp.subscribe((packet: RtpPacket) => {
        this.packets++;
        this.bytes += packet.payload.length;
        if (isVp8KeyFrameStart(packet.payload)) {
          this.keyframes++;
          if (pliTimer) clearTimeout(pliTimer);
          pliTimer = null;
        }
        if (firstAt === 0) {
          firstAt = performance.now();
          send({
            type: "first",
            index: this.index,
            firstPacketMs: firstAt - started,
            joinMs,
            admittedMs,
          });
          if (this.keyframes === 0) {
            const ssrc = packet.header.ssrc;
            pliTimer = setTimeout(() => {
              if (this.keyframes === 0) void receiver.sendRtcpPLI(ssrc).catch(() => undefined);
            }, 500);
          }
        }
      });
    };
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    const deadline = Date.now() + 10_000;
    while (pc.iceGatheringState !== "complete" && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    step("gathered", "mediaSubscribeAnswer");
    const answered = (await gql(url, ANSWER, { sessionId, answer: pc.localDescription?.sdp ?? "" }, token))
      .mediaSubscribeAnswer;
    if (answered.__typename !== "MutationMediaSubscribeAnswerSuccess")
      throw new Error(`mediaSubscribeAnswer: ${JSON.stringify(answered)}`);
    send({ type: "subscribed", index: this.index, ms: performance.now() - started, steps });
  }

  async close() {
    this.socket?.terminate();
    await this.pc?.close().catch(() => undefined);
  }
}

/** An error's message with its cause ("fetch failed" says nothing without its socket error). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause ? `${error.message} (${cause.code ?? cause.message ?? String(cause)})` : error.message;
}

const viewers = new Map<number, Viewer>();

process.on("message", (message: ToViewers) => {
  switch (message.type) {
    case "join":
      for (let index = message.from; index < message.from + message.count; index++) {
        const viewer = new Viewer(index);
        viewers.set(index, viewer);
        viewer
          .run(message.url, message.link, message.sessionId)
          .catch((error: unknown) => send({ type: "failed", index, error: `${viewer.step}: ${describeError(error)}` }));
      }
      break;
    case "admitted":
      for (const id of message.participantIds) {
        for (const viewer of viewers.values()) if (viewer.participantId === id) viewer.admit();
      }
      break;
    case "sample":
      send({
        type: "sample",
        viewers: [...viewers.values()].map(({ index, packets, bytes, keyframes }) => ({
          index,
          packets,
          bytes,
          keyframes,
        })),
      });
      break;
    case "close":
      void Promise.all([...viewers.values()].map((viewer) => viewer.close())).then(() => process.exit(0));
      break;
  }
});
