import type { Logger } from "../ops/logger.ts";
import {
  type JanusEndpoint,
  Listeners,
  type MediaServer,
  type MediaServerEvent,
  type MediaServerStatus,
  PROBE_INTERVAL_MS,
  PROBE_TIMEOUT_MS,
} from "./janus-endpoint.ts";
import { JanusRequestError, janusAnswers, janusPost } from "./janus-http.ts";

/**
 * An external Janus, watched with `GET /info` and a Janus session of our own (the canary, kept alive at each
 * probe): when Janus answers but no longer knows the canary, it restarted between two probes and its rooms are gone,
 * even if no probe saw it down (systemd restarts it within a second). A Janus that refuses our API secret counts as
 * down: the API could not use it.
 */
export class ExternalJanus implements JanusEndpoint {
  private state: MediaServerStatus = "starting";
  private everUp = false;
  private canary: number | null = null;
  /** Why the last probe found it unusable, for the log. */
  problem: string | null = null;
  constructor(
    readonly url: string,
    readonly apiSecret: string,
  ) {}
  status(): MediaServerStatus {
    return this.state;
  }

  /** Probes once; returns the event the change means, if any. */
  async probe(): Promise<MediaServerEvent | null> {
    const before = this.state;
    const answers = await janusAnswers(this.url, PROBE_TIMEOUT_MS);
    const canary = answers ? await this.checkCanary() : "unreachable";
    this.problem = answers ? (canary === "refused" ? "it refuses JANUS_API_SECRET" : null) : "it does not answer";
    const usable = answers && canary !== "refused";
    this.state = usable ? "up" : "down";
    if (usable && before !== "up") {
      const restarted = this.everUp;
      this.everUp = true;
      return restarted ? "restarted" : "up";
    }
    if (usable && canary === "lost") return "restarted";
    return !usable && before === "up" ? "down" : null;
  }

  /** Keeps the canary session alive, or opens one: `lost` when Janus forgot it (restarted). */
  private async checkCanary(): Promise<"kept" | "lost" | "refused" | "unreachable"> {
    let lost = false;
    if (this.canary !== null) {
      try {
        await janusPost(`${this.url}/${this.canary}`, this.apiSecret, { janus: "keepalive" }, PROBE_TIMEOUT_MS);
        return "kept";
      } catch (error) {
        if (!(error instanceof JanusRequestError)) return "unreachable";
        this.canary = null;
        lost = true;
      }
    }
    try {
      const created = await janusPost<{ data: { id: number } }>(
        this.url,
        this.apiSecret,
        { janus: "create" },
        PROBE_TIMEOUT_MS,
      );
      this.canary = created.data.id;
      return lost ? "lost" : "kept";
    } catch (error) {
      return error instanceof JanusRequestError ? "refused" : "unreachable";
    }
  }
}

export class ExternalJanusPool implements MediaServer {
  readonly mode = "external" as const;
  private readonly listeners = new Listeners();
  private restartCount = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly servers: readonly ExternalJanus[],
    readonly recordingsDir: string | null,
    private readonly logger: Logger,
  ) {}

  get url(): string {
    return (this.servers.find((server) => server.status() === "up") ?? this.servers[0])?.url ?? "";
  }
  get apiSecret(): string {
    return this.servers[0]?.apiSecret ?? "";
  }
  status(): MediaServerStatus {
    if (this.stopped) return "off";
    const states = this.servers.map((server) => server.status());
    if (states.includes("up")) return "up";
    return states.includes("starting") ? "starting" : "down";
  }
  restarts(): number {
    return this.restartCount;
  }
  pid(): undefined {
    return undefined;
  }
  on(event: MediaServerEvent, listener: (server: JanusEndpoint) => void): () => void {
    return this.listeners.on(event, listener);
  }

  async probeAll(): Promise<void> {
    await Promise.all(
      this.servers.map(async (server) => {
        const event = await server.probe();
        if (!event || this.stopped) return;
        if (event === "down")
          this.logger.error({ url: server.url, problem: server.problem }, "media server: Janus unusable");
        else this.logger.info({ url: server.url, event }, "media server: Janus reachable");
        if (event === "restarted") {
          this.restartCount += 1;
          this.listeners.emit("up", server, this.logger);
        }
        this.listeners.emit(event, server, this.logger);
      }),
    );
  }

  watch(): void {
    this.timer = setInterval(() => void this.probeAll(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}
