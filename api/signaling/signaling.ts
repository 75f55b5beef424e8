import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import express from "express";
import { ExpressPeerServer } from "peer";
import { type RawData, type WebSocket, WebSocketServer } from "ws";

/** Where the PeerJS signaling server answers, on the API's own HTTP server. */
export const PEERJS_PATH = "/peerjs";
/** PeerJS's API key; the browser client sends it as `key` (its default is "peerjs"). */
export const PEERJS_KEY = "peerjs";
/** Close code of a refused or revoked signaling socket (the client also receives a PeerJS ERROR message first). */
export const PEER_REFUSED = 4403;

/** Who an accepted peer id belongs to. */
export interface PeerIdentity {
  sessionId: string;
  participantId: string;
}

/** What the sessions API knows about the peer ids it issued (the sessions service; tests inject their own). */
export interface PeerDirectory {
  /**
   * Whether `peerId` may connect with `token`: the API issued the id to an admitted participant (or the host) of
   * a live session, and the token is that participant's. Anything else: null.
   */
  resolvePeer(peerId: string, token: string): Promise<PeerIdentity | null>;
  /** The session the API issued `peerId` for, whether or not that peer is connected; null for any other id. */
  sessionOfPeer(peerId: string): Promise<string | null>;
}

/** Knows no peer, so refuses everyone: the directory when none is given, so a server without one lets no peer in. */
export const noPeers: PeerDirectory = {
  resolvePeer: async () => null,
  sessionOfPeer: async () => null,
};

export interface SignalingOptions {
  /** Decides every connection, once, before `peer` sees the socket, and where messages may go. */
  peers?: PeerDirectory;
  /** Milliseconds without a heartbeat before the server drops a peer (PeerJS clients beat every 5 s). */
  aliveTimeoutMs?: number;
  /** Origins other than the API's own allowed to call /peerjs over HTTP (CORS_ORIGINS); none by default. */
  corsOrigins?: string[];
}

interface ConnectedPeer {
  identity: PeerIdentity;
  sockets: Set<WebSocket>;
}

/** PeerJS's wire message (see peer's MessageType). */
interface PeerMessage {
  type?: string;
  dst?: string;
  payload?: unknown;
}

function sendError(socket: WebSocket, msg: string): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: "ERROR", payload: { msg } }));
  socket.close(PEER_REFUSED, msg.slice(0, 100));
}

/**
 * The `peer` server, mounted at /peerjs on the API's HTTP server, behind a gate:
 * - HTTP: `peer` is an Express router that initialises only when mounted in an Express app, so a private Express
 *   app (Express is `peer`'s own dependency) hosts it and sees only /peerjs requests (`handleRequest`). Id
 *   generation (`GET /peerjs/<key>/id`) is refused: ids come from the API only. Peer discovery (`/peers`) is off.
 * - WebSocket: `peer` gets a `noServer` WebSocketServer; /peerjs upgrades come to `handleUpgrade`, which asks the
 *   directory before `peer` ever sees the socket. Refused sockets get a PeerJS ERROR message and close 4403.
 * - Messages between peers are relayed only within one session. A message to a connected peer of another session
 *   is dropped; so is one to a peer id that is not connected unless the API issued it for the sender's session,
 *   since `peer` queues such a message and delivers it when that id connects.
 * - `revokePeers` closes the sockets of removed participants at once and tells every other peer of their session
 *   that they left (PeerJS LEAVE), which makes PeerJS close its media and data connections to them.
 */
