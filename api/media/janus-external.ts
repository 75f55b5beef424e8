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
import { janusAnswers } from "./janus-http.ts";

/** An external Janus, watched with `GET /info`. */
export class ExternalJanus implements JanusEndpoint {
  private state: MediaServerStatus = "starting";
  private everUp = false;
  constructor(
    readonly url: string,
    readonly apiSecret: string,
  ) {}
  status(): MediaServerStatus {
    return this.state;
  }
  /** Probes once; returns the event the change means, if any. */
  async probe(): Promise<MediaServerEvent | null> {
    const answers = await janusAnswers(this.url, PROBE_TIMEOUT_MS);
    const before = this.state;
    this.state = answers ? "up" : "down";
    if (answers && before !== "up") {
      const restarted = this.everUp;
      this.everUp = true;
      return restarted ? "restarted" : "up";
    }
    return !answers && before === "up" ? "down" : null;
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
        if (event === "down") this.logger.error({ url: server.url }, "media server: Janus unreachable");
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
