import type { MediaLink } from "./call-types.ts";
import { classifyQuality, type Quality, sampleFromReport, senderEncodingFor } from "./quality.ts";

interface QualityMonitorOptions {
  /** The remotes to sample, as the topology connects them. */
  links: () => Iterable<MediaLink>;
  /** Whether this side sends media (then the send side is adapted too). */
  publishes: () => boolean;
  /** A shared screen keeps its full resolution whatever the quality. */
  screenSharing: () => boolean;
  /** Whether this side sends to 2 or more remotes over separate connections (a mesh of 3 or 4): CROWDED_MESH caps. */
  crowded: () => boolean;
  /** New samples are in: the store publishes a new state. */
  changed: () => void;
  /** How often quality is sampled, ms. */
  intervalMs: number;
}

/**
 * Connection quality per remote from getStats: the badge for the receive side, and for the send side a lower
 * bitrate and resolution towards a remote whose reports say the path is poor (restored when it recovers).
 */
export class QualityMonitor {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private options: QualityMonitorOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.options.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Samples getStats per remote peer: quality badge for the receive side, bitrate cap for the send side. */
  private async sample(): Promise<void> {
    for (const link of this.options.links()) {
      const connection = link.connection;
      if (!connection) continue;
      try {
        const report = await connection.getStats();
        const expectsVideo = link.remote.publishes && !link.remote.videoOff && !link.remote.audioOnly;
        const { sample, cursor, framesDecoded } = sampleFromReport(report, link.quality.cursor, expectsVideo);
        link.quality.cursor = cursor;
        link.remote.framesDecoded = framesDecoded;
        link.remote.audioLevel = audioLevel(report);
        if (link.remote.publishes) {
          link.remote.stats = {
            rttMs: sample.rttMs,
            loss: sample.loss,
            jitterMs: sample.jitterMs,
            bitrate: sample.bitrate,
          };
          link.remote.quality = classifyQuality(sample);
        }
        if (this.options.publishes()) {
          // What the other side reports about our video (RTCP receiver reports).
          let rttMs: number | null = sample.rttMs;
          let loss: number | null = null;
          let jitterMs: number | null = null;
          report.forEach((stat: any) => {
            if (stat.type === "remote-inbound-rtp" && stat.kind === "video") {
              if (typeof stat.roundTripTime === "number") rttMs = stat.roundTripTime * 1000;
              if (typeof stat.fractionLost === "number") loss = stat.fractionLost;
              if (typeof stat.jitter === "number") jitterMs = stat.jitter * 1000;
            }
          });
          const quality = classifyQuality({ rttMs, loss, jitterMs, bitrate: null, expectsVideo: false });
          if (!link.quality.pinnedQuality && quality !== link.quality.senderQuality) {
            link.quality.senderQuality = quality;
            await this.applySenderQuality(link);
          }
        }
      } catch {
        // The connection closed while sampling.
      }
    }
    this.options.changed();
  }

  /**
   * Lowers (poor, or a crowded mesh) or restores the video bitrate and resolution sent to one peer. A shared screen
   * keeps its resolution and is not capped for the crowd (it is what everyone looks at).
   */
  async applySenderQuality(link: MediaLink): Promise<void> {
    const sender = videoSender(link);
    if (!sender) return;
    const parameters = sender.getParameters();
    if (!parameters.encodings || parameters.encodings.length === 0) return;
    const screen = this.options.screenSharing();
    // A phone held upright sends a tall picture: the cap is on its shorter side.
    const settings = sender.track?.getSettings();
    const lines = settings?.width && settings.height ? Math.min(settings.width, settings.height) : null;
    const crowded = this.options.crowded() && !screen ? { lines } : undefined;
    const target = senderEncodingFor(link.quality.senderQuality, crowded);
    for (const encoding of parameters.encodings) {
      if (target.maxBitrate) encoding.maxBitrate = target.maxBitrate;
      else delete encoding.maxBitrate;
      encoding.scaleResolutionDownBy = screen ? 1 : target.scaleResolutionDownBy;
    }
    await sender.setParameters(parameters).catch(() => undefined);
  }

  /** Pins the sender quality towards one peer until called with null (automatic adaptation again). */
  async pin(link: MediaLink, quality: Quality | null): Promise<void> {
    link.quality.pinnedQuality = quality;
    link.quality.senderQuality = quality ?? "unknown";
    await this.applySenderQuality(link);
  }
}

/** The received audio's level in a stats report (0 when none is reported). */
function audioLevel(report: RTCStatsReport): number {
  let level = 0;
  report.forEach((stat: any) => {
    if (stat.type === "inbound-rtp" && stat.kind === "audio" && typeof stat.audioLevel === "number")
      level = stat.audioLevel;
  });
  return level;
}

/** The sender of our video towards one remote. */
export function videoSender(link: MediaLink): RTCRtpSender | undefined {
  return link.connection?.getSenders().find((candidate) => candidate.track?.kind === "video");
}
