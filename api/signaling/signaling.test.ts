import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { eventually, startTestServer, type TestServer } from "../../test/harness.ts";
import { connectPeerSocket } from "../../test/peer-socket.ts";
import { createSignaling, PEER_REFUSED, type PeerDirectory } from "./signaling.ts";

/** Stands in for the sessions service: peer id → its token and session. */
const admitted = new Map<string, { token: string; sessionId: string; participantId: string }>([
  ["peer-a", { token: "token-a", sessionId: "s1", participantId: "pa" }],
  ["peer-b", { token: "token-b", sessionId: "s1", participantId: "pb" }],
  ["peer-c", { token: "token-c", sessionId: "s2", participantId: "pc" }],
  ["peer-d", { token: "token-d", sessionId: "s1", participantId: "pd" }],
  ["peer-e", { token: "token-e", sessionId: "s2", participantId: "pe" }],
  ["peer-f", { token: "token-f", sessionId: "s1", participantId: "pf" }],
]);
/** While a test holds admissions back, each check notes its peer id and waits for `released`. */
let held: { asked: string[]; released: Promise<void> } | null = null;
const directory: PeerDirectory = {
  resolvePeer: async (peerId, token) => {
    if (held) {
      held.asked.push(peerId);
      await held.released;
    }
    const entry = admitted.get(peerId);
    return entry && entry.token === token ? { sessionId: entry.sessionId, participantId: entry.participantId } : null;
  },
  sessionOfPeer: async (peerId) => admitted.get(peerId)?.sessionId ?? null,
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ peerDirectory: directory });
});
afterAll(async () => {
  await server?.close();
});

/** A PeerJS signaling socket to the test server. */
const connectPeer = (id: string, token: string, key = "peerjs") => connectPeerSocket(server.url, id, token, key);

