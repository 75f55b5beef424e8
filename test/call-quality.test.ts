import { describe, expect, it } from "vitest";
import {
  classifyQuality,
  type QualitySample,
  sampleFromReport,
  senderEncodingFor,
} from "../app/features/call/quality.ts";

const base: QualitySample = { rttMs: 40, loss: 0, jitterMs: 5, bitrate: 1_200_000, expectsVideo: true };

describe("call quality from getStats", () => {
  it("grades round-trip time, loss, jitter and bitrate against the documented thresholds", () => {
    expect(classifyQuality(base)).toBe("good");
    expect(classifyQuality({ ...base, rttMs: 200 })).toBe("fair");
    expect(classifyQuality({ ...base, rttMs: 450 })).toBe("poor");
    expect(classifyQuality({ ...base, loss: 0.03 })).toBe("fair");
    expect(classifyQuality({ ...base, loss: 0.1 })).toBe("poor");
    expect(classifyQuality({ ...base, jitterMs: 50 })).toBe("fair");
    expect(classifyQuality({ ...base, jitterMs: 150 })).toBe("poor");
    expect(classifyQuality({ ...base, bitrate: 100_000 })).toBe("fair");
    expect(classifyQuality({ ...base, bitrate: 20_000 })).toBe("poor");
    // A participant with the camera off sends little: bitrate does not count then.
    expect(classifyQuality({ ...base, bitrate: 20_000, expectsVideo: false })).toBe("good");
    expect(classifyQuality({ rttMs: null, loss: null, jitterMs: null, bitrate: null, expectsVideo: true })).toBe(
      "unknown",
    );
  });

  it("computes bitrate and loss from the difference between two reports", () => {
    const report = (at: number, bytes: number, received: number, lost: number) =>
      new Map<string, any>([
        ["pair", { type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.08 }],
        [
          "video",
          {
            type: "inbound-rtp",
            kind: "video",
            timestamp: at,
            bytesReceived: bytes,
            packetsReceived: received,
            packetsLost: lost,
            jitter: 0.012,
            framesDecoded: 30,
          },
        ],
      ]) as unknown as RTCStatsReport;
    const first = sampleFromReport(report(1000, 0, 0, 0), null, true);
    expect(first.sample.bitrate).toBeNull();
    const second = sampleFromReport(report(3000, 250_000, 950, 50), first.cursor, true);
    expect(second.sample).toMatchObject({ rttMs: 80, loss: 0.05, jitterMs: 12, bitrate: 1_000_000 });
    expect(second.framesDecoded).toBe(30);
    expect(classifyQuality(second.sample)).toBe("fair");
  });

  it("caps the sender's bitrate and halves its resolution when quality is poor", () => {
    expect(senderEncodingFor("poor")).toEqual({ maxBitrate: 150_000, scaleResolutionDownBy: 2 });
    expect(senderEncodingFor("good")).toEqual({ scaleResolutionDownBy: 1 });
  });

  it("caps each encoding of a mesh of 3 or 4 at 360 lines and 500 kbit/s, on top of the link's quality", () => {
    expect(senderEncodingFor("good", { lines: 720 })).toEqual({ maxBitrate: 500_000, scaleResolutionDownBy: 2 });
    expect(senderEncodingFor("unknown", { lines: 1080 })).toEqual({ maxBitrate: 500_000, scaleResolutionDownBy: 3 });
    // A camera already small enough is not scaled up.
    expect(senderEncodingFor("good", { lines: 240 })).toEqual({ maxBitrate: 500_000, scaleResolutionDownBy: 1 });
    expect(senderEncodingFor("good", { lines: null })).toEqual({ maxBitrate: 500_000, scaleResolutionDownBy: 1 });
    expect(senderEncodingFor("poor", { lines: 720 })).toEqual({ maxBitrate: 150_000, scaleResolutionDownBy: 4 });
  });
});
