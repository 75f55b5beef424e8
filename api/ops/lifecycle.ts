import type { Database } from "../db/database.ts";
import { pendingMigrations } from "../db/migrate.ts";
import type { MediaServer } from "../media/janus-process.ts";
import type { Logger } from "./logger.ts";
import type { RedisConnections } from "./redis.ts";

type Hook = () => Promise<void> | void;

async function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
}

/**
 * An app instance from start to shutdown: requests in flight, background tasks, readiness, and the order in which
 * things stop. Close hooks run in the reverse order of registration, so what was started last stops first.
 */
export function createLifecycle(deps: {
  logger: Logger;
  database: Database;
  redis: RedisConnections | null;
  /** The SFU, if any: reported in readiness without deciding it (calls fall back to peer-to-peer without one). */
  media: MediaServer | null;
  shutdownTimeoutMs: number;
}) {
  const { logger, database, redis, media } = deps;
  const closeHooks: Hook[] = [];
  const drainHooks: (() => Promise<void>)[] = [];
  let draining = false;
  let closing: Promise<void> | null = null;
  /** Requests being answered (SSE streams excluded: shutdown ends them), so shutdown can wait for them. */
  let inFlight = 0;
  let idle: (() => void) | null = null;

  /**
   * Runs `handle` for each event until shutdown, without holding up the caller. A failed event is logged and the
   * task goes on; a failed event source is logged and ends the task.
   */
  function runTask<T>(name: string, events: AsyncIterableIterator<T>, handle: (event: T) => unknown): void {
    closeHooks.push(async () => {
      await events.return?.();
    });
    void (async () => {
      try {
        for await (const event of events) {
          try {
            await handle(event);
          } catch (error) {
            logger.error({ err: error, task: name }, "background task failed on an event");
          }
        }
      } catch (error) {
        logger.error({ err: error, task: name }, "background task stopped");
      }
    })();
  }

  /** Counts a request in flight until the returned function is called. */
  function requestStarted(): () => void {
    inFlight += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    };
  }

  /**
   * Ready to take traffic: database reachable and migrated, not shutting down. Redis being down (server mode) makes
   * the instance `degraded`, still ready: writes commit to the database without it, and since every instance shares
   * one Redis, a 503 here would make a load balancer drop all of them at once.
   * `media` (the SFU's status, `off` without one) is information only: small calls work without it.
   */
  async function readiness() {
    const [databaseUp, redisUp] = await Promise.all([database.ping(), redis ? redis.ping() : Promise.resolve(null)]);
    const pending = databaseUp ? await database.withSession((session) => pendingMigrations(session)) : [];
    const ready = databaseUp && pending.length === 0 && !draining;
    return {
      ready,
      status: !ready ? ("unavailable" as const) : redisUp === false ? ("degraded" as const) : ("ok" as const),
      database: databaseUp,
      redis: redisUp,
      pendingMigrations: pending,
      draining,
      media: media ? media.status() : "off",
    };
  }

  /**
   * Graceful shutdown, after the HTTP server stopped accepting connections: readiness turns false, drain hooks
   * run (graphql-ws clients are told to reconnect) while requests in flight finish (up to `timeoutMs`), close hooks
   * run, then Redis and the database close.
   */
  function close(timeoutMs: number = deps.shutdownTimeoutMs): Promise<void> {
    closing ??= (async () => {
      draining = true;
      const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((done) => (idle = done));
      await withTimeout(Promise.all([drained, ...drainHooks.map((hook) => hook())]), timeoutMs);
      for (const hook of closeHooks.reverse()) {
        try {
          await hook();
        } catch (error) {
          logger.error({ err: error }, "close hook failed");
        }
      }
      await media?.stop();
      await redis?.close();
      await database.close();
      logger.flush();
    })();
    return closing;
  }

  return {
    runTask,
    requestStarted,
    readiness,
    close,
    isDraining: () => draining,
    /** Requests being answered right now (SSE streams excluded). */
    inFlight: () => inFlight,
    /** Registers work to run on shutdown, after requests finished and before the database closes. */
    onClose: (hook: Hook) => void closeHooks.push(hook),
    /** Registers work that shutdown waits for (within its timeout) while requests in flight finish. */
    onDrain: (hook: () => Promise<void>) => void drainHooks.push(hook),
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