describe("PeerJS signaling gate", () => {
  it("opens admitted peers and relays their messages within the session", async () => {
    const a = connectPeer("peer-a", "token-a");
    const b = connectPeer("peer-b", "token-b");
    expect((await a.next()).type).toBe("OPEN");
    expect((await b.next()).type).toBe("OPEN");
    a.socket.send(JSON.stringify({ type: "OFFER", dst: "peer-b", payload: { sdp: "x" } }));
    expect(await b.next("OFFER")).toMatchObject({ src: "peer-a", dst: "peer-b", payload: { sdp: "x" } });
    expect(server.app.signaling.connectedPeerIds().sort()).toEqual(["peer-a", "peer-b"]);
    a.socket.close();
    b.socket.close();
    await Promise.all([a.closed, b.closed]);
  });

  it("refuses a wrong token, an unknown id, a wrong key and a missing token", async () => {
    for (const [id, token, key] of [
      ["peer-a", "token-b", "peerjs"],
      ["forged-id", "token-a", "peerjs"],
      ["peer-a", "token-a", "other"],
      ["peer-a", "", "peerjs"],
    ] as const) {
      const peer = connectPeer(id, token, key);
      const message = await peer.next();
      expect(message).toMatchObject({ type: "ERROR" });
      expect((await peer.closed).code).toBe(PEER_REFUSED);
    }
    expect(server.app.signaling.connectedPeerIds()).toEqual([]);
  });

  it("refuses id generation over HTTP and keeps discovery off", async () => {
    expect((await fetch(`${server.url}/peerjs/peerjs/id`)).status).toBe(403);
    expect((await fetch(`${server.url}/peerjs/peerjs/peers`)).status).toBe(401);
    expect((await fetch(`${server.url}/peerjs`)).status).toBe(200);
  });

  it("names no framework and grants no other origin", async () => {
    const response = await fetch(`${server.url}/peerjs/`, { headers: { origin: "https://evil.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-powered-by")).toBeNull();
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${server.url}/peerjs/peerjs/id`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("drops messages addressed to a peer of another session", async () => {
    const a = connectPeer("peer-a", "token-a");
    const b = connectPeer("peer-b", "token-b");
    const c = connectPeer("peer-c", "token-c");
    await Promise.all([a.next("OPEN"), b.next("OPEN"), c.next("OPEN")]);
    a.socket.send(JSON.stringify({ type: "OFFER", dst: "peer-c", payload: { sdp: "leak" } }));
    a.socket.send(JSON.stringify({ type: "OFFER", dst: "peer-b", payload: { sdp: "ok" } }));
    // Messages on one socket are handled in order: once b has the second, the first was handled too.
    expect((await b.next("OFFER")).payload.sdp).toBe("ok");
    expect(c.messages.filter((message) => message.type === "OFFER")).toEqual([]);
    for (const peer of [a, b, c]) peer.socket.close();
    await Promise.all([a.closed, b.closed, c.closed]);
  });

  it("queues messages for an offline peer only within the session the API issued its id for", async () => {
    const a = connectPeer("peer-a", "token-a");
    await a.next("OPEN");
    // `peer` keeps messages for an id that is not connected and delivers them when it connects.
    a.socket.send(JSON.stringify({ type: "OFFER", dst: "peer-c", payload: { sdp: "other session" } }));
    a.socket.send(JSON.stringify({ type: "OFFER", dst: "never-issued", payload: { sdp: "unknown id" } }));
    a.socket.send(JSON.stringify({ type: "OFFER", dst: "peer-b", payload: { sdp: "same session" } }));
    a.socket.send(JSON.stringify({ type: "OFFER", dst: "peer-f", payload: { sdp: "never picked up" } }));

    // In order: once b has its offer, a's first two messages were handled too.
    const b = connectPeer("peer-b", "token-b");
    expect(await b.next("OFFER")).toMatchObject({ src: "peer-a", payload: { sdp: "same session" } });

    // A connecting peer receives its queue right after OPEN, before anything relayed later.
    const c = connectPeer("peer-c", "token-c");
    const e = connectPeer("peer-e", "token-e");
    await Promise.all([c.next("OPEN"), e.next("OPEN")]);
    e.socket.send(JSON.stringify({ type: "OFFER", dst: "peer-c", payload: { sdp: "from its own session" } }));
    expect(await c.next("OFFER")).toMatchObject({ src: "peer-e", payload: { sdp: "from its own session" } });

    // `peer` answers EXPIRE for each destination whose queue was never picked up, in the order the queues were
    // made: a queue for the unknown id would expire before f's.
    expect(await a.next("EXPIRE", 15_000)).toMatchObject({ src: "peer-f" });
    expect(a.messages.filter((message) => message.type === "EXPIRE")).toEqual([]);
    for (const peer of [a, b, c, e]) peer.socket.close();
    await Promise.all([a.closed, b.closed, c.closed, e.closed]);
  });

  it("revokePeers closes the peer at once and tells its session's peers it left", async () => {
    const a = connectPeer("peer-a", "token-a");
    const b = connectPeer("peer-b", "token-b");
    const c = connectPeer("peer-c", "token-c");
    await Promise.all([a.next("OPEN"), b.next("OPEN"), c.next("OPEN")]);
    server.app.signaling.revokePeers(["peer-b"]);
    expect(await b.next("ERROR")).toMatchObject({ payload: { msg: "Access to this session was revoked." } });
    expect((await b.closed).code).toBe(PEER_REFUSED);
    expect(await a.next("LEAVE")).toMatchObject({ src: "peer-b", dst: "peer-a" });
    expect(c.messages.filter((message) => message.type === "LEAVE")).toEqual([]);
    expect(server.app.signaling.connectedPeerIds().sort()).toEqual(["peer-a", "peer-c"]);
    a.socket.close();
    c.socket.close();
    await Promise.all([a.closed, c.closed]);
  });

  it("refuses a peer whose revocation lands while its admission is being checked", async () => {
    let release: () => void = () => {};
    const admissions = { asked: [] as string[], released: new Promise<void>((resolve) => (release = resolve)) };
    held = admissions;
    try {
      const d = connectPeer("peer-d", "token-d");
      // Revoke while the directory is deciding about peer-d.
      await eventually(() => admissions.asked.includes("peer-d"), { what: "peer-d's admission check" });
      server.app.signaling.revokePeers(["peer-d"]);
      release();
      expect((await d.next()).type).toBe("ERROR");
      expect((await d.closed).code).toBe(PEER_REFUSED);
    } finally {
      held = null;
      release();
    }
  });

  it("refuses every peer when it has no directory", async () => {
    // The signaling module built without a directory, on a bare HTTP server (no database needed).
    const signaling = createSignaling();
    const bare = createServer((request, response) => signaling.handleRequest(request, response));
    bare.on("upgrade", (request, socket, head) => signaling.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = bare.address() as AddressInfo;
      const socket = new WebSocket(`ws://127.0.0.1:${port}/peerjs/peerjs?key=peerjs&id=peer-a&token=token-a`);
      const code = await new Promise<number>((resolve) => socket.on("close", (closeCode) => resolve(closeCode)));
      expect(code).toBe(PEER_REFUSED);
      expect(signaling.connectedPeerIds()).toEqual([]);
    } finally {
      await signaling.close();
      bare.closeAllConnections();
      await new Promise<void>((resolve) => bare.close(() => resolve()));
    }
  });
});
