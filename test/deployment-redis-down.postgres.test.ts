import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, serverModeAvailable, startCluster, startPrivateRedis } from "./cluster.ts";
import { createCast, createTicket } from "./fixtures.ts";
import { eventually } from "./harness.ts";
import { nginxAvailable, startNginx } from "./nginx.ts";

const ADD_MESSAGE = `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`;

async function readyz(url: string) {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// Redis is shared by every instance: when it goes away, all of them lose it at once. Readiness must not then
// take all of them out of the load balancer, since the database still takes writes.
describe.runIf(serverModeAvailable() && nginxAvailable())("deployment: Redis down behind nginx", () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let cluster: Cluster;
  let nginx: Awaited<ReturnType<typeof startNginx>>;

  beforeAll(async () => {
    // A private redis-server on a free port: the machine's shared Redis is never stopped.
    redis = await startPrivateRedis();
    cluster = await startCluster({ redisUrl: redis.url, env: { TRUST_PROXY: "true" } });
    nginx = await startNginx(cluster.nodes.map((node) => new URL(node.url).host));
  });
  afterAll(async () => {
    await nginx?.stop();
    await cluster?.close();
    await redis?.stop();
  });

  it("keeps every instance ready (degraded) and saving writes through the proxy, then reports ok again", async () => {
    const [a] = cluster.nodes;
    if (!a) throw new Error("no node");
    const { agent, customer } = await createCast(a);
    const ticket = await createTicket(a, customer, { subject: "Redis goes away" });

    await redis.stop();
    for (const node of cluster.nodes) {
      const state = await eventually(async () => {
        const answer = await readyz(node.url);
        return answer.body.redis === false ? answer : null;
      });
      expect(state).toMatchObject({ status: 200, body: { ready: true, status: "degraded", database: true } });
    }
    // Through nginx, both instances in turn: every write is answered and saved.
    for (let index = 0; index < 4; index++) {
      const response = await fetch(`${nginx.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${agent.token}` },
        body: JSON.stringify({
          query: ADD_MESSAGE,
          variables: { input: { ticketId: ticket.id, body: `down ${index}` } },
        }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).data?.addTicketMessage.__typename).toBe("TicketMessage");
    }
    const thread = await a.gql(
      `query($id: ID!) { ticket(id: $id) { messages { edges { node { body } } } } }`,
      { id: ticket.id },
      agent.token,
    );
    expect(thread.data?.ticket.messages.edges.map((edge: { node: { body: string } }) => edge.node.body)).toEqual([
      "down 0",
      "down 1",
      "down 2",
      "down 3",
    ]);

    await redis.restart();
    for (const node of cluster.nodes) {
      await eventually(async () => (await readyz(node.url)).body.status === "ok", { what: "readiness back to ok" });
    }
    expect(await readyz(nginx.url)).toMatchObject({ status: 200, body: { ready: true, redis: true } });
  });
});
