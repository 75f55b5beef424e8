import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import type { Database } from "../api/db/database.ts";
import { freePort } from "./cluster.ts";
import { createTestDatabase, eventually, type GraphQLResponse, TestClock } from "./harness.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * The real server (api/server.ts) as its own process on a test's database and data directory, for tests that kill
 * it (`killHard`) between two steps and start another.
 */
export async function startServerProcess(options: {
  databaseUrl: string;
  dataDir: string;
  env?: Record<string, string>;
}) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "api/server.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: options.dataDir,
      AUTH_SECRET: "process-test-secret-process-test-secret",
      RATE_LIMITS: "off",
      ...options.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
      return (await fetch(`${url}/readyz`).catch(() => null))?.ok;
    },
    { timeoutMs: 120_000, what: "the server to answer /readyz" },
  ).catch((error: unknown) => {
    // A server that never became ready is not left running after the test.
    child.kill("SIGKILL");
    throw error;
  });
  /** GraphQL over HTTP; `extensions` go into the request body as they are. */
  const gql = async <Data = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    extensions?: Record<string, unknown>,
  ) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables, extensions }),
    });
    return (await response.json()) as GraphQLResponse<Data> & { extensions?: Record<string, unknown> };
  };
  return { url, child, gql, clock: new TestClock(new Date()) };
}

/** SIGKILL: no shutdown hook runs, as when the machine dies. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/**
 * A test file's database and data directory, shared by the server processes it starts (`start`), created before
 * its tests; afterwards the processes are killed and both removed.
 */
export function withServerProcesses(name: string) {
  let database: Database | undefined;
  let databaseUrl = "";
  let drop: (() => Promise<void>) | undefined;
  let dataDir = "";
  const running: ChildProcess[] = [];
  beforeAll(async () => {
    ({ database, url: databaseUrl, drop } = await createTestDatabase());
    dataDir = mkdtempSync(join(tmpdir(), `live-support-${name}-`));
  });
  afterAll(async () => {
    await Promise.all(running.map(killHard));
    await database?.close();
    await drop?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    /** The test's own connection to the database the servers use. */
    database: (): Database => {
      if (!database) throw new Error("the database opens before the tests");
      return database;
    },
    start: async (env: Record<string, string> = {}) => {
      const server = await startServerProcess({ databaseUrl, dataDir, env });
      running.push(server.child);
      return server;
    },
  };
}
