import { type ChildProcess, execSync, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { BENCH_PASSWORD } from "./seed.ts";

/** An agent's inbox: the first page of tickets with assignee and last message. */
export const INBOX = `query Inbox {
  tickets(first: 25) {
    edges { node {
      id reference subject status priority updatedAt
      assignee { id name }
      lastMessage { id body createdAt author { id name } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** Every load stays on this machine. */
export const HOST = "127.0.0.1";
const root = fileURLToPath(new URL("..", import.meta.url));
const docPath = fileURLToPath(new URL("../docs/benchmarks.md", import.meta.url));

export function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const nproc = execSync("nproc").toString().trim();
  return (
    `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC · ${nproc} cores (${cpu}) · ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM (${Math.round(freemem() / 2 ** 30)} GiB free) · Node ${process.version} · ` +
    `load average at start ${loadavg()
      .map((value) => value.toFixed(1))
      .join(" / ")}${(loadavg()[0] ?? 0) > 1.5 ? " (the cores were busy with other jobs: figures are noisy)" : ""}`
  );
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;

/** Replaces the section between `<!-- bench:<name> -->` and `<!-- /bench:<name> -->` in docs/benchmarks.md. */
export function writeSection(name: string, markdown: string): void {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : "# Benchmarks\n";
  const block = `${open}\n${markdown.trim()}\n${close}`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  const next =
    start >= 0 && end > start ? doc.slice(0, start) + block + doc.slice(end + close.length) : `${doc}\n${block}\n`;
  writeFileSync(docPath, next);
  console.log(`\n${markdown}\n→ written to docs/benchmarks.md (${name})`);
}

export interface RunningServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a Node script (the real API server, or a baseline) as its own process and waits for it to answer. */
export async function startProcess(
  script: string,
  env: Record<string, string>,
  options: { port: number; readyPath?: string; nodeArgs?: string[] },
): Promise<RunningServer> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", script], {
    cwd: root,
    env: { ...process.env, HOST, PORT: String(options.port), ...env },
    // The server's JSON log (warnings and errors at LOG_LEVEL=warn) goes to a file per port.
    stdio: ["ignore", openSync(`/tmp/live-support-bench-${options.port}.log`, "w"), "inherit"],
  });
  const url = `http://${HOST}:${options.port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}${options.readyPath ?? "/readyz"}`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${script} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts the real API server (api/server.ts) with benchmark settings. */
export function startApi(env: Record<string, string>, port: number, nodeArgs?: string[]) {
  return startProcess(
    "api/server.ts",
    {
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      RATE_LIMITS: "off",
      AUTH_SECRET: "benchmark-secret-benchmark-secret-benchmark",
      DATA_DIR: "/tmp/live-support-bench",
      // The figures in docs/benchmarks.md were measured without a media server; a benchmark of the SFU passes JANUS=on.
      JANUS: "off",
      ...env,
    },
    { port, nodeArgs },
  );
}

export async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as Record<string, any>;
}

export async function logIn(url: string, email: string): Promise<string> {
  const data = await gql(
    url,
    `mutation($input: LogInInput!) { logIn(input: $input) { __typename ... on AuthPayload { accessToken } } }`,
    { input: { email, password: BENCH_PASSWORD } },
  );
  if (!data.logIn.accessToken) throw new Error(`log-in failed: ${JSON.stringify(data)}`);
  return data.logIn.accessToken;
}

/**
 * `count` raw graphql-transport-ws subscribers (no client library, to keep the load generator light), each
 * calling `onEvent(index)` when an event arrives.
 */
export async function openSubscribers(
  wsUrl: string,
  count: number,
  payload: { query: string; variables?: Record<string, unknown> },
  connectionParams: Record<string, unknown>,
  onEvent: (index: number) => void,
): Promise<{ close(): void }> {
  const sockets: WebSocket[] = [];
  const batch = 50;
  /** One subscriber; a connection refused or dropped before its acknowledgement is retried (up to 3 times). */
  const connect = (index: number, attempt = 1): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(wsUrl, "graphql-transport-ws");
      let acknowledged = false;
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: connectionParams })));
      socket.on("error", () => {});
      socket.on("close", (code) => {
        if (acknowledged) return;
        if (attempt >= 3) reject(new Error(`subscriber ${index} closed before acknowledgement (${code})`));
        else connect(index, attempt + 1).then(resolve, reject);
      });
      socket.on("message", (raw) => {
        const message = JSON.parse(raw.toString());
        if (message.type === "connection_ack") {
          acknowledged = true;
          sockets.push(socket);
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload }));
          resolve();
        } else if (message.type === "next") {
          onEvent(index);
        } else if (message.type === "error") {
          reject(new Error(JSON.stringify(message.payload)));
        }
      });
    });
  for (let from = 0; from < count; from += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - from) }, (_, offset) => connect(from + offset)));
  }
  return {
    close: () => {
      for (const socket of sockets) socket.terminate();
    },
  };
}

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}
