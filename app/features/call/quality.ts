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

/** Sender settings per quality: poor halves the resolution and caps the bitrate; otherwise no cap. */
export function senderEncodingFor(quality: Quality): { maxBitrate?: number; scaleResolutionDownBy: number } {
  if (quality === "poor") return { maxBitrate: 150_000, scaleResolutionDownBy: 2 };
  if (quality === "fair") return { maxBitrate: 500_000, scaleResolutionDownBy: 1 };
  return { scaleResolutionDownBy: 1 };
}
