import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SERVICE_RESTARTING } from "../api/http/subscription-shutdown.plugin.ts";
import {
  type Cluster,
  serverModeAvailable,
  startCluster,
  startPrivateRedis,
  untilSubscribedInRedis,
} from "./cluster.ts";
import { type Actor, createCast, createTicket } from "./fixtures.ts";
import { eventually, type GraphQLResponse, subscribe } from "./harness.ts";
import { createSession, hostAction } from "./session-fixtures.ts";
import { sseSubscribe } from "./sse.ts";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

const EVENTS = `subscription($id: ID!, $after: String) { ticketEvents(ticketId: $id, after: $after) {
  cursor message { body } } }`;
const FEED = `subscription { ticketFeed { cursor ticketId message { body } } }`;
const CHAT = `subscription($id: ID!) { sessionChat(sessionId: $id) { cursor message { body } } }`;
const SAY = `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`;
const SEND = `mutation($id: ID!, $body: String!) { sendSessionChatMessage(sessionId: $id, body: $body) { __typename } }`;

interface Subscription {
  next(timeoutMs?: number): Promise<GraphQLResponse>;
  pending(): GraphQLResponse[];
  stop(): Promise<void>;
}

/** The message bodies of the next `count` events (ticketEvents, ticketFeed or sessionChat). */
async function bodies(subscription: Subscription, count: number): Promise<string[]> {
  const seen = [];
  for (let i = 0; i < count; i++) {
    const result = await subscription.next();
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    seen.push((Object.values(result.data ?? {})[0] as { message: { body: string } }).message.body);
  }
  return seen;
}

