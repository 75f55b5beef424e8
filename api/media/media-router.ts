import { randomUUID } from "node:crypto";
import { DomainError, ValidationError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../ops/logger.ts";
import { type RedisConnections, subscribeWhenUp } from "../ops/redis.ts";
import type { PubSub } from "../pubsub.ts";
import { withVideoRoomHandle } from "./janus-http.ts";
import {
  MediaAlreadyPublishingError,
  MediaFeedNotFoundError,
  MediaNotNegotiatingError,
  MediaRefusedError,
  MediaServerUnavailableError,
} from "./media.errors.ts";
import type { MediaBroker } from "./media-broker.ts";
import { mediaServerFor } from "./media-placement.ts";
import type { JanusEndpoint, MediaServer } from "./media-server.ts";

/**
 * Server mode's SFU rooms, across API instances (docs/calls.md, "Media server: several API instances").
 *
 * A room's Janus handles live in the memory of the instance whose broker created them, so each SFU room has one
 * **owning instance**, recorded in Redis with a lease the owner renews while it lives. Any instance takes a media
 * request (access already checked there, api/media/media.service.ts) and either runs it on its own broker (it owns
 * the room, or nobody does and it claims it) or forwards the already-authorized operation to the owner over Redis
 * (request/reply on the owner's channel, with a timeout; the owner's typed errors come back as they are).
 *
 * When the owner is gone (graceful stop, crash, lost Redis connection) another instance takes the room over: it
 * claims the lease, destroys what is left of the old room on its Janus, and publishes `ROOM_RESTARTED` on
 * `sessionMedia`, the one generic "publish and subscribe again" event; the clients' next requests recreate the room on
 * the new owner. Embedded mode (no Redis) uses the broker directly, without this layer.
 */

/** The broker's operations the API uses; the router offers the same ones, routed. */
export type MediaRooms = Pick<
  MediaBroker,
  | "available"
  | "publish"
  | "subscribe"
  | "answerSubscription"
  | "configure"
  | "trickle"
  | "leave"
  | "publishers"
  | "startRecording"
  | "stopRecording"
> & { close(): Promise<void> };

type Operation =
  | "publish"
  | "subscribe"
  | "answerSubscription"
  | "configure"
  | "trickle"
  | "leave"
  | "publishers"
  | "startRecording"
  | "stopRecording";
/** Operations that need a room: with no owner, the instance taking them claims the room and creates it. */
const CREATING: ReadonlySet<Operation> = new Set(["publish", "subscribe"]);

interface RoomRecord {
  owner: string;
  janusUrl: string;
  janusRoom: string;
  secret: string;
}

interface RequestMessage {
  kind: "request";
  id: string;
  from: string;
  sessionId: string;
  op: Operation;
  args: unknown[];
}
interface ReplyMessage {
  kind: "reply";
  id: string;
  value?: unknown;
  error?: SerializedError;
  /** The addressee does not own the room (any more): the sender claims it. */
  notOwner?: boolean;
}
interface SerializedError {
  name: string;
  message: string;
  participantId?: string;
  reason?: string;
  fieldErrors?: ValidationError["fieldErrors"];
}

export interface MediaRouterOptions {
  /** How long an ownership lease lasts without renewal (a crashed owner's rooms are taken over after this). */
  leaseMs?: number;
  /** How often leases are renewed and orphaned rooms looked for. */
  tickMs?: number;
  /** How long a forwarded request may take (above the broker's own Janus timeout, 10 s). */
  forwardTimeoutMs?: number;
}

/** Renews the lease only while it is ours (or gone): a room taken over keeps its new owner. */
const RENEW_IF_OURS = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
/** Takes the lease from `ARGV[2]` (an owner known to be gone), or when nobody holds it. */
const TAKE_FROM = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[2] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) return 1 end
return 0`;
const DELETE_IF_OURS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function serialize(error: unknown): SerializedError | null {
  if (!(error instanceof DomainError)) return null;
  return {
    name: error.constructor.name,
    message: error.message,
    ...(error instanceof MediaFeedNotFoundError ? { participantId: error.participantId } : {}),
    ...(error instanceof MediaRefusedError ? { reason: error.reason } : {}),
    ...(error instanceof ValidationError ? { fieldErrors: error.fieldErrors } : {}),
  };
}

/** The owner's typed error, rebuilt on the instance that answers the client (the schema matches by class). */
function deserialize(error: SerializedError): Error {
  switch (error.name) {
    case "MediaAlreadyPublishingError":
      return new MediaAlreadyPublishingError();
    case "MediaFeedNotFoundError":
      return new MediaFeedNotFoundError(error.participantId ?? "");
    case "MediaNotNegotiatingError":
      return new MediaNotNegotiatingError(/mediaPublish/.test(error.message) ? "publication" : "subscription");
    case "MediaRefusedError":
      return new MediaRefusedError(error.reason ?? error.message);
    case "ValidationError":
      return new ValidationError(error.fieldErrors ?? []);
    default:
      return new MediaServerUnavailableError();
  }
}

export class MediaRouter implements MediaRooms {
  /** This process, as owners are named in Redis. */
  readonly instance = randomUUID();
  private readonly leaseMs: number;
  private readonly forwardTimeoutMs: number;
  /** Rooms this instance owns → when it claimed them. */
  private readonly owned = new Map<string, number>();
  /** Requests running here per session: a room being created is not released as gone. */
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, { resolve(reply: ReplyMessage): void }>();
  private readonly timer: NodeJS.Timeout;
  private onMessage: ((channel: string, text: string) => void) | null = null;
  private closing = false;
  private ticking = false;

  /** With several Janus servers, one broker each (a room lives on the server placed for its session). */
  private readonly brokers: Map<string, MediaBroker>;

  constructor(
    readonly broker: MediaBroker,
    private readonly deps: {
      redis: RedisConnections;
      pubsub: PubSub;
      logger: Logger;
      prisma: PrismaClient;
      mediaServer: MediaServer;
      /** A broker for one of the servers (only called when there are several). */
      brokerFor: (server: MediaServer) => MediaBroker;
    },
    options: MediaRouterOptions = {},
  ) {
    const { mediaServer } = deps;
    this.brokers = new Map(
      mediaServer.servers.length > 1
        ? mediaServer.servers.map((server) => [server.url, deps.brokerFor(oneOf(mediaServer, server))])
        : [],
    );
    this.leaseMs = options.leaseMs ?? 10_000;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 15_000;
    this.timer = setInterval(() => void this.tick(), options.tickMs ?? 2000);
    this.timer.unref();
    this.listening = this.listen();
  }

  /** Resolves once this instance hears requests forwarded to it. */
  readonly listening: Promise<void>;

  private key(kind: "owner" | "room", sessionId: string) {
    return `${this.deps.redis.prefix}media:${kind}:${sessionId}`;
  }
  private get roomsKey() {
    return `${this.deps.redis.prefix}media:rooms`;
  }
  private channelOf(instance: string) {
    return `${this.deps.redis.prefix}media:instance:${instance}`;
  }

  private async listen(): Promise<void> {
    const own = this.channelOf(this.instance);
    this.onMessage = (channel, text) => {
      if (channel !== own) return;
      let message: RequestMessage | ReplyMessage;
      try {
        message = JSON.parse(text) as RequestMessage | ReplyMessage;
      } catch {
        return;
      }
      if (message.kind === "reply") this.waiting.get(message.id)?.resolve(message);
      else if (message.kind === "request") void this.serve(message);
    };
    this.deps.redis.subscriber.on("message", this.onMessage);
    await subscribeWhenUp(this.deps.redis, own);
  }

  available(): boolean {
    return this.broker.available() && !this.closing;
  }

  publish(...args: Parameters<MediaBroker["publish"]>) {
    return this.route("publish", args[0].sessionId, args) as ReturnType<MediaBroker["publish"]>;
  }
  subscribe(...args: Parameters<MediaBroker["subscribe"]>) {
    return this.route("subscribe", args[0].sessionId, args) as ReturnType<MediaBroker["subscribe"]>;
  }
  answerSubscription(...args: Parameters<MediaBroker["answerSubscription"]>) {
    return this.route("answerSubscription", args[0].sessionId, args) as Promise<void>;
  }
  configure(...args: Parameters<MediaBroker["configure"]>) {
    return this.route("configure", args[0].sessionId, args) as Promise<void>;
  }
  trickle(...args: Parameters<MediaBroker["trickle"]>) {
    return this.route("trickle", args[0].sessionId, args) as Promise<void>;
  }
  leave(...args: Parameters<MediaBroker["leave"]>) {
    return this.route("leave", args[0].sessionId, args) as Promise<void>;
  }
  publishers(sessionId: string) {
    return this.route("publishers", sessionId, [sessionId]) as Promise<string[]>;
  }
  /** Recording is the room owner's to switch (api/media/sfu-recording.ts asks from any instance). */
  startRecording(...args: Parameters<MediaBroker["startRecording"]>) {
    return this.route("startRecording", args[0], args) as Promise<void>;
  }
  stopRecording(...args: Parameters<MediaBroker["stopRecording"]>) {
    return this.route("stopRecording", args[0], args) as Promise<void>;
  }

  /** Which instance owns the session's room now (tests, diagnostics); null when none does. */
  async ownerOf(sessionId: string): Promise<string | null> {
    return this.deps.redis.commands.get(this.key("owner", sessionId));
  }

  private holding(sessionId: string): boolean {
    return this.broker.hasRoom(sessionId) || [...this.brokers.values()].some((broker) => broker.hasRoom(sessionId));
  }

  /**
   * The broker holding the session's room here; for a new room with several Janus servers, the one of the server
   * placed for the session (api/media/media-placement.ts: stored on the session, the least loaded at first).
   */
  private async brokerOf(sessionId: string, creating: boolean): Promise<MediaBroker> {
    if (this.brokers.size === 0) return this.broker;
    const holding = [...this.brokers.values()].find((broker) => broker.hasRoom(sessionId));
    if (holding || !creating) return holding ?? this.broker;
    const placed = await mediaServerFor(this.deps.prisma, this.deps.mediaServer, sessionId);
    const broker = placed ? this.brokers.get(placed.url) : undefined;
    if (!broker) throw new MediaServerUnavailableError();
    return broker;
  }

  /** Runs the operation where the room lives: here (owned or claimed), or forwarded to its owner. */
  private async route(op: Operation, sessionId: string, args: unknown[]): Promise<unknown> {
    if (this.closing) throw new MediaServerUnavailableError();
    for (let attempt = 0; attempt < 4; attempt++) {
      const owner = await this.redisCall(() => this.deps.redis.commands.get(this.key("owner", sessionId)));
      if (owner === this.instance) return this.runHere(op, sessionId, args);
      if (owner === null) {
        // Nobody owns a room: reading or leaving has nothing to act on; publishing or subscribing claims it.
        if (!CREATING.has(op)) return this.runHere(op, sessionId, args);
        if (await this.claim(sessionId, null)) return this.runHere(op, sessionId, args);
        continue;
      }
      const reply = await this.forward(owner, op, sessionId, args);
      if (reply === "gone" || reply.notOwner) {
        // The owner stopped listening or said it no longer owns the room: take it over (or read who did).
        if (await this.claim(sessionId, owner)) return this.runHere(op, sessionId, args);
        continue;
      }
      if (reply.error) throw deserialize(reply.error);
      return reply.value;
    }
    this.deps.logger.warn({ sessionId, op }, "SFU room: no instance could be found to own it");
    throw new MediaServerUnavailableError();
  }

  private async redisCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.deps.logger.warn({ err: error }, "SFU room ownership: Redis unreachable");
      throw new MediaServerUnavailableError();
    }
  }

  /**
   * Claims the session's room (from nobody, or from `from`, an owner known to be gone). A room another instance
   * held is taken over: its remains in Janus are destroyed and the clients told to publish and subscribe again.
   */
  private async claim(sessionId: string, from: string | null): Promise<boolean> {
    const taken = await this.redisCall(() =>
      this.deps.redis.commands.eval(
        TAKE_FROM,
        1,
        this.key("owner", sessionId),
        this.instance,
        from ?? "",
        this.leaseMs,
      ),
    );
    if (taken !== 1) return false;
    this.owned.set(sessionId, Date.now());
    this.deps.logger.info({ sessionId, instance: this.instance }, "SFU room: owned by this instance");
    const previous = await this.record(sessionId);
    if (previous && previous.owner !== this.instance) await this.takeOver(sessionId, previous);
    return true;
  }

  private async record(sessionId: string): Promise<RoomRecord | null> {
    const text = await this.deps.redis.commands.get(this.key("room", sessionId)).catch(() => null);
    try {
      return text ? (JSON.parse(text) as RoomRecord) : null;
    } catch {
      return null;
    }
  }

  private async takeOver(sessionId: string, previous: RoomRecord) {
    this.deps.logger.info(
      { sessionId, previousOwner: previous.owner, janusRoom: previous.janusRoom },
      "SFU room taken over from an instance that is gone: clients publish and subscribe again",
    );
    // The old owner's handles (if its Janus session still lives) go with the room; a new one is made on first use.
    await withVideoRoomHandle(previous.janusUrl, this.deps.mediaServer.apiSecret, (request) =>
      request({ request: "destroy", room: previous.janusRoom, secret: previous.secret }),
    ).catch(() => {});
    await this.deps.redis.commands.del(this.key("room", sessionId)).catch(() => {});
    this.deps.pubsub.publish("sessionMedia", sessionId, { kind: "ROOM_RESTARTED", sessionId });
  }

  private async runHere(op: Operation, sessionId: string, args: unknown[]): Promise<unknown> {
    this.running.set(sessionId, (this.running.get(sessionId) ?? 0) + 1);
    try {
      const broker = await this.brokerOf(sessionId, CREATING.has(op));
      const call = broker[op] as (...callArgs: unknown[]) => Promise<unknown>;
      const result = await call.apply(broker, args);
      if (CREATING.has(op)) await this.recordRoom(sessionId);
      return result;
    } finally {
      const left = (this.running.get(sessionId) ?? 1) - 1;
      if (left > 0) this.running.set(sessionId, left);
      else this.running.delete(sessionId);
    }
  }

  /** Writes where the room is (so a successor can clean it up), once it exists. */
  private async recordRoom(sessionId: string) {
    const room = await (await this.brokerOf(sessionId, false)).roomOf(sessionId);
    if (!room) return;
    const current = await this.record(sessionId);
    if (current?.owner === this.instance && current.janusRoom === room.janusRoom) return;
    const record: RoomRecord = { owner: this.instance, ...room };
    await this.deps.redis.commands
      .multi()
      .set(this.key("room", sessionId), JSON.stringify(record))
      .sadd(this.roomsKey, sessionId)
      .exec()
      .catch((error: unknown) => this.deps.logger.warn({ err: error, sessionId }, "SFU room not recorded in Redis"));
  }

  /** Sends the operation to the owner; its reply, or "gone" when no instance listens on its channel any more. */
  private async forward(owner: string, op: Operation, sessionId: string, args: unknown[]) {
    const id = randomUUID();
    const request: RequestMessage = { kind: "request", id, from: this.instance, sessionId, op, args };
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<ReplyMessage>((resolve) => {
      this.waiting.set(id, { resolve });
      timer = setTimeout(
        () => resolve({ kind: "reply", id, error: { name: "Timeout", message: "" } }),
        this.forwardTimeoutMs,
      );
    });
    try {
      const listeners = await this.redisCall(() =>
        this.deps.redis.commands.publish(this.channelOf(owner), JSON.stringify(request)),
      );
      if (listeners === 0) return "gone" as const;
      const answer = await reply;
      if (answer.error?.name === "Timeout")
        this.deps.logger.warn({ sessionId, op, owner }, "SFU room: its owning instance did not answer in time");
      return answer;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  /** Answers a request another instance forwarded: run here while this instance owns the room. */
  private async serve(request: RequestMessage) {
    let reply: ReplyMessage;
    if (this.closing || !this.owned.has(request.sessionId)) reply = { kind: "reply", id: request.id, notOwner: true };
    else {
      try {
        const value = await this.runHere(request.op, request.sessionId, request.args);
        reply = { kind: "reply", id: request.id, value: value ?? null };
      } catch (error) {
        const serialized = serialize(error);
        if (!serialized) this.deps.logger.warn({ err: error, op: request.op }, "forwarded SFU request failed");
        reply = {
          kind: "reply",
          id: request.id,
          error: serialized ?? { name: "MediaServerUnavailableError", message: "" },
        };
      }
    }
    await this.deps.redis.commands
      .publish(this.channelOf(request.from), JSON.stringify(reply))
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, "SFU reply not sent"));
  }

  /** Renews this instance's leases, lets go of rooms that closed, and takes over rooms whose owner is gone. */
  private async tick() {
    if (this.ticking || this.closing) return;
    this.ticking = true;
    try {
      await this.renew();
      await this.adoptOrphans();
    } catch (error) {
      this.deps.logger.warn({ err: error }, "SFU room ownership: renewal failed");
    } finally {
      this.ticking = false;
    }
  }

  private async renew() {
    const { commands } = this.deps.redis;
    for (const [sessionId, claimedAt] of this.owned) {
      const idle = !this.holding(sessionId) && !this.running.has(sessionId);
      if (idle && Date.now() - claimedAt > this.leaseMs) {
        // The room closed here (session ended, Janus restarted): nothing left to own.
        await this.release(sessionId, true);
        continue;
      }
      const kept = await commands.eval(RENEW_IF_OURS, 1, this.key("owner", sessionId), this.instance, this.leaseMs);
      if (kept !== 1) {
        // Another instance took the room over (this one was unreachable for a lease): its room here goes.
        this.owned.delete(sessionId);
        this.deps.logger.warn({ sessionId }, "SFU room taken over by another instance: closing ours");
        await (await this.brokerOf(sessionId, false)).closeRoom(sessionId);
      }
    }
  }

  private async release(sessionId: string, forgetRoom: boolean) {
    this.owned.delete(sessionId);
    const { commands } = this.deps.redis;
    if (forgetRoom) {
      const record = await this.record(sessionId);
      if (record?.owner === this.instance)
        await commands.multi().del(this.key("room", sessionId)).srem(this.roomsKey, sessionId).exec();
    }
    await commands.eval(DELETE_IF_OURS, 1, this.key("owner", sessionId), this.instance);
  }

  /**
   * Rooms recorded in Redis whose owner is gone: its lease ran out, or it crashed (no connection of its own listens on
   * its channel any more, on two ticks in a row: one reconnecting to Redis is not gone). The first instance to see
   * one takes it over.
   */
  private async adoptOrphans() {
    const { commands } = this.deps.redis;
    const sessions = await commands.smembers(this.roomsKey);
    const silent = new Set<string>();
    if (sessions.length > 0) {
      const owners = await commands.mget(...sessions.map((sessionId) => this.key("owner", sessionId)));
      for (const [index, sessionId] of sessions.entries()) {
        const owner = owners[index] ?? null;
        if (owner === this.instance) continue;
        if (owner !== null) {
          if (!silent.has(owner) && !(await this.hears(owner))) silent.add(owner);
          if (!silent.has(owner) || !this.silent.has(owner)) continue;
        }
        const record = await this.record(sessionId);
        if (!record) {
          await commands.srem(this.roomsKey, sessionId);
          continue;
        }
        // Taken over with no request yet: the room is made again when the clients come back.
        await this.claim(sessionId, owner).catch(() => false);
      }
    }
    this.silent = silent;
  }

  /** Owners seen with nobody listening on their channel at the last tick. */
  private silent = new Set<string>();

  private async hears(instance: string): Promise<boolean> {
    const [, count] = (await this.deps.redis.commands.pubsub("NUMSUB", this.channelOf(instance))) as [string, number];
    return Number(count) > 0;
  }

  /**
   * Stops this instance's share: its rooms are destroyed in Janus (their handles die with this process anyway)
   * and its leases given up; the room records stay, so another instance takes each room over within a tick and
   * tells its clients to publish and subscribe again.
   */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    const sessions = [...this.owned.keys()];
    await Promise.all([this.broker, ...this.brokers.values()].map((broker) => broker.close()));
    await Promise.allSettled(sessions.map((sessionId) => this.release(sessionId, false)));
    if (this.onMessage) this.deps.redis.subscriber.off("message", this.onMessage);
    await this.deps.redis.subscriber.unsubscribe(this.channelOf(this.instance)).catch(() => {});
    for (const [id, waiter] of this.waiting)
      waiter.resolve({ kind: "reply", id, error: { name: "MediaServerUnavailableError", message: "" } });
  }
}

/** One server of a pool as a media server of its own: its status, and the pool's events about it only. */
function oneOf(pool: MediaServer, server: JanusEndpoint): MediaServer {
  return {
    mode: pool.mode,
    servers: [server],
    recordingsDir: pool.recordingsDir,
    url: server.url,
    apiSecret: server.apiSecret,
    status: () => (pool.status() === "off" ? "off" : server.status()),
    restarts: () => pool.restarts(),
    pid: () => undefined,
    on: (event, listener) =>
      pool.on(event, (changed) => {
        if (changed.url === server.url) listener(changed);
      }),
    stop: async () => {},
  };
}
