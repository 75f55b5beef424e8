/**
 * bench:fanout — 2,000 graphql-ws subscribers on one ticket. Latency: from sending the mutation to each subscriber
 * having the event. Rate: events delivered per second while mutations are sent back to back. Beside a bare
 * graphql-ws broadcast server (no database, no auth) at the same subscriber count; on PostgreSQL and embedded.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  gql,
  logIn,
  machine,
  ms,
  openSubscribers,
  percentile,
  startApi,
  startProcess,
  until,
  writeSection,
} from "./lib.ts";
import { profileSection, serverProfile } from "./profile.ts";
import { createBenchDatabase, dropBenchDatabase, seed } from "./seed.ts";

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 2000);
const ROUNDS = 20;
const SIZE = { tickets: 100, messagesPerTicket: 1, customers: 10, agents: 2 };
export const EVENTS = `subscription($ticketId: ID!) { ticketEvents(ticketId: $ticketId) { kind ticketId message { id body } } }`;
const ADD = `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`;

interface Fanout {
  p50: number;
  p99: number;
  allP99: number;
  rate: number;
  lost: number;
}

/** Runs the latency rounds, then the rate burst, against subscribers opened with `open`. */
async function measure(
  open: (onEvent: () => void) => Promise<{ close(): void }>,
  publish: (round: number) => Promise<void>,
): Promise<Fanout> {
  let received = 0;
  let t0 = 0;
  const latencies: number[] = [];
  const subscribers = await open(() => {
    received += 1;
    if (t0) latencies.push(performance.now() - t0);
  });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // let the server attach every subscription
  const toAll: number[] = [];
  let lost = 0;
  for (let round = 0; round < ROUNDS; round++) {
    received = 0;
    t0 = performance.now();
    await publish(round);
    const complete = await until(() => received >= SUBSCRIBERS, 10_000);
    if (!complete) lost += SUBSCRIBERS - received;
    toAll.push(performance.now() - t0);
    t0 = 0;
  }
  received = 0;
  const burstStart = performance.now();
  for (let round = 0; round < ROUNDS; round++) await publish(ROUNDS + round);
  await until(() => received >= SUBSCRIBERS * ROUNDS, 30_000);
  const rate = received / ((performance.now() - burstStart) / 1000);
  subscribers.close();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), allP99: percentile(toAll, 99), rate, lost };
}

async function ours(databaseUrl: string, port: number, nodeArgs: string[] = []): Promise<Fanout> {
  const server = await startApi({ DATABASE_URL: databaseUrl }, port, nodeArgs);
  try {
    const agent = await logIn(server.url, "agent1@bench.test");
    const customer = await logIn(server.url, "customer1@bench.test");
    // Ticket t10 belongs to customer 1 (requester = 1 + i % customers): subscribers are its requester's devices.
    const ticketId = "t10";
    await gql(server.url, `query($id: ID!) { ticket(id: $id) { id } }`, { id: ticketId }, customer);
    return await measure(
      (onEvent) =>
        openSubscribers(
          `${server.url.replace("http", "ws")}/graphql`,
          SUBSCRIBERS,
          { query: EVENTS, variables: { ticketId } },
          { authorization: `Bearer ${customer}` },
          onEvent,
        ),
      async (round) => {
        const data = await gql(server.url, ADD, { input: { ticketId, body: `fan-out ${round}` } }, agent);
        if (data.addTicketMessage.__typename !== "TicketMessage") throw new Error(JSON.stringify(data));
      },
    );
  } finally {
    await server.stop();
  }
}

const started = machine();
const results: Record<string, Fanout> = {};
let embeddedFailure = "";
let profileSummary = "";

const baseline = await startProcess("bench/baseline-ws.ts", {}, { port: 4112 });
results.baseline = await measure(
  (onEvent) =>
    openSubscribers(
      `${baseline.url.replace("http", "ws")}/graphql`,
      SUBSCRIBERS,
      { query: `subscription { ticketEvents(ticketId: "t1") { kind ticketId } }` },
      {},
      onEvent,
    ),
  async () => {
    await fetch(`${baseline.url}/publish`, { method: "POST" });
  },
);
await baseline.stop();

const pgUrl = await createBenchDatabase("ls_bench_fanout");
await seed(pgUrl, SIZE, () => {});
// BENCH_PROFILE=1: the PostgreSQL server runs with --cpu-prof; its profile is summarized after the run.
const profile = serverProfile();
results.postgres = await ours(pgUrl, 4111, profile.nodeArgs);
await dropBenchDatabase("ls_bench_fanout");
profileSummary = profile.summary(30);
report();

const dir = mkdtempSync(join(tmpdir(), "ls-bench-fanout-"));
await seed(`file:${join(dir, "pglite")}`, SIZE, () => {});
try {
  results.embedded = await ours(`file:${join(dir, "pglite")}`, 4113);
} catch (error) {
  embeddedFailure = String(error);
}
rmSync(dir, { recursive: true, force: true });
report();

function report() {
  const base = results.baseline as Fanout;
  const row = (name: string, r: Fanout) =>
    `| ${name} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.allP99)} | ${Math.round(r.rate)} | ${((100 * r.rate) / base.rate).toFixed(0)} % | ${r.lost} |`;
  writeSection(
    "fanout",
    `### Realtime fan-out (bench:fanout)
${started}

${SUBSCRIBERS.toLocaleString("en")} graphql-ws subscribers on one ticket (raw graphql-transport-ws sockets in the bench process), ${ROUNDS} mutations one at a time for latency (mutation sent → each subscriber has the event; ours selects \`kind ticketId message { id body }\`, so every subscriber's event loads the message), then ${ROUNDS} mutations back to back for the delivery rate. Targets: p99 < 100 ms; rate ≥ 50 % of the bare graphql-ws broadcast server.

| server | p50 per subscriber | p99 per subscriber | p99 until all have it | events delivered/s | of baseline | lost |
| --- | --- | --- | --- | --- | --- | --- |
${row("bare graphql-ws broadcast (baseline)", base)}
${results.postgres ? row("ours on PostgreSQL (in-process pub/sub)", results.postgres) : ""}
${results.embedded ? row("ours on embedded (PGlite)", results.embedded) : ""}
${embeddedFailure ? `\nEmbedded run failed: ${embeddedFailure}` : ""}
${profileSection(profileSummary)}`,
  );
}
