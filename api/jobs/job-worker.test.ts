import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCast } from "../../test/fixtures.ts";
import { createTestDatabase, eventually, startTestServer, TestClock, type TestServer } from "../../test/harness.ts";
import { type App, createApp } from "../app.ts";
import { openDatabase } from "../db/database.ts";
import { loadEnv } from "../env.ts";
import { backoffDelay, JobWorker } from "./job-worker.ts";
import { enqueueJob } from "./jobs.service.ts";

declare module "./jobs.service.ts" {
  interface JobPayloads {
    "test.flaky": { label: string };
    "test.slow": { label: string };
    "test.count": { n: number };
  }
}

const SECOND = 1000;
let server: TestServer;
let cast: Awaited<ReturnType<typeof createCast>>;
/** How the "test.flaky" handler behaves next: fail or succeed. */
let flakyFails = true;
const flakyRuns: string[] = [];

beforeAll(async () => {
  // Tokens outlive the hours this file moves the clock forward.
  server = await startTestServer({
    env: { JOBS_BACKOFF_BASE: "10s", JOBS_BACKOFF_MAX: "1h", ACCESS_TOKEN_TTL: "30d" },
  });
  cast = await createCast(server);
  // The cast's invitation emails are jobs too: sent now, so the tests count only their own.
  await server.app.services.jobs.drain();
  server.app.services.jobs.register("test.flaky", async ({ label }) => {
    flakyRuns.push(label);
    if (flakyFails) throw new Error(`${label} failed`);
  });
});
afterAll(async () => {
  await server?.close();
});

const jobOf = (id: string) => server.app.prisma.job.findUniqueOrThrow({ where: { id } });

async function enqueue(kind: "test.flaky" | "test.slow", label: string, maxAttempts?: number) {
  await enqueueJob(server.app.prisma, kind, { label }, { runAt: server.clock.now(), dedupeKey: label, maxAttempts });
  return (await server.app.prisma.job.findUniqueOrThrow({ where: { dedupeKey: label } })).id;
}

describe("backoff", () => {
  it("doubles the delay on each attempt, with jitter between half and all of it, up to the cap", () => {
    expect(backoffDelay(1, 10_000, 3_600_000, () => 0)).toBe(5_000);
    expect(backoffDelay(1, 10_000, 3_600_000, () => 1 - 1e-12)).toBe(10_000);
    expect(backoffDelay(3, 10_000, 3_600_000, () => 1 - 1e-12)).toBe(40_000);
    expect(backoffDelay(30, 10_000, 3_600_000, () => 1 - 1e-12)).toBe(3_600_000);
    expect(backoffDelay(30, 10_000, 3_600_000, () => 0)).toBe(1_800_000);
  });

  it("puts a failed job back with a later runAt, then fails it for good after maxAttempts", async () => {
    flakyFails = true;
    const id = await enqueue("test.flaky", "backoff", 3);
    const warn = vi.spyOn(server.app.logger, "warn");
    expect(await server.app.services.jobs.drain()).toBe(1);
    // A failed attempt is reported through the app's own logger (its level, destination and request ids).
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ job: expect.objectContaining({ id }) }), "job failed");
    warn.mockRestore();
    let job = await jobOf(id);
    const firstRetry = job.runAt.getTime() - server.clock.now().getTime();
    expect(job).toMatchObject({ status: "PENDING", attempts: 1, lastError: "Error: backoff failed" });
    expect(firstRetry).toBeGreaterThanOrEqual(5 * SECOND);
    expect(firstRetry).toBeLessThanOrEqual(10 * SECOND);

    // Not due yet: nothing runs.
    server.clock.advance(firstRetry - 1);
    expect(await server.app.services.jobs.drain()).toBe(0);
    server.clock.advance(1);
    expect(await server.app.services.jobs.drain()).toBe(1);
    job = await jobOf(id);
    const secondRetry = job.runAt.getTime() - server.clock.now().getTime();
    expect(job).toMatchObject({ status: "PENDING", attempts: 2 });
    expect(secondRetry).toBeGreaterThanOrEqual(10 * SECOND);
    expect(secondRetry).toBeLessThanOrEqual(20 * SECOND);

    server.clock.advance(secondRetry);
    expect(await server.app.services.jobs.drain()).toBe(1);
    job = await jobOf(id);
    expect(job).toMatchObject({ status: "FAILED", attempts: 3, lockedUntil: null });
    expect(job.finishedAt?.toISOString()).toBe(server.clock.now().toISOString());
    server.clock.advance(3_600_000);
    expect(await server.app.services.jobs.drain()).toBe(0);
    expect(flakyRuns.filter((label) => label === "backoff")).toHaveLength(3);
  });
});

