/**
 * Seeds a PostgreSQL database for the benchmarks with generate_series SQL (no per-row round trips):
 * 1 admin, AGENTS agents, CUSTOMERS customers, TICKETS tickets, MESSAGES_PER_TICKET messages each.
 * Secondary indexes are dropped during the load and rebuilt afterwards (the same definitions), then ANALYZE.
 */
import pg from "pg";
import { hashPassword } from "../api/auth/password.ts";
import { openDatabase } from "../api/db/database.ts";
import { applyMigrations } from "../api/db/migrate.ts";

export const BENCH_PASSWORD = "bench password 123";

export interface SeedSize {
  tickets: number;
  messagesPerTicket: number;
  customers: number;
  agents: number;
}

/** A vocabulary for bodies: common support words plus synthetic tokens, so words have realistic spread. */
function vocabulary(): string[] {
  const common = `login password reset invoice billing refund account email error crash slow page upload file
    browser mobile app update install payment card subscription cancel plan upgrade export report dashboard sync
    calendar notification video call audio camera microphone share screen link invite team admin agent customer
    ticket support help issue problem broken working thanks please urgent today tomorrow week order delivery`
    .split(/\s+/)
    .filter(Boolean);
  const syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qui", "dor", "fen", "gal", "hux"];
  const synthetic: string[] = [];
  for (let a = 0; a < syllables.length; a++)
    for (let b = 0; b < syllables.length; b++)
      for (let c = 0; c < syllables.length; c++) synthetic.push(`${syllables[a]}${syllables[b]}${syllables[c]}x`);
  return [...common, ...synthetic];
}

export function adminUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
}

export async function createBenchDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropBenchDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

/** Random texts of `count` words, skewed towards the front of the vocabulary (a few words are common). */
function texts(words: string[], amount: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < amount; i++) {
    const picks: string[] = [];
    for (let j = 0; j < count; j++) picks.push(words[Math.floor(words.length * Math.random() ** 1.6)] as string);
    out.push(picks.join(" "));
  }
  return out;
}

/**
 * Fills table `name` (id, body) with `amount` random texts. Rows then pick a text by id, so the load is one
 * set-based INSERT … SELECT instead of generating words per row in SQL.
 */
async function textPool(client: Sql, name: string, words: string[], amount: number, count: number) {
  await client.query(`CREATE TEMP TABLE ${name} (id int PRIMARY KEY, body text NOT NULL)`);
  for (let from = 0; from < amount; from += 50_000) {
    const batch = texts(words, Math.min(50_000, amount - from), count);
    await client.query(
      `INSERT INTO ${name} SELECT $1::int + o - 1, b FROM unnest($2::text[]) WITH ORDINALITY u(b, o)`,
      [from, batch],
    );
  }
}

