/** The media server the broker uses: the managed or external Janus of api/media/janus-process.ts. */
export type { JanusEndpoint, MediaServer, MediaServerStatus } from "./janus-process.ts";
