/**
 * Baseline for bench:calls: a bare `peer` signaling server (PeerServer from the `peer` package, its defaults), no
 * admission gate, no API. Mounted at /peerjs like ours, so the browser's PeerJS options are the same for both.
 */
import { PeerServer } from "peer";

const port = Number(process.env.PORT ?? 4122);
const host = process.env.HOST ?? "127.0.0.1";
PeerServer({ port, host, path: "/peerjs", key: "peerjs", allow_discovery: false });