/** What the seed needs from a connection: pg.Client and PGlite both fit. */
interface Sql {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

/** Seeds a PostgreSQL database (postgresql://…) or an embedded one (file:<dir>); migrations are applied first. */
export async function seed(url: string, size: SeedSize, log: (line: string) => void = console.log): Promise<void> {
  if (url.startsWith("file:")) {
    const database = await openDatabase(url, "/tmp");
    await database.withSession((session) => applyMigrations(session));
    await database.close();
    const { PGlite } = await import("@electric-sql/pglite");
    const pglite = await PGlite.create({ dataDir: url.slice("file:".length) });
    await load(pglite as unknown as Sql, size, log);
    await pglite.close();
    return;
  }
  const database = await openDatabase(url, "/tmp");
  await database.withSession((session) => applyMigrations(session));
  await database.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await load(client as unknown as Sql, size, log);
  await client.end();
}

async function load(client: Sql, size: SeedSize, log: (line: string) => void): Promise<void> {
  const words = vocabulary();
  const pools = { subjects: 100_000, descriptions: 100_000, bodies: 500_000 };
  await textPool(client, "subjects", words, pools.subjects, 5);
  await textPool(client, "descriptions", words, pools.descriptions, 30);
  await textPool(client, "bodies", words, pools.bodies, 12);
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  await client.query("SET maintenance_work_mem = '512MB'");
  await client.query("SET session_replication_role = replica"); // no FK checks during the bulk load
  const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
      WHERE i.tablename IN ('Ticket', 'TicketMessage')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        AND i.indexdef NOT LIKE 'CREATE UNIQUE%'`,
  );
  for (const index of indexes) await client.query(`DROP INDEX "${index.indexname}"`);

  const started = Date.now();
  await client.query(
    `INSERT INTO "User" (id, email, name, "passwordHash", role, "createdAt", "updatedAt")
     SELECT 'u_admin', 'admin@bench.test', 'Admin', $1, 'ADMIN'::"Role", now(), now()
     UNION ALL
     SELECT 'u_agent_' || i, 'agent' || i || '@bench.test', 'Agent ' || i, $1, 'AGENT'::"Role", now(), now()
       FROM generate_series(1, $2::int) i
     UNION ALL
     SELECT 'u_cust_' || i, 'customer' || i || '@bench.test', 'Customer ' || i, $1, 'CUSTOMER'::"Role", now(), now()
       FROM generate_series(1, $3::int) i`,
    [passwordHash, size.agents, size.customers],
  );
  const chunk = 100_000;
  const m = size.messagesPerTicket;
  for (let from = 1; from <= size.tickets; from += chunk) {
    const to = Math.min(size.tickets, from + chunk - 1);
    await client.query(
      `INSERT INTO "Ticket" (id, number, subject, description, category, priority, "priorityRank", status,
                             "requesterId", "assigneeId", "createdAt", "updatedAt", "firstResponseAt", "lastMessageId")
       SELECT 't' || i, i, s.body, d.body,
              (ARRAY['GENERAL','TECHNICAL','BILLING','ACCOUNT','FEATURE_REQUEST','OTHER'])[1 + i % 6]::"TicketCategory",
              (ARRAY['LOW','MEDIUM','HIGH','URGENT'])[1 + i % 4]::"TicketPriority",
              1 + i % 4,
              (ARRAY['OPEN','IN_PROGRESS','RESOLVED','CLOSED'])[1 + (i / 7) % 4]::"TicketStatus",
              'u_cust_' || (1 + i % $3::int),
              CASE WHEN i % 5 = 0 THEN NULL ELSE 'u_agent_' || (1 + i % $4::int) END,
              now() - make_interval(mins => ($5::int - i)),
              now() - make_interval(mins => ($5::int - i)) + make_interval(secs => ${m} * 60),
              CASE WHEN ${m} > 1 THEN now() - make_interval(mins => ($5::int - i)) + interval '60 seconds' END,
              CASE WHEN ${m} > 0 THEN 'm' || i || '_' || ${m} END
         FROM generate_series($1::int, $2::int) i
         JOIN subjects s ON s.id = (i::bigint * 7919) % ${pools.subjects}
         JOIN descriptions d ON d.id = (i::bigint * 104729) % ${pools.descriptions}`,
      [from, to, size.customers, size.agents, size.tickets],
    );
    if (m > 0) {
      await client.query(
        `INSERT INTO "TicketMessage" (id, "ticketId", "authorId", body, internal, "createdAt")
         SELECT 'm' || i || '_' || k, 't' || i,
                CASE WHEN k % 2 = 1 THEN 'u_cust_' || (1 + i % $3::int) ELSE 'u_agent_' || (1 + i % $4::int) END,
                b.body,
                k % 7 = 0 AND k <> ${m},
                now() - make_interval(mins => ($5::int - i)) + make_interval(secs => k * 60)
           FROM generate_series($1::int, $2::int) i
           CROSS JOIN generate_series(1, ${m}) k
           JOIN bodies b ON b.id = ((i::bigint * ${m} + k) * 15485863) % ${pools.bodies}`,
        [from, to, size.customers, size.agents, size.tickets],
      );
    }
    log(`  seeded tickets ${from}–${to} (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  await client.query(`SELECT setval(pg_get_serial_sequence('"Ticket"', 'number'), $1::int)`, [size.tickets]);
  for (const index of indexes) {
    const t = Date.now();
    await client.query(index.indexdef);
    log(`  index ${index.indexname}: ${Math.round((Date.now() - t) / 1000)} s`);
  }
  await client.query(`ANALYZE`);
  log(`  seed done in ${Math.round((Date.now() - started) / 1000)} s`);
}
