import { randomUUID } from "node:crypto";
import { type RedisConnections, subscribeWhenUp } from "../ops/redis.ts";

/** A PeerJS message on its way to a peer connected to another instance, with the session both ends are in. */
export interface RelayedMessage {
  sessionId: string;
  message: { type?: string; src: string; dst: string; payload?: unknown };
}

/**
 * Carries PeerJS messages between instances (server mode): each instance records which peers it holds (a
 * presence key per peer, naming the instance, with a TTL its heartbeat refreshes) and listens on a channel of its
 * own; a message for a peer held elsewhere is published to that instance's channel.
 */
export interface SignalingRelay {
  /** The instance holding `peerId`, when it is another one; null when the peer is connected nowhere else. */
  locate(peerId: string): Promise<string | null>;
  /** Publishes `relayed` to `instance`, which delivers it to its peer. */
  send(instance: string, relayed: RelayedMessage): Promise<void>;
  /** Records that this instance holds `peerId` (a peer connecting or reconnecting here); resolves once recorded. */
  hold(peerId: string): Promise<void>;
  /** Forgets `peerId` unless another instance has taken it over since. */
  release(peerId: string): void;
  /** Starts delivering messages published to this instance's channel. */
  listen(deliver: (relayed: RelayedMessage) => void): Promise<void>;
  close(): Promise<void>;
}

/** Sets the presence key to this instance only while it is ours or gone: a peer that moved keeps its new owner. */
const REFRESH_IF_OURS = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return nil`;
const DELETE_IF_OURS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createRedisSignalingRelay(redis: RedisConnections, options: { presenceTtlMs?: number } = {}) {
  const instance = randomUUID();
  const ttlMs = options.presenceTtlMs ?? 30_000;
  const held = new Set<string>();
  const presenceKey = (peerId: string) => `${redis.prefix}peer:${peerId}`;
  const channelOf = (target: string) => `${redis.prefix}signal:${target}`;
  const ownChannel = channelOf(instance);
  // Presence outlives a crashed instance by at most the TTL: messages sent there meanwhile are lost, as they
  // would be to a peer whose socket just dropped.
  const heartbeat = setInterval(() => {
    for (const peerId of held) {
      redis.commands.eval(REFRESH_IF_OURS, 1, presenceKey(peerId), instance, ttlMs).catch(() => {});
    }
  }, ttlMs / 3);
  heartbeat.unref();
  let onMessage: ((channel: string, text: string) => void) | null = null;

  const relay: SignalingRelay = {
    async locate(peerId) {
      const owner = await redis.commands.get(presenceKey(peerId));
      return owner && owner !== instance ? owner : null;
    },
    async send(target, relayed) {
      await redis.commands.publish(channelOf(target), JSON.stringify(relayed));
    },
    async hold(peerId) {
      held.add(peerId);
      await redis.commands.set(presenceKey(peerId), instance, "PX", ttlMs);
    },
    release(peerId) {
      held.delete(peerId);
      redis.commands.eval(DELETE_IF_OURS, 1, presenceKey(peerId), instance).catch(() => {});
    },
    async listen(deliver) {
      onMessage = (channel, text) => {
        if (channel !== ownChannel) return;
        try {
          deliver(JSON.parse(text) as RelayedMessage);
        } catch {
          // Not a relayed message: nothing to deliver.
        }
      };
      redis.subscriber.on("message", onMessage);
      await subscribeWhenUp(redis, ownChannel);
    },
    async close() {
      clearInterval(heartbeat);
      if (onMessage) redis.subscriber.off("message", onMessage);
      const keys = [...held].map(presenceKey);
      held.clear();
      await Promise.allSettled([
        redis.subscriber.unsubscribe(ownChannel),
        ...keys.map((key) => redis.commands.eval(DELETE_IF_OURS, 1, key, instance)),
      ]);
    },
  };
  return relay;
}
