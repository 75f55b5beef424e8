import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import express from "express";
import { ExpressPeerServer } from "peer";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { refuseUpgrade } from "../http/refuse-upgrade.ts";
import type { RelayedMessage, SignalingRelay } from "./signaling-relay.ts";

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
  /** Server mode: carries messages to peers connected to other instances (see signaling-relay.ts). */
  relay?: SignalingRelay | null;
  /** Origins other than the API's own allowed to call /peerjs over HTTP (CORS_ORIGINS); none by default. */
  corsOrigins?: string[];
}

/** Where a peer's message goes: to `peer`'s relay (a peer here, or the queue of one connected nowhere), to the
 * instance holding its destination, or nowhere. */
type Route = { to: "peer" } | { to: "instance"; instance: string } | { to: "nowhere" };
const TO_PEER: Route = { to: "peer" };
const NOWHERE: Route = { to: "nowhere" };

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
 *   is dropped; so is one to a peer id that is not connected here unless the API issued it for the sender's
 *   session. Such a message goes to the instance holding that peer (server mode, `relay`) or, when the peer is
 *   connected nowhere, to `peer`, which queues it and delivers it when that id connects.
 * - `revokePeers` closes the sockets of removed participants at once and tells every other peer of their session
 *   that they left (PeerJS LEAVE), which makes PeerJS close its media and data connections to them. Every
 *   instance runs it (the revocation is a pub/sub event), each for the peers connected to it.
 */
export function createSignaling(options: SignalingOptions = {}) {
  const directory: PeerDirectory = options.peers ?? noPeers;
  const relay = options.relay ?? null;
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
   * Where `message` from a peer of `sessionId` goes. Messages without a destination (heartbeats) concern the
   * sender only. A destination that is not connected here is looked up: its session, and the instance holding it.
   */
  function routeOf(sessionId: string, message: PeerMessage): Route | Promise<Route> {
    if (message.dst === undefined) return TO_PEER;
    if (typeof message.dst !== "string") return NOWHERE;
    const connected = peers.get(message.dst);
    if (connected) return connected.identity.sessionId === sessionId ? TO_PEER : NOWHERE;
    return Promise.all([directory.sessionOfPeer(message.dst), relay ? relay.locate(message.dst) : null])
      .then(([target, instance]): Route => {
        if (target !== sessionId) return NOWHERE;
        return instance ? { to: "instance", instance } : TO_PEER;
      })
      .catch(() => NOWHERE);
  }

  /** A message relayed by another instance, for a peer connected here. */
  function deliverRelayed({ sessionId, message }: RelayedMessage): void {
    const entry = peers.get(message.dst);
    if (!entry || entry.identity.sessionId !== sessionId) return;
    const text = JSON.stringify(message);
    for (const socket of entry.sockets) if (socket.readyState === socket.OPEN) socket.send(text);
  }
  const listening = relay?.listen(deliverRelayed) ?? Promise.resolve();

  /**
   * Wraps the socket's message listeners so that cross-session messages never reach `peer`'s relay, and messages
   * for peers on other instances go there. Messages still leave in the order they were sent (an offer before its
   * candidates), lookups or not.
   */
  function guardMessages(socket: WebSocket, peerId: string, identity: PeerIdentity): void {
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
        const verdict = routeOf(identity.sessionId, message);
        previous = previous
          .then(async () => {
            const route = await verdict;
            if (route.to === "peer") listener(data, isBinary);
            else if (route.to === "instance" && relay) {
              const relayed = { ...message, src: peerId, dst: message.dst as string };
              await relay.send(route.instance, { sessionId: identity.sessionId, message: relayed });
            }
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
      if (entry.sockets.size === 0 && peers.get(peerId) === entry) {
        peers.delete(peerId);
        relay?.release(peerId);
      }
    });
    guardMessages(socket, peerId, identity);
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
      refuseUpgrade(socket, 404, "No WebSocket endpoint at this path.");
      return;
    }
    const id = url.searchParams.get("id") ?? "";
    const token = url.searchParams.get("token") ?? "";
    const key = url.searchParams.get("key") ?? "";
    const epoch = revocations.get(id) ?? 0;
    const verdict: Promise<PeerIdentity | null> =
      id && token && key === PEERJS_KEY ? directory.resolvePeer(id, token).catch(() => null) : Promise.resolve(null);
    // An admitted peer is recorded as held here before its socket opens, so no instance can take a message for it
    // as one for a peer connected nowhere once the peer could have learnt it is connected.
    const releaseUnlessConnected = () => {
      if (relay && !peers.has(id)) relay.release(id);
    };
    void verdict.then(async (identity) => {
      if (identity && relay) await relay.hold(id).catch(() => {});
      if (socket.destroyed) {
        if (identity) releaseUnlessConnected();
        return;
      }
      wsServer.handleUpgrade(request, socket, head, (client) => {
        if (!identity || (revocations.get(id) ?? 0) !== epoch) {
          if (identity) releaseUnlessConnected();
          sendError(client, "This peer id or token is not admitted to a live session.");
          return;
        }
        accept(client, request, id, identity);
      });
    });
  }

  /**
   * Closes the signaling sockets of these peers at once and tells their session's other peers they left. Given
   * `sessionId`, peers of that session connected here hear of it even when the revoked peer is on another instance.
   */
  function revokePeers(peerIds: Iterable<string>, sessionId?: string): void {
    for (const peerId of peerIds) {
      revocations.set(peerId, (revocations.get(peerId) ?? 0) + 1);
      const entry = peers.get(peerId);
      if (entry) {
        peers.delete(peerId);
        relay?.release(peerId);
        for (const socket of entry.sockets) sendError(socket, "Access to this session was revoked.");
      }
      const session = entry?.identity.sessionId ?? sessionId;
      if (session === undefined) continue;
      for (const [otherId, other] of peers) {
        if (other.identity.sessionId !== session) continue;
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
    await relay?.close();
  }

  return {
    /** Resolves once messages relayed from other instances are received (server mode). */
    ready: () => listening,
    handleRequest,
    handleUpgrade,
    revokePeers,
    connectedPeerIds,
    close,
  };
}

export type Signaling = ReturnType<typeof createSignaling>;