// Two instances on one PostgreSQL and a private redis-server (never the machine's shared one) that tests stop.
describe.runIf(serverModeAvailable())("resumable subscriptions across instances", () => {
  let cluster: Cluster;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let agent: Actor;
  let customer: Actor;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    cluster = await startCluster({ redisUrl: redis.url, env: { RATE_LIMITS: "on" } });
    const [a] = cluster.nodes;
    if (!a) throw new Error("two nodes expected");
    ({ agent, customer } = await createCast(a));
  });
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  it("saves writes at once while Redis is down and delivers them to every subscriber once it is back", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const ticket = await createTicket(a, customer, { subject: "Redis outage" });
    const session = await createSession(a, agent);
    await hostAction(a, agent, "startLiveSession", { id: session.id });
    // On B: the agent's ticket feed over graphql-ws, the customer's ticket over SSE, the host's chat over both.
    const ws = b.reconnectingClient(agent.token);
    const subscriptions: Record<string, Subscription> = {
      feed: subscribe(ws, FEED),
      ticket: sseSubscribe(b.url, EVENTS, { id: ticket.id }, customer.token),
      chatWs: subscribe(ws, CHAT, { id: session.id }),
      chatSse: sseSubscribe(b.url, CHAT, { id: session.id }, agent.token),
    };
    for (const topic of ["ticketFeed", `ticket:${ticket.id}`, `liveSession:${session.id}`]) {
      await untilSubscribedInRedis(b, topic);
    }
    const say = async (body: string) => {
      const started = performance.now();
      const result = await a.gql(SAY, { input: { ticketId: ticket.id, body } }, agent.token);
      expect(result.data?.addTicketMessage.__typename).toBe("TicketMessage");
      return performance.now() - started;
    };
    const chat = async (body: string) => {
      const started = performance.now();
      const result = await a.gql(SEND, { id: session.id, body }, agent.token);
      expect(result.data?.sendSessionChatMessage.__typename).toBe("SessionChatMessage");
      return performance.now() - started;
    };
    await say("before");
    await chat("hello");
    expect(await bodies(subscriptions.feed as Subscription, 1)).toEqual(["before"]);
    expect(await bodies(subscriptions.ticket as Subscription, 1)).toEqual(["before"]);
    expect(await bodies(subscriptions.chatWs as Subscription, 1)).toEqual(["hello"]);
    expect(await bodies(subscriptions.chatSse as Subscription, 1)).toEqual(["hello"]);

    // Count A's publishes that Redis refused (ioredis holds a command through a few reconnect attempts first).
    const redisOfA = a.app.redis;
    if (!redisOfA) throw new Error("server mode expected");
    const report = redisOfA.onPublishError;
    let refused = 0;
    redisOfA.onPublishError = (error) => {
      refused += 1;
      report(error);
    };
    await redis.stop();
    await eventually(() => a.app.redis?.commands.status !== "ready" && b.app.redis?.subscriber.status !== "ready");
    // Each write commits at once (no wait on Redis retries), rate limits included.
    const elapsed = [await say("during 1"), await chat("away 1"), await say("during 2"), await chat("away 2")];
    for (const ms of elapsed) expect(ms).toBeLessThan(1500);
    const thread = await a.gql(
      `query($id: ID!) { ticket(id: $id) { messages { edges { node { body } } } } }`,
      { id: ticket.id },
      customer.token,
    );
    expect(thread.data?.ticket.messages.edges.map((edge: { node: { body: string } }) => edge.node.body)).toEqual([
      "before",
      "during 1",
      "during 2",
    ]);

    // Every event of the outage (two per ticket message: the ticket and the feed) was refused by Redis: lost there.
    await eventually(() => refused >= 6, { what: "the outage's publishes to fail" });
    await redis.restart();
    // B's subscriptions read what Redis did not carry from the stream log: once each, in order.
    expect(await bodies(subscriptions.feed as Subscription, 2)).toEqual(["during 1", "during 2"]);
    expect(await bodies(subscriptions.ticket as Subscription, 2)).toEqual(["during 1", "during 2"]);
    expect(await bodies(subscriptions.chatWs as Subscription, 2)).toEqual(["away 1", "away 2"]);
    expect(await bodies(subscriptions.chatSse as Subscription, 2)).toEqual(["away 1", "away 2"]);
    // And live again, with nothing twice.
    await eventually(() => b.app.redis?.subscriber.status === "ready");
    await say("after");
    await chat("back");
    expect(await bodies(subscriptions.feed as Subscription, 1)).toEqual(["after"]);
    expect(await bodies(subscriptions.ticket as Subscription, 1)).toEqual(["after"]);
    expect(await bodies(subscriptions.chatWs as Subscription, 1)).toEqual(["back"]);
    expect(await bodies(subscriptions.chatSse as Subscription, 1)).toEqual(["back"]);
    for (const subscription of Object.values(subscriptions)) {
      expect(subscription.pending()).toEqual([]);
      await subscription.stop();
    }
  });

  it("ends SSE streams with a last event on shutdown; the client resumes on the other instance and misses nothing", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const ticket = await createTicket(a, customer, { subject: "Rolling restart" });
    const onB = sseSubscribe(b.url, EVENTS, { id: ticket.id }, customer.token);
    await untilSubscribedInRedis(b, `ticket:${ticket.id}`);
    await a.gql(SAY, { input: { ticketId: ticket.id, body: "first" } }, agent.token);
    const first = await onB.next();
    expect(first.data?.ticketEvents.message.body).toBe("first");
    const cursor = first.data?.ticketEvents.cursor as string;

    const stopping = b.stop();
    const last = await onB.next();
    expect(last.errors?.[0]?.extensions?.code).toBe(SERVICE_RESTARTING);
    await eventually(() => onB.done);
    expect(onB.error).toBeUndefined();
    await stopping;

    // Written while the client had no stream; it resumes on A with its last cursor.
    await a.gql(SAY, { input: { ticketId: ticket.id, body: "while reconnecting" } }, agent.token);
    const onA = sseSubscribe(a.url, EVENTS, { id: ticket.id, after: cursor }, customer.token);
    expect(await bodies(onA, 1)).toEqual(["while reconnecting"]);
    await untilSubscribedInRedis(a, `ticket:${ticket.id}`);
    await a.gql(SAY, { input: { ticketId: ticket.id, body: "live" } }, agent.token);
    expect(await bodies(onA, 1)).toEqual(["live"]);
    expect(onA.pending()).toEqual([]);
    await onA.stop();
  });
});
