import { type ChildProcess, execSync, spawn } from "node:child_process";
import { existsSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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

// ── Live sessions through the real API (bench:calls, bench:webinar) ──────────────────────────────────────────

export type Auth = { bearer: string } | { participant: string };

export async function graphqlAs(url: string, query: string, variables: Record<string, unknown>, auth?: Auth) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth && "bearer" in auth) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth && "participant" in auth) headers["x-participant-token"] = auth.participant;
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as Record<string, any>;
}

/** A union result must be `typename`; anything else (a typed error) stops the bench with its message. */
export function expectType(result: Record<string, any>, typename: string): Record<string, any> {
  if (result.__typename !== typename) throw new Error(`expected ${typename}, got ${JSON.stringify(result)}`);
  return result;
}

export const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on AuthPayload { accessToken user { id role } } ... on Error { message } } }`;
export const CREATE = `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) { __typename
  ... on LiveSession { id accessToken } ... on ValidationError { message fieldErrors { path message } } } }`;
export const START = `mutation($id: ID!) { startLiveSession(id: $id) { __typename ... on LiveSession { status } ... on Error { message } } }`;
export const END = `mutation($id: ID!) { endLiveSession(id: $id) { __typename ... on LiveSession { status } ... on Error { message } } }`;
export const JOIN = `mutation($input: JoinSessionInput!) { joinSession(input: $input) { __typename
  ... on JoinSessionPayload { participantToken participant { id status } } ... on Error { message } } }`;
export const ADMIT = `mutation($id: ID!) { admitParticipant(participantId: $id) { __typename
  ... on SessionParticipant { status } ... on Error { message } } }`;
/** What the PWA's call room asks (app/features/sessions/call-room.documents.ts RoomQuery), plus the caller's own id. */
export const ROOM = `query($id: ID!) {
  liveSession(id: $id) { id type status participants { id role status peerId } }
  iceServers { urls username credential }
  myParticipant { peerId }
}`;

export interface RosterEntry {
  peerId: string;
  publishes: boolean;
}

export interface Member {
  peerId: string;
  /** The PeerJS token: the participant token, or the host's access token. */
  token: string;
  publishes: boolean;
  /** Everyone else admitted, as the PWA builds it (call-room.tsx). */
  roster: RosterEntry[];
  iceServers: RTCIceServer[];
}

export class SessionApi {
  hostToken = "";
  private guests = 0;
  constructor(readonly url: string) {}

  async signUpHost(): Promise<void> {
    const data = await graphqlAs(this.url, SIGN_UP, {
      input: { email: "host@bench.test", name: "Bench Host", password: "bench password 123" },
    });
    const payload = expectType(data.signUp, "AuthPayload");
    if (payload.user.role !== "ADMIN") throw new Error(`the first account should be the admin: ${payload.user.role}`);
    this.hostToken = payload.accessToken;
  }

  /** Schedules a session starting now and starts it (the host is in it, admitted, with a peer id). */
  async liveSession(type: string, options: { waitingRoom: boolean; maxParticipants: number }) {
    const now = Date.now();
    const created = await graphqlAs(
      this.url,
      CREATE,
      {
        input: {
          title: `Bench ${type.toLowerCase()} ${now}`,
          type,
          scheduledStartAt: new Date(now + 60_000).toISOString(),
          scheduledEndAt: new Date(now + 3_600_000).toISOString(),
          reminderOffsets: [],
          ...options,
        },
      },
      { bearer: this.hostToken },
    );
    const session = expectType(created.createLiveSession, "LiveSession");
    expectType(
      (await graphqlAs(this.url, START, { id: session.id }, { bearer: this.hostToken })).startLiveSession,
      "LiveSession",
    );
    return { id: session.id as string, link: session.accessToken as string };
  }

  async end(sessionId: string): Promise<void> {
    await graphqlAs(this.url, END, { id: sessionId }, { bearer: this.hostToken });
  }

  /** A participant uses the link; in a waiting room the host admits them. Returns the participant token. */
  async join(session: { id: string; link: string }, waits: boolean): Promise<string> {
    const n = ++this.guests;
    const data = await graphqlAs(this.url, JOIN, {
      input: { token: session.link, name: `Guest ${n}`, email: `guest${n}@bench.test` },
    });
    const joined = expectType(data.joinSession, "JoinSessionPayload");
    if (waits) {
      if (joined.participant.status !== "WAITING")
        throw new Error(`expected WAITING, got ${joined.participant.status}`);
      const admitted = expectType(
        (await graphqlAs(this.url, ADMIT, { id: joined.participant.id }, { bearer: this.hostToken })).admitParticipant,
        "SessionParticipant",
      );
      if (admitted.status !== "ADMITTED") throw new Error(`admission failed: ${JSON.stringify(admitted)}`);
    } else if (joined.participant.status !== "ADMITTED") {
      throw new Error(`expected ADMITTED, got ${joined.participant.status}`);
    }
    return joined.participantToken;
  }

  /** Peer id, roster and ICE servers of one member, read from the API with that member's own credentials. */
  async member(sessionId: string, auth: Auth): Promise<Member> {
    const data = await graphqlAs(this.url, ROOM, { id: sessionId }, auth);
    const session = data.liveSession;
    if (!session) throw new Error("the session is not visible to this member");
    const webinar = session.type === "WEBINAR";
    const participants = session.participants as { role: string; status: string; peerId: string | null }[];
    const peerId =
      "bearer" in auth ? participants.find((p) => p.role === "HOST")?.peerId : (data.myParticipant?.peerId as string);
    if (!peerId) throw new Error("no peer id for this member");
    const publishes = (p: { role: string }) => !webinar || p.role !== "ATTENDEE";
    const me = participants.find((p) => p.peerId === peerId);
    return {
      peerId,
      token: "bearer" in auth ? auth.bearer : auth.participant,
      publishes: me ? publishes(me) : true,
      roster: participants
        .filter((p) => p.status === "ADMITTED" && p.peerId && p.peerId !== peerId)
        .map((p) => ({ peerId: p.peerId as string, publishes: publishes(p) })),
      iceServers: (data.iceServers as { urls: string[]; username?: string; credential?: string }[]).map((s) => ({
        urls: s.urls,
        ...(s.username ? { username: s.username } : {}),
        ...(s.credential ? { credential: s.credential } : {}),
      })),
    };
  }
}

// ── CPU ────────────────────────────────────────────────────────────────────────────────────────────────────────

const CLOCK_TICKS = 100; // USER_HZ on Linux (getconf CLK_TCK)

interface Proc {
  ppid: number;
  comm: string;
  /** utime + stime, seconds. */
  cpu: number;
}

function processes(): Map<number, Proc> {
  const table = new Map<number, Proc>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      table.set(Number(name), {
        ppid: Number(fields[1]),
        comm,
        cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      });
    } catch {
      // the process ended while the table was read
    }
  }
  return table;
}

/** pid → CPU seconds of every process under `roots` (the roots included). */
function treeCpu(table: Map<number, Proc>, roots: number[]): Map<number, number> {
  const children = new Map<number, number[]>();
  for (const [pid, proc] of table) children.set(proc.ppid, [...(children.get(proc.ppid) ?? []), pid]);
  const out = new Map<number, number>();
  const stack = roots.filter((pid) => table.has(pid));
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (out.has(pid)) continue;
    out.set(pid, table.get(pid)?.cpu ?? 0);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Groups of processes to account for: pids whose subtrees count, or a pattern naming the children of this process
 * (with their subtrees) that count, e.g. /chrom/i for the Chromium playwright launched (its launcher execs the binary).
 */
export type CpuGroups = Record<string, number[] | RegExp>;

export interface CpuSnapshot {
  at: number;
  /** Per group, pid → CPU seconds of its processes; `all` is every process on the machine. */
  groups: Record<string, Map<number, number>>;
  all: Map<number, number>;
}

export function cpuSnapshot(groups: CpuGroups): CpuSnapshot {
  const table = processes();
  const roots = (spec: number[] | RegExp) =>
    Array.isArray(spec)
      ? spec
      : [...table].filter(([, p]) => p.ppid === process.pid && spec.test(p.comm)).map(([pid]) => pid);
  return {
    at: performance.now(),
    groups: Object.fromEntries(Object.entries(groups).map(([name, spec]) => [name, treeCpu(table, roots(spec))])),
    all: new Map([...table].map(([pid, p]) => [pid, p.cpu])),
  };
}

/**
 * CPU used between two snapshots per group, in cores (1 = one core busy the whole window); `machine` is the sum
 * over all processes (per-process accounting, like the others) rather than /proc/stat, whose tick sampling
 * undercounted the short bursts of WebRTC threads here (less than Chromium's own processes).
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> & { machine: number } {
  const seconds = (after.at - before.at) / 1000;
  const delta = (a: Map<number, number> | undefined, b: Map<number, number> | undefined) =>
    [...(b ?? [])].reduce((sum, [pid, cpu]) => sum + Math.max(0, cpu - (a?.get(pid) ?? 0)), 0);
  const out: Record<string, number> = {};
  for (const name of Object.keys(after.groups)) out[name] = delta(before.groups[name], after.groups[name]) / seconds;
  return { ...out, machine: delta(before.all, after.all) / seconds };
}
