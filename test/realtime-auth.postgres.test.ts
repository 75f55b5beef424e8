import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Cluster,
  type ClusterNode,
  serverModeAvailable,
  startCluster,
  untilSubscribedInRedis,
} from "./cluster.ts";
import { signUp } from "./fixtures.ts";
import { demote, expectEnded, freshCast, TRANSPORTS, watchedTicket } from "./realtime-auth.ts";

const ADMIN = "realtime-cluster-admin@example.com";

/**
 * Server mode: a subscription open on instance B ends within a second when its sign-in is revoked or changed on
 * instance A. B caches sign-ins for 10 minutes, so only the `authChanged` event through Redis can explain it.
 */
describe.runIf(serverModeAvailable())("subscriptions across two instances", () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;

  beforeAll(async () => {
    cluster = await startCluster({ env: { AUTH_SESSION_CACHE: "10m" } });
    const [first, second] = cluster.nodes;
    if (!first || !second) throw new Error("two nodes expected");
    [a, b] = [first, second];
    await signUp(a, ADMIN);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const onB = (topic: string) => untilSubscribedInRedis(b, topic);

  describe.each(TRANSPORTS)("over %s", (transport) => {
    it("end on instance B when the viewer logs out on instance A", async () => {
      const cast = await freshCast(a, ADMIN, `cluster-logout-${transport}`);
      const { events } = await watchedTicket(transport, b, a, cast, onB);
      expect((await a.gql(`mutation { logOut }`, {}, cast.agent.token)).data?.logOut).toBe(true);
      await expectEnded(transport, events, "changed");
    });

    it("end on instance B when an admin on instance A changes the viewer's role", async () => {
      const cast = await freshCast(a, ADMIN, `cluster-role-${transport}`);
      const { events } = await watchedTicket(transport, b, a, cast, onB);
      await demote(a, cast.admin, cast.agent.id);
      await expectEnded(transport, events, "changed");
    });
  });
});
