import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";
import type { createAppPubSub } from "../pubsub.ts";

type EventTarget = NonNullable<NonNullable<Parameters<typeof createAppPubSub>[0]>["eventTarget"]>;

/**
 * Server mode's Redis: one connection for commands and publishing, one in subscriber mode (Redis requires a
 * dedicated connection for SUBSCRIBE). ioredis reconnects on its own and re-subscribes every channel it had
 * (`autoResubscribe`), so realtime fan-out recovers after Redis restarts; events published while Redis was down
 * are read from the stream log by the subscriptions that missed them (see `onResubscribed`, api/ops/event-log.ts).
 */
export interface RedisConnections {
  commands: Redis;
  subscriber: Redis;
  /** Prepended to every channel and key, so several installs (or test runs) can share one Redis. */
  prefix: string;
  /** Called when an event could not be published (Redis unreachable): subscribers read it from the log later. */
  onPublishError: (error: unknown) => void;
  /**
   * Registers `listener` for each time the subscriber connection comes back after losing Redis (its channels
   * subscribed again): events in between were missed, so subscriptions catch up from the stream log.
   */
  onResubscribed(listener: () => void): void;
  ping(timeoutMs?: number): Promise<boolean>;
  /** Resolves once both connections are ready, or after `timeoutMs` (Redis may come later: readiness says so). */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function connectRedis(url: string, prefix: string): RedisConnections {
  const options = {
    // Commands wait for a reconnect instead of failing at once; each waits at most this many retries.
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
    lazyConnect: false,
  };
  const commands = new Redis(url, { ...options, connectionName: "live-support" });
  const subscriber = new Redis(url, { ...options, connectionName: "live-support-sub" });
  // Errors are reported through readiness and metrics; without a listener ioredis would print each retry.
  const ignore = () => {};
  commands.on("error", ignore);
  subscriber.on("error", ignore);
  const resubscribed: (() => void)[] = [];
  let lost = false;
  subscriber.on("close", () => {
    lost = true;
  });
  subscriber.on("ready", () => {
    if (!lost) return;
    lost = false;
    // ioredis says ready before it re-sends SUBSCRIBE for the channels it had; a PING queued behind them answers
    // once Redis has taken them, so listeners that catch up from the log miss nothing published after that.
    const notify = () => {
      for (const listener of resubscribed) listener();
    };
    subscriber.ping().then(notify, notify);
  });
  return {
    commands,
    subscriber,
    prefix,
    onPublishError: ignore,
    onResubscribed: (listener) => void resubscribed.push(listener),
    async ready(timeoutMs) {
      const connected = (client: Redis) =>
        client.status === "ready" ? Promise.resolve() : new Promise<void>((done) => client.once("ready", () => done()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([connected(commands), connected(subscriber)]),
        new Promise((done) => (timer = setTimeout(done, timeoutMs))),
      ]);
      clearTimeout(timer);
    },
    async ping(timeoutMs = 1000) {
      if (commands.status !== "ready" || subscriber.status !== "ready") return false;
      let timer: NodeJS.Timeout | undefined;
      try {
        const pong = await Promise.race([
          commands.ping(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
          }),
        ]);
        return pong === "PONG";
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * Subscribes `channel`; while Redis is away (the subscribe fails after ioredis's retries) it subscribes again once the
 * connection is back instead of failing, so an instance started or running during an outage still hears the channel.
 * Resolves after the first attempt either way.
 */
export function subscribeWhenUp(redis: RedisConnections, channel: string): Promise<void> {
  return redis.subscriber.subscribe(channel).then(
    () => undefined,
    () => void redis.subscriber.once("ready", () => void subscribeWhenUp(redis, channel)),
  );
}

/**
 * yoga's Redis event target with every topic under `prefix`, so parallel test runs or installs sharing one Redis
 * never see each other's events.
 */
export function createPrefixedRedisEventTarget(redis: RedisConnections): EventTarget {
  const { subscriber } = redis;
  // yoga's target leaves subscribe's promise unhandled: made while Redis is away, it would reject after the retries
  // (an unhandled rejection) and the channel would stay unsubscribed. Retried here once the connection is back.
  let deliverLocally: ((channel: string, message: string) => void) | null = null;
  const subscribeClient = {
    on: (event: "message", listener: (channel: string, message: string) => void) => {
      deliverLocally = listener;
      return subscriber.on(event, listener);
    },
    subscribe: (topic: string) => void subscribeWhenUp(redis, topic),
    unsubscribe: (topic: string) => void subscriber.unsubscribe(topic).catch(() => {}),
  } as unknown as Redis;
  const inner = createRedisEventTarget({ publishClient: redis.commands, subscribeClient });
  const channel = (topic: string) => `${redis.prefix}pubsub:${topic}`;
  return {
    addEventListener: (topic, listener, options) => inner.addEventListener(channel(topic), listener, options),
    removeEventListener: (topic, listener, options) => inner.removeEventListener(channel(topic), listener, options),
    // Published here rather than through `inner`, so a failed publish (Redis down) is reported, not unhandled.
    dispatchEvent: (event) => {
      const detail = (event as CustomEvent).detail;
      const message = detail === undefined ? "" : JSON.stringify(detail);
      if (redis.commands.status !== "ready") {
        // Redis is away: this instance's subscribers get the event now, the other instances' subscriptions read it
        // from the stream log once Redis is back (a logged event reaching a subscriber twice is delivered once).
        deliverLocally?.(channel(event.type), message);
        redis.onPublishError(new Error("Redis unreachable: event delivered on this instance only"));
        return true;
      }
      redis.commands.publish(channel(event.type), message).catch((error: unknown) => redis.onPublishError(error));
      return true;
    },
  };
}
