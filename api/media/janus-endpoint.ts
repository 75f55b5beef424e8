import type { Logger } from "../ops/logger.ts";

/** What the rest of the API knows of the media server (SFU); api/media/janus-process.ts creates it. */
export type MediaServerStatus = "starting" | "up" | "restarting" | "down" | "off";
export type MediaServerEvent = "up" | "down" | "restarted";

/** One Janus server. */
export interface JanusEndpoint {
  /** The Janus API base, e.g. http://127.0.0.1:8088/janus (no trailing slash). */
  readonly url: string;
  /** The `api_secret` requests carry ("" when the Janus has none). */
  readonly apiSecret: string;
  status(): MediaServerStatus;
}

export interface MediaServer extends JanusEndpoint {
  readonly mode: "managed" | "external";
  /** Every Janus server (one when managed); a session's room lives on one of them, see media-placement.ts. */
  readonly servers: readonly JanusEndpoint[];
  /** Where this server finds VideoRoom's `.mjr` recordings, or null (external Janus without a shared folder). */
  readonly recordingsDir: string | null;
  /** Overall: `up` when at least one server is up. */
  status(): MediaServerStatus;
  /** Times a server came back after being down (a managed Janus restarted, an external one reachable again). */
  restarts(): number;
  /**
   * `down`: a server stopped answering (its rooms are gone if it restarts); `up`: it answers (again);
   * `restarted`: it answers again after being down, with no rooms: clients must rejoin. Returns the unsubscriber.
   */
  on(event: MediaServerEvent, listener: (server: JanusEndpoint) => void): () => void;
  /** The managed Janus's process id while it runs (tests, diagnostics). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** Every Janus is probed with `GET /info` this often, and given this long to answer. */
export const PROBE_INTERVAL_MS = 5000;
export const PROBE_TIMEOUT_MS = 2000;

export class Listeners {
  private readonly byEvent = new Map<MediaServerEvent, Set<(server: JanusEndpoint) => void>>();
  on(event: MediaServerEvent, listener: (server: JanusEndpoint) => void): () => void {
    const set = this.byEvent.get(event) ?? new Set();
    this.byEvent.set(event, set);
    set.add(listener);
    return () => set.delete(listener);
  }
  emit(event: MediaServerEvent, server: JanusEndpoint, logger: Logger): void {
    for (const listener of this.byEvent.get(event) ?? []) {
      try {
        listener(server);
      } catch (error) {
        logger.error({ err: error, event }, "media server listener failed");
      }
    }
  }
}
