/** Connection quality of one remote peer, from WebRTC getStats. */
export type Quality = "good" | "fair" | "poor" | "unknown";

export interface QualitySample {
  /** Round-trip time of the selected candidate pair, milliseconds. */
  rttMs: number | null;
  /** Share of packets lost since the previous sample, 0..1. */
  loss: number | null;
  /** Inbound jitter, milliseconds. */
  jitterMs: number | null;
  /** Received bitrate since the previous sample, bits per second. */
  bitrate: number | null;
  /** Whether the peer is expected to send video (bitrate only counts then). */
  expectsVideo: boolean;
}

/**
 * Thresholds (documented in docs/calls.md):
 * - poor: rtt > 400 ms, or loss > 8 %, or jitter > 100 ms, or video expected below 60 kbit/s;
 * - fair: rtt > 150 ms, or loss > 2 %, or jitter > 30 ms, or video expected below 250 kbit/s;
 * - good otherwise.
 */
export const QUALITY_THRESHOLDS = {
  poor: { rttMs: 400, loss: 0.08, jitterMs: 100, videoBitrate: 60_000 },
  fair: { rttMs: 150, loss: 0.02, jitterMs: 30, videoBitrate: 250_000 },
} as const;

export function classifyQuality(sample: QualitySample): Quality {
  const { rttMs, loss, jitterMs, bitrate, expectsVideo } = sample;
  if (rttMs === null && loss === null && jitterMs === null && bitrate === null) return "unknown";
  const exceeds = (level: "poor" | "fair") => {
    const limit = QUALITY_THRESHOLDS[level];
    return (
      (rttMs ?? 0) > limit.rttMs ||
      (loss ?? 0) > limit.loss ||
      (jitterMs ?? 0) > limit.jitterMs ||
      (expectsVideo && bitrate !== null && bitrate < limit.videoBitrate)
    );
  };
  if (exceeds("poor")) return "poor";
  if (exceeds("fair")) return "fair";
  return "good";
}

/** Counters kept between two getStats reads of one connection. */
export interface StatsCursor {
  at: number;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
}

/** Reads one RTCStatsReport into a sample; `previous` gives deltas (bitrate, loss since last time). */
export function sampleFromReport(
  report: RTCStatsReport,
  previous: StatsCursor | null,
  expectsVideo: boolean,
): { sample: QualitySample; cursor: StatsCursor; framesDecoded: number } {
  let rttMs: number | null = null;
  let jitterMs: number | null = null;
  let bytesReceived = 0;
  let packetsReceived = 0;
  let packetsLost = 0;
  let framesDecoded = 0;
  let at = 0;
  report.forEach((stat: any) => {
    if (stat.type === "candidate-pair" && (stat.nominated || stat.selected) && stat.state === "succeeded") {
      if (typeof stat.currentRoundTripTime === "number") rttMs = stat.currentRoundTripTime * 1000;
    }
    if (stat.type === "inbound-rtp") {
      at = Math.max(at, stat.timestamp ?? 0);
      bytesReceived += stat.bytesReceived ?? 0;
      packetsReceived += stat.packetsReceived ?? 0;
      packetsLost += Math.max(0, stat.packetsLost ?? 0);
      if (typeof stat.jitter === "number") jitterMs = Math.max(jitterMs ?? 0, stat.jitter * 1000);
      if (stat.kind === "video") framesDecoded += stat.framesDecoded ?? 0;
    }
  });
  const cursor = { at: at || Date.now(), bytesReceived, packetsReceived, packetsLost };
  let bitrate: number | null = null;
  let loss: number | null = null;
  if (previous && cursor.at > previous.at) {
    bitrate = ((cursor.bytesReceived - previous.bytesReceived) * 8 * 1000) / (cursor.at - previous.at);
    const received = cursor.packetsReceived - previous.packetsReceived;
    const lost = cursor.packetsLost - previous.packetsLost;
    loss = received + lost > 0 ? Math.max(0, lost) / (received + lost) : null;
  }
  return { sample: { rttMs, loss, jitterMs, bitrate, expectsVideo }, cursor, framesDecoded };
}

/**
 * A mesh of 3 or 4 sends one encoding per remote (2 or 3 of them): each is capped at 360 lines and 500 kbit/s, what a
 * tile in a grid of 4 shows on a phone, so a laptop's 720p camera is not encoded three times over on the way out
 * (upload and CPU: docs/calls.md, "Sending in a mesh").
 */
export const CROWDED_MESH = { maxLines: 360, maxBitrate: 500_000 };

/**
 * Sender settings per quality: poor halves the resolution and caps the bitrate; otherwise no cap. `crowded` (a mesh
 * with 2 or more remotes, the camera's shorter side `lines` long) adds CROWDED_MESH's caps on top.
 */
export function senderEncodingFor(
  quality: Quality,
  crowded?: { lines: number | null },
): { maxBitrate?: number; scaleResolutionDownBy: number } {
  const base: { maxBitrate?: number; scaleResolutionDownBy: number } =
    quality === "poor"
      ? { maxBitrate: 150_000, scaleResolutionDownBy: 2 }
      : quality === "fair"
        ? { maxBitrate: 500_000, scaleResolutionDownBy: 1 }
        : { scaleResolutionDownBy: 1 };
  if (!crowded) return base;
  const lines = crowded.lines ?? 0;
  return {
    maxBitrate: Math.min(base.maxBitrate ?? Number.POSITIVE_INFINITY, CROWDED_MESH.maxBitrate),
    scaleResolutionDownBy: base.scaleResolutionDownBy * Math.max(1, lines / CROWDED_MESH.maxLines),
  };
}
