/**
 * bench:reminders — 10,000 reminder emails due at the same minute, through the real path: SESSIONS sessions with
 * INVITEES invitees each and one due `session.reminder` job per session (written directly in the database, as
 * scheduling a session would have written them). The real server (`api/server.ts`, JOBS_WORKER=on, SMTP_URL at a
 * local `smtp-server` sink in this process) fans each reminder out to one `email.sessionReminder` job per invitee
 * and sends them. Measured: from the server's spawn (the jobs are already due) until the sink has accepted all
 * 10,000 messages. Server mode (PostgreSQL, a database of its own) and embedded mode (PGlite in a temp directory).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { hashToken, randomToken } from "../api/auth/tokens.ts";
import { openDatabase } from "../api/db/database.ts";
import { applyMigrations } from "../api/db/migrate.ts";
import { LinkCipher } from "../api/sessions/sessions.rules.ts";
import { machine, startApi, writeSection } from "./lib.ts";
import { createBenchDatabase, dropBenchDatabase } from "./seed.ts";

const SESSIONS = 100;
const INVITEES = 100;
const TOTAL = SESSIONS * INVITEES;
const OFFSET = 15;
const GIVE_UP_MS = Number(process.env.BENCH_GIVE_UP_SECONDS ?? 300) * 1000;
const CONCURRENCY = process.env.BENCH_JOBS_CONCURRENCY ?? "10";
const SECRET = "benchmark-secret-benchmark-secret-benchmark"; // the AUTH_SECRET startApi gives the server

interface Sql {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

/** A sink that only counts: accepted messages, distinct recipients, time of the first and last message. */
async function startSink() {
  const state = { count: 0, first: 0, last: 0, recipients: new Set<string>() };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    maxClients: 200,
    onData(stream, session, callback) {
      stream.on("data", () => {});
      stream.on("end", () => {
        state.count += 1;
        const now = performance.now();
        if (state.count === 1) state.first = now;
        state.last = now;
        for (const to of session.envelope.rcptTo) state.recipients.add(to.address.toLowerCase());
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, state, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Host, sessions starting in OFFSET minutes (on a whole minute), invitees and one due reminder job per session. */
async function load(client: Sql): Promise<void> {
  const cipher = new LinkCipher(SECRET);
  // On a whole minute, so that the reminder's minute has begun: due now, not at the next minute boundary (rounding
  // up made the jobs wait up to 60 s for their minute, which earlier runs counted as sending time).
  const start = new Date(Math.floor((Date.now() + OFFSET * 60_000) / 60_000) * 60_000);
  const startsAt = start.toISOString();
  const end = new Date(start.getTime() + 3_600_000);
  const due = new Date(start.getTime() - OFFSET * 60_000); // the reminder's minute: began at most 1 min ago
  await client.query(
    `INSERT INTO "User" (id, email, name, "passwordHash", role, "createdAt", "updatedAt")
     VALUES ('u_host', 'host@bench.test', 'Host', 'x', 'AGENT'::"Role", now(), now())`,
  );
  const tokens = Array.from({ length: SESSIONS }, () => randomToken());
  await client.query(
    `INSERT INTO "LiveSession" (id, "publicId", title, type, "scheduledStartAt", "scheduledEndAt", "maxParticipants",
                                "allowedEmailDomains", "reminderOffsets", "roomId", "linkTokenHash",
                                "linkTokenEncrypted", "hostId", "createdAt", "updatedAt")
     SELECT 's' || o, 'SES-BENCH' || o, 'Benchmark webinar ' || o, 'WEBINAR'::"LiveSessionType", $1, $2, 500,
            '{}', ARRAY[${OFFSET}], 'room' || o, h, e, 'u_host', now(), now()
       FROM unnest($3::text[], $4::text[]) WITH ORDINALITY u(h, e, o)`,
    [start, end, tokens.map(hashToken), tokens.map((token) => cipher.encrypt(token))],
  );
  await client.query(
    `INSERT INTO "SessionInvite" (id, "sessionId", name, email, "createdAt")
     SELECT 'i' || s || '_' || i, 's' || s, 'Invitee ' || s || '.' || i, 'invitee' || s || '.' || i || '@bench.test', now()
       FROM generate_series(1, ${SESSIONS}) s CROSS JOIN generate_series(1, ${INVITEES}) i`,
  );
  await client.query(
    `INSERT INTO "Job" (id, kind, payload, status, "runAt", "dedupeKey", "createdAt", "updatedAt")
     SELECT 'j' || s, 'session.reminder',
            jsonb_build_object('sessionId', 's' || s, 'offsetMinutes', ${OFFSET}, 'startsAt', $1::text),
            'PENDING'::"JobStatus", $2, 'reminder:s' || s || ':${OFFSET}:' || $1::text, now(), now()
       FROM generate_series(1, ${SESSIONS}) s`,
    [startsAt, due],
  );
  await client.query("ANALYZE");
}

interface Result {
  mode: string;
  received: number;
  distinct: number;
  readyMs: number;
  firstMs: number;
  totalMs: number;
  finished: boolean;
}

async function run(mode: string, databaseUrl: string, port: number, dataDir: string): Promise<Result> {
  const sink = await startSink();
  const t0 = performance.now();
  const server = await startApi(
    {
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      SMTP_URL: sink.url,
      JOBS_WORKER: "on",
      JOBS_CONCURRENCY: CONCURRENCY,
      PUBLIC_URL: "http://localhost:4000",
    },
    port,
  );
  const readyMs = performance.now() - t0;
  const deadline = t0 + GIVE_UP_MS;
  let lastLog = 0;
  while (sink.state.count < TOTAL && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      console.log(`  ${mode}: ${sink.state.count} received after ${((lastLog - t0) / 1000).toFixed(1)} s`);
    }
  }
  const finished = sink.state.count >= TOTAL;
  // A moment more, to catch duplicates sent after the last expected message.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await server.stop();
  await sink.close();
  return {
    mode,
    received: sink.state.count,
    distinct: sink.state.recipients.size,
    readyMs,
    firstMs: sink.state.first ? sink.state.first - t0 : Number.NaN,
    totalMs: (finished ? sink.state.last : performance.now()) - t0,
    finished,
  };
}

const started = machine();
const results: Result[] = [];
const modes = (process.env.BENCH_MODES ?? "postgres,embedded").split(",");

if (modes.includes("postgres")) {
  const name = "ls_bench_reminders";
  const url = await createBenchDatabase(name);
  const database = await openDatabase(url, "/tmp");
  await database.withSession((session) => applyMigrations(session));
  await database.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await load(client as unknown as Sql);
  await client.end();
  const dataDir = mkdtempSync(join(tmpdir(), "ls-bench-reminders-"));
  try {
    results.push(await run("PostgreSQL (server mode)", url, 4111, dataDir));
  } finally {
    await dropBenchDatabase(name);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (modes.includes("embedded")) {
  const dataDir = mkdtempSync(join(tmpdir(), "ls-bench-reminders-"));
  const url = `file:${join(dataDir, "pglite")}`;
  try {
    const database = await openDatabase(url, dataDir);
    await database.withSession((session) => applyMigrations(session));
    await database.close();
    const { PGlite } = await import("@electric-sql/pglite");
    const pglite = await PGlite.create({ dataDir: url.slice("file:".length) });
    await load(pglite as unknown as Sql);
    await pglite.close();
    results.push(await run("PGlite (embedded mode)", url, 4112, dataDir));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const s = (value: number) => `${(value / 1000).toFixed(1)} s`;
const rows = results.map((r) => {
  const target = r.mode.startsWith("PostgreSQL")
    ? r.finished && r.totalMs <= 60_000
      ? "≤ 60 s: **met**"
      : "≤ 60 s: **missed**"
    : "none (reported)";
  return `| ${r.mode} | ${r.received.toLocaleString("en")}${r.finished ? "" : ` (gave up after ${s(GIVE_UP_MS)})`} | ${r.distinct.toLocaleString("en")} | ${s(r.readyMs)} | ${s(r.firstMs)} | ${s(r.totalMs)} | ${Math.round(r.received / (r.totalMs / 1000))} | ${target} |`;
});
for (const r of results) console.log(r);
if (process.env.BENCH_WRITE !== "0")
  writeSection(
    "reminders",
    `### 10,000 reminder emails due at once (bench:reminders)
${started}

What runs: ${SESSIONS} scheduled sessions with ${INVITEES} invitees each and, per session, one \`session.reminder\` job (${OFFSET} min before the start) already due — written straight into the database, the rows scheduling a session writes. The real server (\`api/server.ts\`, NODE_ENV=production, \`JOBS_WORKER=on\`, \`JOBS_CONCURRENCY=${CONCURRENCY}\`) fans each reminder out to one \`email.sessionReminder\` job per invitee (the real path), renders each email and hands it over SMTP (nodemailer pool) to a counting \`smtp-server\` sink on 127.0.0.1 in the benchmark process. Timed from spawning the server (the jobs are due before it starts; start-up and migrations check included) until the sink has accepted all ${TOTAL.toLocaleString("en")} messages; "distinct" counts different recipients (equal to received: no duplicates).

| database | received | distinct | server ready | first email | all received | emails/s | target |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}`,
  );
