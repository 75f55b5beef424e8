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

/**
 * What an instance does when another instance (or itself) changes something it holds in memory: drop removed peers'
 * signaling sockets, forget cached ticket lists and sign-ins, and end subscriptions opened with a sign-in that was
 * revoked or changed role. In server mode the events come through Redis; after a Redis outage every cache is
 * forgotten and graphql-ws clients are asked to reconnect (1012), which resubscribes them and makes them refetch.
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
    logger.warn({ clients: realtime.clientCount() }, "Redis is back: asking realtime clients to resync");
    graphql.clearTicketLists();
    services.auth.forgetSessions();
    void realtime.restartClients("Realtime resync: reconnect");
  });
}