export function createSignaling(options: SignalingOptions = {}) {
  const directory: PeerDirectory = options.peers ?? noPeers;
  const peers = new Map<string, ConnectedPeer>();
  /** Bumped on every revocation, so an upgrade whose resolve started before it is refused too. */
  const revocations = new Map<string, number>();

  const wsServer = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  const host = express();
  host.disable("x-powered-by");
  const peerApp = ExpressPeerServer({} as Server, {
    path: "/",
    key: PEERJS_KEY,
    allow_discovery: false,
    // `peer` echoes any Origin by default (`cors({ origin: true })`): allow only the configured ones, as /graphql does.
    corsOptions: { origin: options.corsOrigins?.length ? options.corsOrigins : false },
    alive_timeout: options.aliveTimeoutMs ?? 60_000,
    // `peer` passes the HTTP server it was given; ours routes upgrades itself instead.
    createWebSocketServer: () => wsServer,
    generateClientId: () => {
      throw new Error("peer ids are issued by the API");
    },
  });
  // `peer` is an Express app of its own, so it needs its own switch for the X-Powered-By header.
  peerApp.disable("x-powered-by");
  peerApp.on("error", () => {
    // Malformed frames from a client: `peer` drops them; nothing to do.
  });
  // `peer` initialises (realm, message relay, expiry and heartbeat checks) when mounted in an Express app.
  host.use(PEERJS_PATH, peerApp);

  /**
   * Whether `message` from a peer of `sessionId` may reach `peer`'s relay. Messages without a destination
   * (heartbeats) concern the sender only. A destination that is not connected is looked up, because `peer` would
   * queue the message for it.
   */
  function mayRelay(sessionId: string, message: PeerMessage): boolean | Promise<boolean> {
    if (message.dst === undefined) return true;
    if (typeof message.dst !== "string") return false;
    const connected = peers.get(message.dst);
    if (connected) return connected.identity.sessionId === sessionId;
    return directory
      .sessionOfPeer(message.dst)
      .then((target) => target === sessionId)
      .catch(() => false);
  }

  /**
   * Wraps the socket's message listeners so that cross-session messages never reach `peer`'s relay. Messages
   * still reach it in the order they were sent (an offer before its candidates), lookups or not.
   */
  function guardMessages(socket: WebSocket, identity: PeerIdentity): void {
    const on = socket.on.bind(socket);
    const guarded = (event: string | symbol, listener: (...args: any[]) => void) => {
      if (event !== "message") return on(event as "close", listener);
      let previous: Promise<unknown> = Promise.resolve();
      return on("message", (data: RawData, isBinary: boolean) => {
        let message: PeerMessage;
        try {
          message = JSON.parse(data.toString()) as PeerMessage;
        } catch {
          return;
        }
        const verdict = mayRelay(identity.sessionId, message);
        previous = previous
          .then(async () => {
            if (await verdict) listener(data, isBinary);
          })
          // `peer` reports its own failures (the error listener above); the next messages still go through.
          .catch(() => {});
      });
    };
    (socket as unknown as { on: typeof guarded }).on = guarded;
    (socket as unknown as { addListener: typeof guarded }).addListener = guarded;
  }

  function accept(socket: WebSocket, request: IncomingMessage, peerId: string, identity: PeerIdentity): void {
    const entry = peers.get(peerId) ?? { identity, sockets: new Set<WebSocket>() };
    entry.identity = identity;
    entry.sockets.add(socket);
    peers.set(peerId, entry);
    socket.on("close", () => {
      entry.sockets.delete(socket);
      if (entry.sockets.size === 0 && peers.get(peerId) === entry) peers.delete(peerId);
    });
    guardMessages(socket, identity);
    wsServer.emit("connection", socket, request);
  }

  /** HTTP requests under /peerjs. */
  function handleRequest(request: IncomingMessage, response: ServerResponse): void {
    const { pathname } = new URL(request.url ?? "/", "http://localhost");
    if (/^\/peerjs\/[^/]+\/id\/?$/.test(pathname)) {
      response
        .writeHead(403, { "content-type": "text/plain; charset=utf-8" })
        .end("Peer ids are issued by the API to admitted participants.");
      return;
    }
    host(request as Parameters<typeof host>[0], response as Parameters<typeof host>[1]);
  }

  /** WebSocket upgrades of /peerjs/peerjs?key=…&id=…&token=… */
  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== `${PEERJS_PATH}/peerjs`) {
      socket.destroy();
      return;
    }
    const id = url.searchParams.get("id") ?? "";
    const token = url.searchParams.get("token") ?? "";
    const key = url.searchParams.get("key") ?? "";
    const epoch = revocations.get(id) ?? 0;
    const verdict: Promise<PeerIdentity | null> =
      id && token && key === PEERJS_KEY ? directory.resolvePeer(id, token).catch(() => null) : Promise.resolve(null);
    void verdict.then((identity) => {
      if (socket.destroyed) return;
      wsServer.handleUpgrade(request, socket, head, (client) => {
        if (!identity || (revocations.get(id) ?? 0) !== epoch) {
          sendError(client, "This peer id or token is not admitted to a live session.");
          return;
        }
        accept(client, request, id, identity);
      });
    });
  }

  /** Closes the signaling sockets of these peers at once and tells their session's other peers they left. */
  function revokePeers(peerIds: Iterable<string>): void {
    for (const peerId of peerIds) {
      revocations.set(peerId, (revocations.get(peerId) ?? 0) + 1);
      const entry = peers.get(peerId);
      if (!entry) continue;
      peers.delete(peerId);
      for (const socket of entry.sockets) sendError(socket, "Access to this session was revoked.");
      for (const [otherId, other] of peers) {
        if (other.identity.sessionId !== entry.identity.sessionId) continue;
        const leave = JSON.stringify({ type: "LEAVE", src: peerId, dst: otherId });
        for (const socket of other.sockets) if (socket.readyState === socket.OPEN) socket.send(leave);
      }
    }
  }

  /** Peer ids with an open signaling socket (tests and diagnostics). */
  function connectedPeerIds(): string[] {
    return [...peers.keys()];
  }

  async function close(): Promise<void> {
    for (const client of wsServer.clients) client.terminate();
    wsServer.close();
  }

  return {
    handleRequest,
    handleUpgrade,
    revokePeers,
    connectedPeerIds,
    close,
  };
}

export type Signaling = ReturnType<typeof createSignaling>;
