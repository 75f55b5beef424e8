/**
 * bench:api — an agent's inbox (`tickets(first: 25)` with assignee and last message) over 10,000 tickets, 50
 * connections, against the real server on PostgreSQL and on the embedded database, beside a bare graphql-yoga
 * hello-world server at the same concurrency.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error autocannon ships no types
import autocannon from "autocannon";
import { gql, INBOX, logIn, machine, ms, type RunningServer, startApi, startProcess, writeSection } from "./lib.ts";
import { summarize } from "./profile.ts";
import { createBenchDatabase, dropBenchDatabase, seed } from "./seed.ts";

const CONNECTIONS = 50;
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const SIZE = { tickets: 10_000, messagesPerTicket: 3, customers: 500, agents: 10 };

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
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

const started = machine();
const results: Record<string, Load> = {};

const baseline = await startProcess("bench/baseline-yoga.ts", {}, { port: 4102 });
results.baseline = await load(baseline.url, JSON.stringify({ query: "{ hello }" }));
await baseline.stop();

const pgName = "ls_bench_api";
const pgUrl = await createBenchDatabase(pgName);
await seed(pgUrl, SIZE);
// BENCH_PROFILE=1: the PostgreSQL server runs with --cpu-prof; its profile is summarized after the run.
const profileDir = mkdtempSync(join(tmpdir(), "ls-bench-profile-"));
const pgServer = await startApi(
  { DATABASE_URL: pgUrl },
  4101,
  process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [],
);
results.postgres = await inbox(pgServer);
await pgServer.stop();
await dropBenchDatabase(pgName);
let profileSummary = "";
if (process.env.BENCH_PROFILE) {
  const file = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"));
  if (file) profileSummary = summarize(join(profileDir, file), 15);
  console.log(profileSummary);
}

const dir = mkdtempSync(join(tmpdir(), "ls-bench-embedded-"));
await seed(`file:${join(dir, "pglite")}`, SIZE);
const embedded = await startApi({ DATABASE_URL: `file:${join(dir, "pglite")}` }, 4103);
results.embedded = await inbox(embedded);
await embedded.stop();
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
${row("inbox on PostgreSQL", results.postgres as Load, "≥ 50 % of baseline, p99 < 50 ms")}
${row("inbox on embedded (PGlite)", results.embedded as Load, "same figures, for reference")}
${profileSummary ? `\nCPU profile of the PostgreSQL server during this run (\`BENCH_PROFILE=1\`, top self time):\n\`\`\`\n${profileSummary}\n\`\`\`` : ""}`,
);
