/**
 * A Janus server the API may use: the managed child process or an external one (api/media/janus-process.ts
 * supervises it). The broker (media-broker.ts) only needs its address, its API secret and to hear when it restarted.
 */
export type MediaServerStatus = "starting" | "up" | "restarting" | "down" | "off";

export interface MediaServer {
  /** Janus's REST API, e.g. http://127.0.0.1:8088/janus. */
  url: string;
  apiSecret: string;
  status(): MediaServerStatus;
  /** "restarted": every room and handle is gone; "down"/"up": reachability changed. Returns an unsubscribe. */
  on(event: "restarted" | "down" | "up", callback: () => void): () => void;
  stop(): Promise<void>;
}
