/**
 * Measurement helpers shared by the two bench:calls pages (ours and the bare PeerJS page); no product code here.
 * Every remote stream goes to a <video>, so decoding is real, and the time of its first decoded frame is recorded.
 */

/** The fake camera both pages open: 320×240 at 15 fps. */
export const CAMERA: MediaTrackConstraints = { width: 320, height: 240, frameRate: 15 };

/** Milliseconds since the epoch, sub-millisecond: comparable between the pages of one browser. */
export const now = () => performance.timeOrigin + performance.now();

const videos = new Map<string, HTMLVideoElement>();
/** When (now()) the first frame of each remote peer was decoded. */
const firstFrameAt = new Map<string, number>();

/**
 * Records the first frame of `video`: the first requestVideoFrameCallback with a picture (a frame was decoded and
 * presented) or, if that never fires, a 5 ms poll for `videoWidth > 0 && currentTime > 0`, whichever comes first.
 */
function watchFirstFrame(peerId: string, video: HTMLVideoElement): void {
  const mark = () => {
    if (!firstFrameAt.has(peerId)) firstFrameAt.set(peerId, now());
  };
  const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata) => {
    if (metadata.width > 0) mark();
    else video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  const poll = setInterval(() => {
    if (!firstFrameAt.has(peerId) && video.videoWidth > 0 && video.currentTime > 0) mark();
    if (firstFrameAt.has(peerId)) clearInterval(poll);
  }, 5);
}

/** Shows `stream` of `peerId` (creates its <video> on first use). */
export function show(peerId: string, stream: MediaStream | null): void {
  let video = videos.get(peerId);
  if (!video) {
    video = Object.assign(document.createElement("video"), { autoplay: true, muted: true, playsInline: true });
    video.width = 160;
    video.height = 120;
    document.body.append(video);
    videos.set(peerId, video);
    watchFirstFrame(peerId, video);
  }
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    if (stream) void video.play().catch(() => undefined);
  }
}

/** When (now()) the first frame of `peerId` was decoded; waits up to `timeoutMs`, then null. */
export async function firstFrame(peerId: string, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (!firstFrameAt.has(peerId)) {
    if (performance.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return firstFrameAt.get(peerId) as number;
}

/** What pressing Join returned: status, when it was pressed and when the signaling socket was open (now()). */
export interface Joined {
  status: string;
  pressedAt: number;
  openAt: number;
}

/** Whether a frame of every one of `peerIds` has been decoded. */
export function decodedFrom(peerIds: string[]): boolean {
  return peerIds.every((peerId) => firstFrameAt.has(peerId));
}

export interface Inbound {
  framesDecoded: number;
  width: number;
  height: number;
}

/** Decoded video frames (inbound-rtp, video) on one peer connection; null when it has none yet. */
export async function inboundVideo(connection: RTCPeerConnection | undefined | null): Promise<Inbound | null> {
  if (!connection) return null;
  let found: Inbound | null = null;
  (await connection.getStats()).forEach((stat: any) => {
    if (stat.type === "inbound-rtp" && stat.kind === "video") {
      found = {
        framesDecoded: (found?.framesDecoded ?? 0) + (stat.framesDecoded ?? 0),
        width: stat.frameWidth ?? 0,
        height: stat.frameHeight ?? 0,
      };
    }
  });
  return found;
}
