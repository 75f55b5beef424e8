import type { SignInWatch } from "../auth/sign-in-watch.ts";
import type { GraphQLHandler } from "../http/graphql.handler.ts";
import type { GraphQLWsHandler } from "../http/graphql-ws.handler.ts";
import type { PubSub } from "../pubsub.ts";
import type { Services } from "../services.ts";
import type { Signaling } from "../signaling/signaling.ts";
import { watchRedisOutages } from "./infrastructure.ts";
import type { Lifecycle } from "./lifecycle.ts";
import type { Logger } from "./logger.ts";
import type { RedisConnections } from "./redis.ts";

/** How often each instance trims the stream log (api/ops/event-log.ts). */
const TRIM_INTERVAL_MS = 10 * 60_000;

/**
 * What an instance does when another instance (or itself) changes something it holds in memory: drop removed peers'
 * signaling sockets, forget cached ticket lists and sign-ins, and end subscriptions opened with a sign-in that was
 * revoked or changed role. In server mode the events come through Redis; after a Redis outage every cache is
 * forgotten and every resumable subscription (ticket and session streams, graphql-ws and SSE alike) reads what it
 * missed from the stream log, so events written while Redis was down still arrive, once and in order. Also trims
 * the stream log to its retention, at start and every 10 minutes.
 */
export function keepInstanceInSync(deps: {
  lifecycle: Lifecycle;
  pubsub: PubSub;
  redis: RedisConnections | null;
  logger: Logger;
  services: Services;
  graphql: GraphQLHandler;
  realtime: GraphQLWsHandler;
  signIns: SignInWatch;
  signaling: Signaling;
}): void {
  const { lifecycle, pubsub, redis, logger, services, graphql, realtime, signIns, signaling } = deps;
  const { log } = pubsub;
  if (log) {
    const trim = () =>
      log.trim().then(
        (count) => count > 0 && logger.info({ count }, "stream log trimmed"),
        (error: unknown) => logger.warn({ err: error }, "stream log trim failed"),
      );
    void trim();
    const timer = setInterval(trim, TRIM_INTERVAL_MS);
    timer.unref();
    lifecycle.onClose(() => clearInterval(timer));
  }
  // Every instance hears of a revocation and closes the peers it holds; peers of that session anywhere hear LEAVE.
  lifecycle.runTask("peer revocations", pubsub.subscribe("peerRevoked"), (revoked) =>
    signaling.revokePeers(revoked.peerIds, revoked.sessionId),
  );
  lifecycle.runTask("ticket-list cache invalidation", pubsub.subscribe("ticketFeed"), graphql.clearTicketLists);
  lifecycle.runTask("sign-in cache invalidation", pubsub.subscribe("authChanged"), (changed) => {
    services.auth.forgetSessions(changed.userId);
    return signIns.recheck(changed.userId);
  });
  if (!redis) return;
  watchRedisOutages(redis, logger, () => {
    graphql.clearTicketLists();
    services.auth.forgetSessions();
    // A revocation or role change published meanwhile was missed: every watched sign-in is looked at again.
    void signIns.recheckAll().catch((error: unknown) => logger.warn({ err: error }, "sign-in recheck failed"));
    const subscriptions = log?.catchUpAll() ?? 0;
    logger.warn(
      { clients: realtime.clientCount(), subscriptions },
      "Redis is back: subscriptions catch up from the log",
    );
  });
}
