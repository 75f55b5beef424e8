import { Counter, Gauge, type Registry } from "prom-client";
import { countRooms } from "./janus-http.ts";
import type { MediaServer } from "./janus-process.ts";

/**
 * The media server in /metrics: per Janus server whether it answers and how many VideoRoom rooms it holds (asked
 * at each scrape), and how many times one came back after being down.
 */
export function registerMediaMetrics(registry: Registry, media: MediaServer): void {
  new Gauge({
    name: "media_server_up",
    help: "Whether a Janus media server answers its API (1) or not (0), by server.",
    labelNames: ["server", "mode"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const server of media.servers) {
        this.set({ server: server.url, mode: media.mode }, server.status() === "up" ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "media_server_rooms",
    help: "VideoRoom rooms on a Janus media server, by server (servers that are down are left out).",
    labelNames: ["server"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        media.servers
          .filter((server) => server.status() === "up")
          .map(async (server) => {
            const rooms = await countRooms(server.url, server.apiSecret).catch(() => null);
            if (rooms !== null) this.set({ server: server.url }, rooms);
          }),
      );
    },
  });
  const restarts = new Counter({
    name: "media_server_restarts_total",
    help: "Times a Janus media server came back after being down (restarted when managed).",
    registers: [registry],
  });
  media.on("restarted", () => restarts.inc());
}
