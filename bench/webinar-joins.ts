/**
 * bench:webinar-joins — the API half of bench:webinar, without media: N joiners arrive at once with the link of a
 * webinar with a waiting room (`joinSession`), the host lets them in with "Admit all" as they arrive (repeated
 * while people wait, as bench/webinar.ts does), and each admitted viewer then opens the `sessionMedia` subscription
 * (graphql-ws, until connection_ack) and asks `mediaPublishers`. Reports per step joinSession answered / admitted /
 * sessionMedia connected / publishers answered, p50 and p95 from the joiner's `joinSession`, and the API server's
 * CPU over the step. Lighter and steadier than bench:webinar (no Chromium, Janus idle, no WebRTC), to find where the
 * API's time goes; `BENCH_JOINS_PROFILE=1` runs the server under `node --cpu-prof` (profiles in
 * /tmp/live-support-bench-joins-prof). Prints only (docs/benchmarks.md is bench:webinar's).
 *
 * Environment: BENCH_JOINS_STEPS ("99,300"), BENCH_JOINS_ROUNDS (2: each step runs this many times, the first one
 * warms the server up), BENCH_DATABASE_URL (see bench/seed.ts).
 */
import { loadavg } from "node:os";
import type WebSocket from "ws";
import { cpuBetween, cpuSnapshot, expectType, graphqlAs, HOST, JOIN, percentile, SessionApi, startApi } from "./lib.ts";
import { createBenchDatabase, dropBenchDatabase } from "./seed.ts";
import { ADMIT_ALL, mediaEvents, PUBLISHERS } from "./webinar-api.ts";

const STEPS = (process.env.BENCH_JOINS_STEPS ?? "99,300").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_JOINS_ROUNDS ?? 2);
const PROFILE = process.env.BENCH_JOINS_PROFILE === "1";
const API_PORT = 4142;
const DATABASE = "ls_bench_joins";

async function step(api: SessionApi, n: number, round: number) {
  const session = await api.liveSession("WEBINAR", { waitingRoom: true, maxParticipants: n });
  const auth = { bearer: api.hostToken };
  const admissions = new Map<string, () => void>();
  const waiting: string[] = [];
  let running = false;
  let admitCalls = 0;
  const drain = async () => {
    if (running) return;
    running = true;
    while (waiting.length > 0) {
      waiting.splice(0);
      admitCalls++;
      const result = expectType(
        (await graphqlAs(api.url, ADMIT_ALL, { id: session.id }, auth)).admitAllParticipants,
        "MutationAdmitAllParticipantsSuccess",
      );
      for (const row of result.data as { id: string }[]) admissions.get(row.id)?.();
    }
    running = false;
  };
  const sockets: WebSocket[] = [];
  const before = cpuSnapshot({ api: [apiPid] });
  const rows = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const started = performance.now();
      const joined = expectType(
        (
          await graphqlAs(api.url, JOIN, {
            input: { token: session.link, name: `Viewer ${i}`, email: `viewer${round}-${i}@bench.test` },
          })
        ).joinSession,
        "JoinSessionPayload",
      );
      const joinMs = performance.now() - started;
      const admitted = new Promise<void>((resolve) => admissions.set(joined.participant.id, resolve));
      waiting.push(joined.participant.id);
      void drain();
      await admitted;
      const admittedMs = performance.now() - started;
      sockets.push(await mediaEvents(api.url, session.id, joined.participantToken));
      const eventsMs = performance.now() - started;
      await graphqlAs(api.url, PUBLISHERS, { sessionId: session.id }, { participant: joined.participantToken });
      return { joinMs, admittedMs, eventsMs, publishersMs: performance.now() - started };
    }),
  );
  const after = cpuSnapshot({ api: [apiPid] });
  const cpu = cpuBetween(before, after);
  const seconds = (after.at - before.at) / 1000;
  for (const socket of sockets) socket.terminate();
  await api.end(session.id);
  const p = (key: keyof (typeof rows)[number], q: number) =>
    Math.round(
      percentile(
        rows.map((row) => row[key]),
        q,
      ),
    );
  return {
    n,
    round,
    load: loadavg()[0]?.toFixed(1),
    joined: `${p("joinMs", 50)} / ${p("joinMs", 95)}`,
    admitted: `${p("admittedMs", 50)} / ${p("admittedMs", 95)}`,
    sessionMedia: `${p("eventsMs", 50)} / ${p("eventsMs", 95)}`,
    publishers: `${p("publishersMs", 50)} / ${p("publishersMs", 95)}`,
    admitCalls,
    seconds: seconds.toFixed(1),
    apiCpuSeconds: ((cpu.api ?? 0) * seconds).toFixed(2),
    apiCpu: `${Math.round(100 * (cpu.api ?? 0))} %`,
  };
}

const databaseUrl = await createBenchDatabase(DATABASE);
const server = await startApi(
  {
    DATABASE_URL: databaseUrl,
    JOBS_WORKER: "off",
    ACCESS_TOKEN_TTL: "2h",
    PUBLIC_URL: `http://${HOST}:${API_PORT}`,
    DATA_DIR: `/tmp/live-support-bench-joins-${process.pid}`,
    SESSION_JOIN_RATE_LIMIT: "100000",
    SFU_WEBINAR_MAX_SEATS: String(Math.max(100, ...STEPS)),
    JANUS: "on",
    JANUS_RTP_PORTS: "39000-39099",
  },
  API_PORT,
  PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/live-support-bench-joins-prof"] : undefined,
);
const apiPid = server.process.pid ?? 0;
try {
  const api = new SessionApi(server.url);
  await api.signUpHost();
  for (let round = 0; round < ROUNDS; round++)
    for (const n of STEPS) console.log(JSON.stringify(await step(api, n, round)));
} finally {
  await server.stop();
  await dropBenchDatabase(DATABASE).catch(() => undefined);
}