describe("admin API", () => {
  it("shows counts per kind and failed jobs to admins only, and retries a failed job", async () => {
    const stats = await server.gql(`{ jobStats { kind pending running failed } }`, {}, cast.admin.token);
    expect(stats.data?.jobStats).toContainEqual({ kind: "test.flaky", pending: 0, running: 0, failed: 1 });
    const failed = await server.gql(
      `{ failedJobs(kind: "test.flaky") { id kind status attempts maxAttempts lastError finishedAt } }`,
      {},
      cast.admin.token,
    );
    expect(failed.data?.failedJobs).toHaveLength(1);
    const [job] = failed.data?.failedJobs ?? [];
    expect(job).toMatchObject({ status: "FAILED", attempts: 3, maxAttempts: 3, lastError: "Error: backoff failed" });

    for (const actor of [cast.agent, cast.customer]) {
      const refused = await server.gql(`{ jobStats { kind } }`, {}, actor.token);
      expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      const refusedRetry = await server.gql(
        `mutation($id: ID!) { retryJob(id: $id) { __typename } }`,
        { id: job.id },
        actor.token,
      );
      expect(refusedRetry.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    expect((await server.gql(`{ failedJobs { id } }`)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    const retry = `mutation($id: ID!) { retryJob(id: $id) { __typename ... on Job { status attempts }
      ... on Error { code } } }`;
    const retried = await server.gql(retry, { id: job.id }, cast.admin.token);
    expect(retried.data?.retryJob).toEqual({ __typename: "Job", status: "PENDING", attempts: 0 });
    flakyFails = false;
    expect(await server.app.services.jobs.drain()).toBe(1);
    expect(await jobOf(job.id)).toMatchObject({ status: "SUCCEEDED", attempts: 1 });

    const again = await server.gql(retry, { id: job.id }, cast.admin.token);
    expect(again.data?.retryJob).toMatchObject({ __typename: "InvalidTransitionError", code: "INVALID_TRANSITION" });
    const missing = await server.gql(retry, { id: "nope" }, cast.admin.token);
    expect(missing.data?.retryJob).toMatchObject({ __typename: "NotFoundError" });
  });
});

describe("crash recovery", () => {
  it("runs a job again when its worker died holding it, and ignores the dead worker's late result", async () => {
    const leaseMs = 60 * SECOND;
    let releaseDead: () => void = () => {};
    let deadStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      deadStarted = resolve;
    });
    const runs: string[] = [];
    // A second worker on the same database that claims the job and then hangs, as if its process had died.
    const dead = new JobWorker(server.app.prisma, server.clock, {
      concurrency: 1,
      pollIntervalMs: 1000,
      leaseMs,
      backoffBaseMs: 1000,
      backoffMaxMs: 1000,
      workerId: "dead-worker",
    }).register("test.slow", async ({ label }) => {
      runs.push(`dead:${label}`);
      deadStarted();
      await new Promise<void>((resolve) => {
        releaseDead = resolve;
      });
    });
    const live = new JobWorker(server.app.prisma, server.clock, {
      concurrency: 1,
      pollIntervalMs: 1000,
      leaseMs,
      backoffBaseMs: 1000,
      backoffMaxMs: 1000,
      workerId: "live-worker",
    }).register("test.slow", async ({ label }) => {
      runs.push(`live:${label}`);
    });

    const id = await enqueue("test.slow", "crash");
    const deadPass = dead.runDueJobs();
    await started;
    expect(await jobOf(id)).toMatchObject({ status: "RUNNING", lockedBy: "dead-worker", attempts: 1 });

    // The lease still holds: the live worker leaves it alone.
    server.clock.advance(leaseMs - 1);
    expect(await live.drain()).toBe(0);
    server.clock.advance(2);
    expect(await live.drain()).toBe(1);
    expect(await jobOf(id)).toMatchObject({ status: "SUCCEEDED", lockedBy: "live-worker", attempts: 2 });

    // The "dead" worker comes back and finishes: its result must not overwrite the newer claim.
    releaseDead();
    await deadPass;
    expect(await jobOf(id)).toMatchObject({ status: "SUCCEEDED", lockedBy: "live-worker", attempts: 2 });
    expect(runs).toEqual(["dead:crash", "live:crash"]);
  });
});

describe("two server instances on one database", () => {
  it("runs each of many due jobs exactly once", async () => {
    const clock = new TestClock();
    const { database, url, drop } = await createTestDatabase();
    // The embedded instances share one connection, so fewer jobs prove the same there.
    const count = database.kind === "postgres" ? 1000 : 200;
    const env = loadEnv({
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      DATA_DIR: server.dataDir,
      JOBS_WORKER: "on",
      JOBS_POLL_INTERVAL: "5ms",
    });
    // PostgreSQL: a second connection pool, as a second process would have. Embedded: PGlite is one connection,
    // so the second instance shares it (two workers in one process).
    const secondDatabase = database.kind === "postgres" ? await openDatabase(url, server.dataDir) : database;
    const ranBy = new Map<number, string[]>();
    const apps: App[] = [];
    for (const [name, db] of [
      ["a", database],
      ["b", secondDatabase],
    ] as const) {
      const app = await createApp(env, { clock, database: db, staticDir: server.dataDir });
      app.services.jobs.register("test.count", async ({ n }) => {
        ranBy.set(n, [...(ranBy.get(n) ?? []), name]);
        await new Promise((resolve) => setImmediate(resolve));
      });
      apps.push(app);
    }
    try {
      await apps[0]?.prisma.job.createMany({
        data: Array.from({ length: count }, (_, n) => ({ kind: "test.count", payload: { n }, runAt: clock.now() })),
      });
      const succeeded = () => apps[0]?.prisma.job.count({ where: { kind: "test.count", status: "SUCCEEDED" } });
      // The database is asked only once every job has run somewhere.
      await eventually(async () => ranBy.size === count && (await succeeded()) === count, {
        timeoutMs: 90_000,
        what: `all ${count} jobs to succeed`,
      });
      const duplicates = [...ranBy.entries()].filter(([, workers]) => workers.length !== 1);
      expect(duplicates).toEqual([]);
    } finally {
      await Promise.all(apps.map((app) => app.services.jobs.stop()));
      if (database.kind === "postgres") await Promise.all(apps.map((app) => app.close()));
      else await apps[0]?.close();
      await drop();
    }
  }, 120_000);
});
