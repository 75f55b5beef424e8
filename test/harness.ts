import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "graphql-ws";
import pg from "pg";
import WebSocket from "ws";
import { type App, createApp } from "../api/app.ts";
import type { Clock } from "../api/clock.ts";
import { type Database, type OpenDatabaseOptions, openDatabase } from "../api/db/database.ts";
import { loadEnv } from "../api/env.ts";
import type { MediaServer } from "../api/media/media-server.ts";
import type { PeerDirectory } from "../api/signaling/signaling.ts";

/** Which database this test run uses: set per vitest project (see vitest.config.ts). */
export const testDatabaseKind = process.env.TEST_DB === "postgres" ? "postgres" : "embedded";

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(private current = new Date("2026-11-25T09:00:00.000Z")) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(date: Date): void {
    this.current = new Date(date);
  }
}

/**
 * A database of its own for one test file: an in-memory PGlite, or a fresh database on the PostgreSQL server
 * named by TEST_DATABASE_URL, dropped afterwards.
 */
export async function createTestDatabase(
  options: OpenDatabaseOptions = {},
): Promise<{ database: Database; url: string; drop(): Promise<void> }> {
  if (testDatabaseKind === "embedded") {
    const database = await openDatabase("memory://", tmpdir());
    return { database, url: "memory://", drop: async () => {} };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error("TEST_DB=postgres needs TEST_DATABASE_URL");
  const name = `ls_test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase(url.toString(), tmpdir(), options);
  return {
    database,
    url: url.toString(),
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      // Pools close their connections asynchronously: give them up to 2 s, so FORCE only ends stragglers.
      const connections = async () =>
        (await cleanup.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [name])).rows[0]?.n;
      await eventually(async () => (await connections()) === 0, { timeoutMs: 2000 }).catch(() => {});
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

export interface GraphQLResponse<Data = Record<string, unknown>> {
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface TestServer {
  app: App;
  url: string;
  clock: TestClock;
  dataDir: string;
  /** `memory://` (embedded) or this file's own PostgreSQL database. */
  databaseUrl: string;
  /** GraphQL over HTTP; `token` goes into `Authorization: Bearer`. */
  gql<Data = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResponse<Data>>;
  /** GraphQL multipart request (file upload). `files` maps variable paths such as `input.attachments.0` to files. */
  upload<Data = Record<string, any>>(
    query: string,
    variables: Record<string, unknown>,
    files: Record<string, File>,
    token?: string,
  ): Promise<GraphQLResponse<Data>>;
  /** A graphql-ws client on the listening server. */
  wsClient(token?: string): Client;
  close(): Promise<void>;
}

export async function startTestServer(
  options: {
    env?: Record<string, string>;
    clock?: TestClock;
    /** A built PWA to serve at `/` (browser tests); by default none. */
    staticDir?: string;
    /** Decides which PeerJS peers may signal; by default the sessions service. */
    peerDirectory?: PeerDirectory;
    /** PostgreSQL tier: told when the server ends one of the pool's connections. */
    onConnectionError?: (error: Error) => void;
    /** A media server (SFU) for the app: test/janus.ts starts one. */
    mediaServer?: MediaServer;
  } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "live-support-test-"));
  const { onConnectionError } = options;
  const { database, url: databaseUrl, drop } = await createTestDatabase({ onConnectionError });
  const clock = options.clock ?? new TestClock();
  // Rate limits are off unless a test turns them on (RATE_LIMITS: "on"): suites sign many users up from 127.0.0.1.
  // Push endpoints may be private: suites post to a local push service, or register example.net endpoints that
  // this machine cannot resolve (api/notifications/push-endpoints.test.ts turns the check on).
  const env = loadEnv({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    DATA_DIR: dataDir,
    PORT: "0",
    RATE_LIMITS: "off",
    PUSH_ALLOW_PRIVATE_HOSTS: "true",
    ...options.env,
  });
  const app = await createApp(env, {
    clock,
    database,
    staticDir: options.staticDir ?? join(dataDir, "no-static"),
    peerDirectory: options.peerDirectory,
    mediaServer: options.mediaServer,
  });
  const server: Server = createServer((request, response) => void app.handleRequest(request, response));
  server.on("upgrade", app.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: Client[] = [];

  const post = async (body: BodyInit, headers: Record<string, string>, token?: string) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    return response.json();
  };

  return {
    app,
    url,
    clock,
    dataDir,
    databaseUrl,
    gql: (query, variables, token) =>
      post(JSON.stringify({ query, variables }), { "content-type": "application/json" }, token),
    upload: (query, variables, files, token) => {
      const form = new FormData();
      form.append("operations", JSON.stringify({ query, variables }));
      const map: Record<string, string[]> = {};
      Object.keys(files).forEach((path, index) => {
        map[String(index)] = [`variables.${path}`];
      });
      form.append("map", JSON.stringify(map));
      Object.values(files).forEach((file, index) => {
        form.append(String(index), file, file.name);
      });
      return post(form, { "graphql-require-preflight": "1" }, token);
    },
    wsClient: (token) => {
      const client = createClient({
        url: `${url.replace("http", "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects events of one subscription; `next()` waits for the next one (or fails after `timeoutMs`). */
export function subscribe<Data = Record<string, any>>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
) {
  const received: GraphQLResponse<Data>[] = [];
  const waiters: ((value: GraphQLResponse<Data>) => void)[] = [];
  let failure: unknown;
  let completed = false;
  const iterator = client.iterate<Data>({ query, variables });
  const pump = (async () => {
    try {
      for await (const result of iterator) {
        const waiter = waiters.shift();
        if (waiter) waiter(result as GraphQLResponse<Data>);
        else received.push(result as GraphQLResponse<Data>);
      }
    } catch (error) {
      failure = error;
    } finally {
      completed = true;
    }
  })();
  return {
    next(timeoutMs = 15_000): Promise<GraphQLResponse<Data>> {
      const queued = received.shift();
      if (queued) return Promise.resolve(queued);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no event arrived in time")), timeoutMs);
        waiters.push((value) => {
          clearTimeout(timer);
          resolve(value);
        });
      });
    },
    /** Events that arrived without anyone waiting for them. */
    pending: () => [...received],
    get error() {
      return failure;
    },
    get done() {
      return completed;
    },
    async stop() {
      await iterator.return?.();
      await pump;
    },
  };
}

/**
 * Waits until `check` returns something truthy and returns it, or fails after `timeoutMs` naming `what` it waited
 * for. The one way tests wait: on a condition (or an event), never for a fixed time.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, what = "the condition" }: { timeoutMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Waits until at least `count` subscriptions listen on a pub/sub topic of this instance (`ticketFeed`,
 * `ticket:<id>`, `liveSession:<id>`), so events published next reach them.
 */
export async function untilSubscribed(server: TestServer, topic: string, count = 1, timeoutMs = 10_000): Promise<void> {
  await eventually(() => server.app.pubsub.listenerCount(topic) >= count, {
    timeoutMs,
    what: `${count} subscription(s) on ${topic}`,
  });
}
