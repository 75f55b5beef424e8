/**
 * bench:api — an agent's inbox (`tickets(first: 25)` with assignee and last message) over 10,000 tickets, 50
 * connections, against the real server on PostgreSQL and on the embedded database, beside a bare graphql-yoga
 * hello-world server at the same concurrency.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error autocannon ships no types
import autocannon from "autocannon";
import { gql, INBOX, logIn, machine, ms, type RunningServer, startApi, startProcess, writeSection } from "./lib.ts";
import { profileSection, serverProfile } from "./profile.ts";
import { createBenchDatabase, dropBenchDatabase, seed } from "./seed.ts";

const CONNECTIONS = 50;
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const SIZE = { tickets: 10_000, messagesPerTicket: 3, customers: 500, agents: 10 };

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Messages posted during the run (the cache cleared as many times). */
  writes?: number;
}

async function load(url: string, body: string, token?: string): Promise<Load> {
  const run = (duration: number) =>
    autocannon({
      url: `${url}/graphql`,
      connections: CONNECTIONS,
      duration,
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
  await run(2); // warm-up (JIT, connection pools, caches)
  const result = await run(DURATION);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

async function inbox(server: RunningServer): Promise<Load> {
  const token = await logIn(server.url, "agent1@bench.test");
  const data = await gql(server.url, INBOX, {}, token);
  if (data.tickets.edges.length !== 25) throw new Error("inbox did not return 25 tickets");
  return load(server.url, JSON.stringify({ query: INBOX }), token);
}

/** Runs `measure` while another agent adds a message to a ticket every 100 ms. */
async function withWrites(server: RunningServer, measure: () => Promise<Load>): Promise<Load> {
  const writer = await logIn(server.url, "agent2@bench.test");
  let writing = true;
  let written = 0;
  const loop = (async () => {
    while (writing) {
      await gql(
        server.url,
        `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`,
        { input: { ticketId: `t${1 + (written % 100)}`, body: `bench write ${written}` } },
        writer,
      );
      written += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    return { ...(await measure()), writes: written };
  } finally {
    writing = false;
    await loop;
  }
}

const started = machine();
const results: Record<string, Load> = {};

const baseline = await startProcess("bench/baseline-yoga.ts", {}, { port: 4102 });
results.baseline = await load(baseline.url, JSON.stringify({ query: "{ hello }" }));
await baseline.stop();

const pgName = "ls_bench_api";
const pgUrl = await createBenchDatabase(pgName);
await seed(pgUrl, SIZE);
// BENCH_PROFILE=1: the PostgreSQL server runs with --cpu-prof; its profile is summarized after the run.
const profile = serverProfile();
const pgServer = await startApi({ DATABASE_URL: pgUrl }, 4101, profile.nodeArgs);
results.postgres = await inbox(pgServer);
// The same load while an agent posts a message every 100 ms: each post clears the list cache everywhere.
results.postgresWrites = await withWrites(pgServer, () => inbox(pgServer));
await pgServer.stop();
// Every request executed: the sign-in check is still remembered, the ticket-list response cache is off.
const uncached = await startApi({ DATABASE_URL: pgUrl, RESPONSE_CACHE_TTL: "0s" }, 4104);
results.postgresUncached = await inbox(uncached);
await uncached.stop();
await dropBenchDatabase(pgName);
const profileSummary = profile.summary(15);

const dir = mkdtempSync(join(tmpdir(), "ls-bench-embedded-"));
await seed(`file:${join(dir, "pglite")}`, SIZE);
const embedded = await startApi({ DATABASE_URL: `file:${join(dir, "pglite")}` }, 4103);
results.embedded = await inbox(embedded);
await embedded.stop();
const embeddedUncached = await startApi(
  { DATABASE_URL: `file:${join(dir, "pglite")}`, RESPONSE_CACHE_TTL: "0s" },
  4105,
);
results.embeddedUncached = await inbox(embeddedUncached);
await embeddedUncached.stop();
rmSync(dir, { recursive: true, force: true });

const base = results.baseline as Load;
const row = (name: string, r: Load, target: string) =>
  `| ${name} | ${Math.round(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.errors} | ${((100 * r.rps) / base.rps).toFixed(0)} % | ${target} |`;
writeSection(
  "api",
  `### GraphQL inbox (bench:api)
${started}

${SIZE.tickets.toLocaleString("en")} tickets (${SIZE.messagesPerTicket} messages each), ${CONNECTIONS} connections, ${DURATION} s after a 2 s warm-up (autocannon, same process for all runs); the API server runs as its own process (\`api/server.ts\`, NODE_ENV=production).

| server | req/s | p50 | p99 | errors | of baseline | target |
| --- | --- | --- | --- | --- | --- | --- |
${row("bare graphql-yoga hello world (baseline)", base, "")}
${row("inbox on PostgreSQL (ticket-list cache on, the default)", results.postgres as Load, "≥ 50 % of baseline, p99 < 50 ms")}
${row(`inbox on PostgreSQL while an agent posts every 100 ms (${results.postgresWrites?.writes ?? 0} posts, each clearing the cache)`, results.postgresWrites as Load, "")}
${row("inbox on PostgreSQL, every request executed (RESPONSE_CACHE_TTL=0s)", results.postgresUncached as Load, "")}
${row("inbox on embedded (PGlite), cache on", results.embedded as Load, "same figures, for reference")}
${row("inbox on embedded (PGlite), every request executed", results.embeddedUncached as Load, "")}
${profileSection(profileSummary)}`,
);
