/**
 * bench:data — 1,000,000 tickets and 10,000,000 messages on PostgreSQL (a database of its own, seeded with
 * generate_series SQL and dropped afterwards): inbox, ticket thread and full-text search latency through the real
 * server, one request at a time, with the indexes and EXPLAIN (ANALYZE) plans of the queries behind them.
 * BENCH_REUSE=1 measures an already seeded database; BENCH_KEEP=1 keeps it.
 */
import pg from "pg";
import { gql, INBOX, logIn, machine, ms, percentile, startApi, writeSection } from "./lib.ts";
import { adminUrl, createBenchDatabase, dropBenchDatabase, seed } from "./seed.ts";

const NAME = "ls_bench_scale";
const SIZE = { tickets: 1_000_000, messagesPerTicket: 10, customers: 100_000, agents: 50 };
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);

const THREAD = `query Thread($id: ID!) {
  ticket(id: $id) {
    id subject status
    messages(first: 50) { totalCount edges { node { id body internal createdAt author { id name } } } }
  }
}`;
const SEARCH = `query Search($search: String!) {
  tickets(first: 25, filter: { search: $search }) { edges { node { id reference subject status updatedAt } } }
}`;
const MY_OPEN = `query Mine($me: ID!) {
  tickets(first: 25, filter: { assigneeId: $me, status: [OPEN, IN_PROGRESS] }) {
    edges { node { id subject assignee { id name } lastMessage { id body } } }
  }
}`;

