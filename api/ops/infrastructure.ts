import { setMaxListeners } from "node:events";
import { resolve } from "node:path";
import type { Clock } from "../clock.ts";
import { type Database, logConnectionLoss, openDatabase } from "../db/database.ts";
import { applyMigrations } from "../db/migrate.ts";
import type { Env } from "../env.ts";
import { FileStore } from "../files/file-store.ts";
import { createMediaServer } from "../media/janus-process.ts";
import { createAppPubSub } from "../pubsub.ts";
import { EventLog } from "./event-log.ts";
import type { Logger } from "./logger.ts";
import { connectRedis, createPrefixedRedisEventTarget, type RedisConnections } from "./redis.ts";

/** In-process pub/sub target without Node's 10-listener warning: thousands may watch one ticket. */
function localEventTarget() {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target;
}

/**
 * What the app stands on: the database (opened unless given, and migrated), Redis in server mode, the
 * realtime pub/sub over Redis (server mode) or in process (embedded), and the media server (SFU) if there is one.
 */
export async function openInfrastructure(env: Env, logger: Logger, clock: Clock, openedDatabase?: Database) {
  const database =
    openedDatabase ??
    (await openDatabase(env.DATABASE_URL, env.DATA_DIR, { onConnectionError: logConnectionLoss(logger) }));
  await database.withSession((session) => applyMigrations(session));
  // Server mode: Redis carries realtime events between instances and holds the shared rate-limit counters.
  const redis = env.REDIS_URL ? connectRedis(env.REDIS_URL, env.REDIS_PREFIX) : null;
  // Channels subscribed while the subscriber connection was still connecting were sometimes never subscribed
  // (seen in test/scale.test.ts: one instance missed every ticketFeed event), so start once Redis is ready.
  await redis?.ready(5000);
  // Ticket and session events are written to the stream log before they are published (resumable subscriptions).
  const log = new EventLog(database.prisma, clock, {
    retentionMs: env.STREAM_RETENTION,
    maxPerStream: env.STREAM_RETENTION_EVENTS,
  });
  const pubsub = createAppPubSub({
    eventTarget: redis ? createPrefixedRedisEventTarget(redis) : localEventTarget(),
    log,
    onLogError: (error) => logger.error({ err: error }, "realtime event not written to the stream log"),
  });
  const media = await createMediaServer(env, logger);
  return { database, redis, pubsub, log, media };
}

/** Uploaded files: in UPLOADS_DIR, a directory every instance shares (a mounted volume), or by default in DATA_DIR. */
export function fileStoreFromEnv(env: Env): FileStore {
  return new FileStore(env.UPLOADS_DIR ? resolve(env.UPLOADS_DIR) : resolve(env.DATA_DIR, "files"), {
    maxBytes: env.UPLOAD_MAX_BYTES,
    maxFiles: env.UPLOAD_MAX_FILES,
  });
}

/**
 * Logs events Redis did not carry and calls `resync` when it is back: what happened in between was missed, so
 * caches fed by events and realtime subscriptions must catch up.
 */
export function watchRedisOutages(redis: RedisConnections, logger: Logger, resync: () => void): void {
  redis.onPublishError = (error) =>
    logger.warn({ err: error }, "realtime event not sent through Redis: other instances read it from the stream log");
  redis.onResubscribed(resync);
}
