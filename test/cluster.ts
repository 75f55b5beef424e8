import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, type ClientOptions, createClient } from "graphql-ws";
import { Redis } from "ioredis";
import WebSocket from "ws";
import { type App, createApp } from "../api/app.ts";
import { openDatabase } from "../api/db/database.ts";
import { loadEnv } from "../api/env.ts";
import { createTestDatabase, eventually, TestClock, type TestServer, testDatabaseKind } from "./harness.ts";

/**
 * Several API instances against one database and one Redis, the way server mode runs behind a load balancer.
 * Each node is a TestServer, so the fixtures (signUp, createCast, createTicket…) work on any node.
 */
export interface ClusterNode extends TestServer {
  /** A graphql-ws client that reconnects (as browsers do): after a restart or a resync it resubscribes. */
  reconnectingClient(token?: string, options?: Partial<ClientOptions>): Client;
  /** Stops this instance gracefully (app.close()), leaving the others running. */
  stop(): Promise<void>;
}

export interface Cluster {
  nodes: ClusterNode[];
  /** The Redis channel/key prefix of this run: parallel runs sharing one Redis never see each other. */
  prefix: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * Whether the server-mode tier can run: PostgreSQL tier with TEST_REDIS_URL. In CI a missing Redis fails the run
 * (vitest.config.ts throws too); locally the scale tests are skipped with a warning.
 */
export function serverModeAvailable(): boolean {
  if (testDatabaseKind !== "postgres") return false;
  if (process.env.TEST_REDIS_URL) return true;
  if (process.env.CI) throw new Error("CI must run the server-mode tier: set TEST_REDIS_URL");
  console.warn("TEST_REDIS_URL is not set: skipping the server-mode (two-instance) tests.");
  return false;
}

export async function startCluster(
  options: { instances?: number; redisUrl?: string; env?: Record<string, string> } = {},
): Promise<Cluster> {
  const redisUrl = options.redisUrl ?? process.env.TEST_REDIS_URL;
  if (!redisUrl) throw new Error("startCluster needs a Redis URL (TEST_REDIS_URL)");
  const prefix = `ls-test:${randomBytes(6).toString("hex")}:`;
  const { database: first, url: databaseUrl, drop } = await createTestDatabase();
  const clock = new TestClock();
  const nodes: ClusterNode[] = [];
  const count = options.instances ?? 2;
  for (let index = 0; index < count; index++) {
    // One pool per instance, as separate processes would have.
    const database = index === 0 ? first : await openDatabase(databaseUrl, tmpdir());
    nodes.push(
      await startNode({
        database,
        databaseUrl,
        clock,
        env: { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, ...options.env },
      }),
    );
  }
  return {
    nodes,
    prefix,
    databaseUrl,
    close: async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await drop();
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      const keys = await redis.keys(`${prefix}*`).catch(() => []);
      if (keys.length) await redis.del(...keys).catch(() => {});
      redis.disconnect();
    },
  };
}

async function startNode(options: {
  database: Awaited<ReturnType<typeof openDatabase>>;
  databaseUrl: string;
  clock: TestClock;
  env: Record<string, string>;
}): Promise<ClusterNode> {
  const dataDir = mkdtempSync(join(tmpdir(), "live-support-node-"));
  const env = loadEnv({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    DATA_DIR: dataDir,
    PORT: "0",
    AUTH_SECRET: "cluster-test-secret-cluster-test-secret",
    RATE_LIMITS: "off",
    ...options.env,
  });
  const app: App = await createApp(env, {
    clock: options.clock,
    database: options.database,
    staticDir: join(dataDir, "no-static"),
  });
  const server: Server = createServer((request, response) => void app.handleRequest(request, response));
  server.on("upgrade", app.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: Client[] = [];
  let stopped: Promise<void> | null = null;

  const post = async (body: BodyInit, headers: Record<string, string>, token?: string) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    return response.json();
  };
  const makeClient = (token: string | undefined, extra: Partial<ClientOptions>) => {
    const client = createClient({
      url: `${url.replace("http", "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      lazy: true,
      ...extra,
    });
    clients.push(client);
    return client;
  };
  const stop = () => {
    stopped ??= (async () => {
      server.close();
      server.closeIdleConnections();
      await app.close({ timeoutMs: 2000 });
      server.closeAllConnections();
      rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  return {
    app,
    url,
    clock: options.clock,
    dataDir,
    databaseUrl: options.databaseUrl,
    gql: (query, variables, token) =>
      post(JSON.stringify({ query, variables }), { "content-type": "application/json" }, token),
    upload: () => {
      throw new Error("upload is not wired on cluster nodes");
    },
    wsClient: (token) => makeClient(token, { retryAttempts: 0 }),
    reconnectingClient: (token, extra = {}) =>
      makeClient(token, { retryAttempts: 20, retryWait: () => new Promise((r) => setTimeout(r, 100)), ...extra }),
    stop,
    close: async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await stop();
    },
  };
}

export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A private redis-server on a free port (never the machine's shared one), which a test may kill and restart.
 */
export async function startPrivateRedis() {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    const answers = async () => {
      try {
        await probe.connect();
        return (await probe.ping()) === "PONG";
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    };
    await eventually(answers, { timeoutMs: 5000, what: `redis-server on port ${port}` });
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url, port, stop, restart: start };
}

/**
 * Waits until an instance subscribed a pub/sub topic (`ticket:<id>`) in Redis, so events published next on any
 * instance reach it. Redis counts one subscriber per instance and topic, however many subscriptions listen there.
 */
export async function untilSubscribedInRedis(node: ClusterNode, topic: string): Promise<void> {
  const redis = node.app.redis;
  if (!redis) throw new Error("this node runs without Redis");
  const channel = `${redis.prefix}pubsub:${topic}`;
  await eventually(
    async () => {
      const [, subscribers] = (await redis.commands.pubsub("NUMSUB", channel)) as [string, number];
      return Number(subscribers) > 0;
    },
    { what: `a Redis subscriber on ${topic}` },
  );
}
