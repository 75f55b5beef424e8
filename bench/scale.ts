/**
 * bench:scale — cross-instance delivery: a message posted on instance A reaches subscribers on instance B through
 * Redis. Beside its baselines in the same run: one instance with in-process pub/sub, and one instance over Redis
 * (subscriber and mutation on the same instance). Latency = mutation sent → subscriber has the event. A last row
 * times the hop alone: the event published to Redis exactly as instance A publishes it → subscribers on B.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import {
  gql,
  logIn,
  machine,
  ms,
  openSubscribers,
  percentile,
  type RunningServer,
  startApi,
  until,
  writeSection,
} from "./lib.ts";
import { createBenchDatabase, dropBenchDatabase, seed } from "./seed.ts";

const SUBSCRIBERS = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const EVENTS = `subscription($ticketId: ID!) { ticketEvents(ticketId: $ticketId) { kind ticketId message { id body } } }`;
const ADD = `mutation($input: AddTicketMessageInput!) {
  addTicketMessage(input: $input) { __typename ... on TicketMessage { id } }
}`;

interface Hop {
  p50: number;
  p95: number;
  p99: number;
  lost: number;
}

const TICKET_ID = "t10";

/**
 * Opens SUBSCRIBERS subscriptions to the ticket on `subscribeOn` (as its customer), then ROUNDS times runs `trigger`
 * and times until every subscriber has the event.
 */
async function timeDeliveries(subscribeOn: RunningServer, trigger: (round: number) => Promise<unknown>): Promise<Hop> {
  const customer = await logIn(subscribeOn.url, "customer1@bench.test");
  let received = 0;
  let t0 = 0;
  const latencies: number[] = [];
  const subscribers = await openSubscribers(
    `${subscribeOn.url.replace("http", "ws")}/graphql`,
    SUBSCRIBERS,
    { query: EVENTS, variables: { ticketId: TICKET_ID } },
    { authorization: `Bearer ${customer}` },
    () => {
      received += 1;
      if (t0) latencies.push(performance.now() - t0);
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  let lost = 0;
  for (let round = 0; round < ROUNDS; round++) {
    received = 0;
    t0 = performance.now();
    await trigger(round);
    if (!(await until(() => received >= SUBSCRIBERS, 5000))) lost += SUBSCRIBERS - received;
    t0 = 0;
  }
  subscribers.close();
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), lost };
}

/** A message posted on `publishOn` → subscribers on `subscribeOn` (the mutation's transaction included). */
async function measure(publishOn: RunningServer, subscribeOn: RunningServer): Promise<Hop> {
  const agent = await logIn(publishOn.url, "agent1@bench.test");
  return timeDeliveries(subscribeOn, (round) =>
    gql(publishOn.url, ADD, { input: { ticketId: TICKET_ID, body: `hop ${round}` } }, agent),
  );
}

/**
 * The Redis hop alone: the MESSAGE_ADDED event of a real message, published on the channel instance A publishes it
 * on (api/ops/redis.ts) with the payload A sends (tickets.service.ts); subscribers on B load and deliver it as usual.
 */
async function measurePublished(publishOn: RunningServer, subscribeOn: RunningServer, prefix: string): Promise<Hop> {
  const agent = await logIn(publishOn.url, "agent1@bench.test");
  const posted = await gql(publishOn.url, ADD, { input: { ticketId: TICKET_ID, body: "published directly" } }, agent);
  const messageId: string | undefined = posted.addTicketMessage?.id;
  const ticket = await gql(
    publishOn.url,
    `query($id: ID!) { ticket(id: $id) { requester { id } } }`,
    { id: TICKET_ID },
    agent,
  );
  const requesterId: string | undefined = ticket.ticket?.requester?.id;
  if (!messageId || !requesterId) throw new Error("could not post the message to publish");
  const redis = new Redis(REDIS_URL);
  const channel = `${prefix}pubsub:ticket:${TICKET_ID}`;
  const payload = JSON.stringify({
    kind: "MESSAGE_ADDED",
    ticketId: TICKET_ID,
    requesterId,
    messageId,
    internal: false,
  });
  try {
    return await timeDeliveries(subscribeOn, () => redis.publish(channel, payload));
  } finally {
    redis.disconnect();
  }
}

const started = machine();
const url = await createBenchDatabase("ls_bench_xi");
await seed(url, { tickets: 100, messagesPerTicket: 1, customers: 10, agents: 2 }, () => {});
const prefix = `ls-bench:${randomBytes(4).toString("hex")}:`;
const results: Record<string, Hop> = {};

const single = await startApi({ DATABASE_URL: url }, 4123);
results.single = await measure(single, single);
await single.stop();

const a = await startApi({ DATABASE_URL: url, REDIS_URL, REDIS_PREFIX: prefix }, 4121);
const b = await startApi({ DATABASE_URL: url, REDIS_URL, REDIS_PREFIX: prefix }, 4122);
results.sameOverRedis = await measure(a, a);
results.cross = await measure(a, b);
results.hop = await measurePublished(a, b, prefix);
await Promise.all([a.stop(), b.stop()]);
await dropBenchDatabase("ls_bench_xi");

const row = (name: string, r: Hop, target = "") =>
  `| ${name} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${r.lost} | ${target} |`;
writeSection(
  "scale",
  `### Cross-instance delivery over Redis (bench:scale)
${started}

Two API processes on one PostgreSQL database and the local Redis (unique channel prefix), ${SUBSCRIBERS} graphql-ws subscribers, ${ROUNDS} messages posted one at a time. Latency is measured from sending the mutation (so it includes the mutation's own transaction) to each subscriber having the event; the first row is the same path without Redis. The last row starts the clock at the publish itself: the bench publishes the MESSAGE_ADDED event of a real message to Redis on the channel and with the payload instance A uses, and B's subscribers load and deliver it as usual (the event published on A → subscriber on B).

| path | p50 | p95 | p99 | lost | target |
| --- | --- | --- | --- | --- | --- |
${row("one instance, in-process pub/sub (baseline)", results.single as Hop)}
${row("one instance over Redis (A → A)", results.sameOverRedis as Hop)}
${row("instance A → subscribers on instance B (from the mutation)", results.cross as Hop)}
${row("event published (as A does) → subscribers on instance B", results.hop as Hop, "p99 < 50 ms")}`,
);