async function time(samples: number, run: (index: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await run(i); // warm-up
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await run(i);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

const started = machine();
const url = new URL(adminUrl());
url.pathname = `/${NAME}`;
let databaseUrl = url.toString();
if (!process.env.BENCH_REUSE) {
  databaseUrl = await createBenchDatabase(NAME);
  await seed(databaseUrl, SIZE);
}

const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const counts = (
  await client.query(
    `SELECT (SELECT count(*) FROM "Ticket") AS tickets, (SELECT count(*) FROM "TicketMessage") AS messages`,
  )
).rows[0];
// Search terms: words of middling frequency from the seeded vocabulary, and one common word.
const terms = ["lokapax", "tizehuxx", "rupafenx", "vorunex", "kaquidorx", "misavox", "sanepax", "volotix"];
const common = "password";

// The ticket-list response cache is off: every request here reaches the database, which is what this measures.
const server = await startApi({ DATABASE_URL: databaseUrl, RESPONSE_CACHE_TTL: "0s" }, 4131);
const agent = await logIn(server.url, "agent1@bench.test");
const me = (await gql(server.url, "{ me { id } }", {}, agent)).me.id;
const random = (i: number) => `t${1 + ((i * 7_919 + 13) % SIZE.tickets)}`;

const results = {
  inbox: await time(SAMPLES, () => gql(server.url, INBOX, {}, agent)),
  mine: await time(SAMPLES, () => gql(server.url, MY_OPEN, { me }, agent)),
  thread: await time(SAMPLES, (i) => gql(server.url, THREAD, { id: random(i) }, agent)),
  search: await time(SAMPLES, (i) => gql(server.url, SEARCH, { search: terms[i % terms.length] }, agent)),
  searchCommon: await time(Math.min(SAMPLES, 50), () => gql(server.url, SEARCH, { search: common }, agent)),
  searchNumber: await time(SAMPLES, (i) =>
    gql(server.url, SEARCH, { search: `TKT-${1 + ((i * 31) % 999_999)}` }, agent),
  ),
};
await server.stop();

async function explain(sql: string, params: unknown[] = []): Promise<string> {
  const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
  return rows.map((row) => row["QUERY PLAN"]).join("\n");
}
const searchSql = `SELECT id FROM (
  (SELECT id FROM "Ticket"
    WHERE to_tsvector('english'::regconfig, subject || ' ' || description) @@ websearch_to_tsquery('english'::regconfig, $1)
    LIMIT 1000)
  UNION
  (SELECT id FROM "Ticket" WHERE number = -1)
  UNION
  (SELECT "ticketId" AS id FROM "TicketMessage"
    WHERE to_tsvector('english'::regconfig, body) @@ websearch_to_tsquery('english'::regconfig, $1) AND (true OR NOT internal)
    LIMIT 1000)
) matches LIMIT 1000`;
// As the app's connections do (api/db/database.ts): random reads are cheap on SSD and in the page cache.
await client.query("SET random_page_cost = 1.1");
const plans = {
  inbox: await explain(`SELECT * FROM "Ticket" ORDER BY "updatedAt" DESC, id DESC LIMIT 26`),
  mine: await explain(
    `SELECT * FROM "Ticket" WHERE "assigneeId" = 'u_agent_1' AND status IN ('OPEN', 'IN_PROGRESS')
      ORDER BY "updatedAt" DESC, id DESC LIMIT 26`,
  ),
  thread: await explain(
    `SELECT * FROM "TicketMessage" WHERE "ticketId" = 't123457' ORDER BY "createdAt" ASC, id ASC LIMIT 51`,
  ),
  search: await explain(searchSql, [terms[0]]),
  searchPage: await explain(
    `SELECT * FROM "Ticket" WHERE id IN (${searchSql}) ORDER BY "updatedAt" DESC, id DESC LIMIT 26`,
    [terms[0]],
  ),
  searchCommon: await explain(searchSql, [common]),
};
const indexes = (
  await client.query(
    `SELECT indexdef FROM pg_indexes WHERE tablename IN ('Ticket', 'TicketMessage') ORDER BY tablename, indexname`,
  )
).rows
  .map((row) => row.indexdef)
  .join("\n");
const sizes = (
  await client.query(
    `SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) AS size FROM pg_class WHERE relname IN ('Ticket', 'TicketMessage')`,
  )
).rows
  .map((row) => `${row.relname} ${row.size}`)
  .join(", ");
await client.end();
if (!process.env.BENCH_KEEP) await dropBenchDatabase(NAME);

const row = (name: string, values: number[], target: string) =>
  `| ${name} | ${values.length} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 95))} | ${ms(percentile(values, 99))} | ${target} |`;
writeSection(
  "data",
  `### Data scale (bench:data)
${started}

${Number(counts.tickets).toLocaleString("en")} tickets and ${Number(counts.messages).toLocaleString("en")} messages (${sizes} with indexes), 100,000 customers, 50 agents; seeded with generate_series SQL (bench/seed.ts: bodies drawn from pools of random texts over a ~3,500-word vocabulary). Requests go through the real server (HTTP, auth, GraphQL, Prisma) one at a time, as an agent, with the ticket-list response cache off (\`RESPONSE_CACHE_TTL=0s\`) so that each reaches the database. PostgreSQL 15 with the machine's stock settings (shared_buffers 128 MB); the app's connections set \`random_page_cost = 1.1\`.

| request | samples | p50 | p95 | p99 | target |
| --- | --- | --- | --- | --- | --- |
${row("inbox: tickets(first: 25) with assignee and last message", results.inbox, "p95 < 10 ms")}
${row("my open tickets: assignee + status filter", results.mine, "")}
${row("ticket thread: ticket + messages(first: 50) with authors, totalCount", results.thread, "p95 < 10 ms")}
${row("full-text search, middling-frequency words", results.search, "p95 < 50 ms")}
${row(`full-text search, a common word ("${common}")`, results.searchCommon, "")}
${row("search by ticket number (TKT-…)", results.searchNumber, "")}

Indexes on the two big tables:
\`\`\`sql
${indexes}
\`\`\`

Plans (EXPLAIN (ANALYZE, BUFFERS) of the SQL behind each request; Prisma sends the relations as separate \`IN (…)\` queries):

Inbox:
\`\`\`
${plans.inbox}
\`\`\`
My open tickets:
\`\`\`
${plans.mine}
\`\`\`
Thread:
\`\`\`
${plans.thread}
\`\`\`
Search (middling word "${terms[0]}"):
\`\`\`
${plans.search}
\`\`\`
The page of a search: the matches (≤ 1,000 ids) fetched by key and sorted by recency (Prisma sends the ids as a list; here the subquery):
\`\`\`
${plans.searchPage}
\`\`\`
Search (common word "${common}"):
\`\`\`
${plans.searchCommon}
\`\`\``,
);
