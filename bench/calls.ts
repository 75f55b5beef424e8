/**
 * bench:calls — WebRTC calls in Debian's Chromium (fake 320×240@15 fps camera) against the real API server
 * (`api/server.ts`, NODE_ENV=production, PostgreSQL in a database of its own) started as its own process.
 *
 * 1. Join → first frame: a participant admitted through the real API (host signs up, schedules and starts a session;
 *    the participant joins with the link, waits, is admitted by the host; both read their peer id and the ICE servers
 *    as the PWA does) presses Join in a page running the real call client (bench/calls-page/ours.ts) while the host
 *    is already in the call; timed until the joiner decodes the host's first frame. Beside it, in the same run and
 *    interleaved, a bare two-peer PeerJS page (bench/calls-page/bare.ts: Peer + call + answer) against a bare `peer`
 *    server (bench/baseline-peer.ts) in its own process. Target: ours p50 within 1.3× of bare.
 * 2. Capacity: the largest full mesh (every participant decodes every other's video at ≥ MIN_FPS over a 10 s window)
 *    and the largest webinar audience (the host publishes, N attendees receive) on this machine, with the CPU time of
 *    Chromium's processes over the window per participant. Each ladder stops at the first step that fails or takes
 *    too long; everything is bounded in count and time, and all traffic stays on 127.0.0.1.
 *
 * Environment: BENCH_CALLS_REPS (10), BENCH_CALLS_MESH ("2,…,8"), BENCH_CALLS_AUDIENCES ("2,4,8,12,16,24,32"),
 * BENCH_CALLS_SKIP_CAPACITY=1, BENCH_WRITE=0 (print only), BENCH_DATABASE_URL (see bench/seed.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { chromiumAvailable, chromiumPath, launchChromium } from "../test/e2e/browser.ts";
import { HOST, machine, ms, percentile, type RunningServer, startApi, startProcess, writeSection } from "./lib.ts";
import { createBenchDatabase, dropBenchDatabase } from "./seed.ts";

const REPS = Number(process.env.BENCH_CALLS_REPS ?? 10);
const list = (value: string | undefined, fallback: number[]) =>
  value ? value.split(",").map((item) => Number(item.trim())) : fallback;
/** Up to the call client's MAX_MESH_SIZE (8). */
const MESH_SIZES = list(process.env.BENCH_CALLS_MESH, [2, 3, 4, 5, 6, 7, 8]);
const AUDIENCES = list(process.env.BENCH_CALLS_AUDIENCES, [2, 4, 8, 12, 16, 24, 32]);
const SKIP_CAPACITY = process.env.BENCH_CALLS_SKIP_CAPACITY === "1";
const TARGET_RATIO = 1.3;
/** The fake camera's rate (bench/calls-page/common.ts) and the rate every link must keep to count as sustained. */
const CAMERA_FPS = 15;
const MIN_FPS = CAMERA_FPS / 2;
/** How long the host has been in the call (the participant on its roster) before the participant presses Join. */
const IN_ROOM_MS = 2000;
const FIRST_FRAME_TIMEOUT_MS = 30_000;
/** Capacity: after everyone decodes everyone, SETTLE_MS before a WINDOW_MS measurement window. */
const SETTLE_MS = 3000;
const WINDOW_MS = 10_000;
/** A capacity step whose set-up (pages open, joined, every video decoding) takes longer than this fails. */
const STEP_SETUP_MS = 120_000;
/** The whole run gives up starting new steps after this. */
const GIVE_UP_MS = 30 * 60_000;
const API_PORT = 4131;
const BARE_PORT = 4132;
const DATABASE = "ls_bench_calls";

const benchStart = Date.now();
const pageRoot = fileURLToPath(new URL("./calls-page/", import.meta.url));
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

// ── GraphQL against the real API ──────────────────────────────────────────────────────────────────────────────

type Auth = { bearer: string } | { participant: string };

async function graphql(url: string, query: string, variables: Record<string, unknown>, auth?: Auth) {
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
function expectType(result: Record<string, any>, typename: string): Record<string, any> {
  if (result.__typename !== typename) throw new Error(`expected ${typename}, got ${JSON.stringify(result)}`);
  return result;
}

const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { __typename
  ... on AuthPayload { accessToken user { id role } } ... on Error { message } } }`;
const CREATE = `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) { __typename
  ... on LiveSession { id accessToken } ... on ValidationError { message fieldErrors { path message } } } }`;
const START = `mutation($id: ID!) { startLiveSession(id: $id) { __typename ... on LiveSession { status } ... on Error { message } } }`;
const END = `mutation($id: ID!) { endLiveSession(id: $id) { __typename ... on LiveSession { status } ... on Error { message } } }`;
const JOIN = `mutation($input: JoinSessionInput!) { joinSession(input: $input) { __typename
  ... on JoinSessionPayload { participantToken participant { id status } } ... on Error { message } } }`;
const ADMIT = `mutation($id: ID!) { admitParticipant(participantId: $id) { __typename
  ... on SessionParticipant { status } ... on Error { message } } }`;
/** What the PWA's call room asks (app/features/sessions/call-room.documents.ts RoomQuery), plus the caller's own id. */
const ROOM = `query($id: ID!) {
  liveSession(id: $id) { id type status participants { id role status peerId } }
  iceServers { urls username credential }
  myParticipant { peerId }
}`;

interface RosterEntry {
  peerId: string;
  publishes: boolean;
}

interface Member {
  peerId: string;
  /** The PeerJS token: the participant token, or the host's access token. */
  token: string;
  publishes: boolean;
  /** Everyone else admitted, as the PWA builds it (call-room.tsx). */
  roster: RosterEntry[];
  iceServers: RTCIceServer[];
}

class Api {
  hostToken = "";
  private guests = 0;
  constructor(readonly url: string) {}

  async signUpHost(): Promise<void> {
    const data = await graphql(this.url, SIGN_UP, {
      input: { email: "host@bench.test", name: "Bench Host", password: "bench password 123" },
    });
    const payload = expectType(data.signUp, "AuthPayload");
    if (payload.user.role !== "ADMIN") throw new Error(`the first account should be the admin: ${payload.user.role}`);
    this.hostToken = payload.accessToken;
  }

  /** Schedules a session starting now and starts it (the host is in it, admitted, with a peer id). */
  async liveSession(type: string, options: { waitingRoom: boolean; maxParticipants: number }) {
    const now = Date.now();
    const created = await graphql(
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
      (await graphql(this.url, START, { id: session.id }, { bearer: this.hostToken })).startLiveSession,
      "LiveSession",
    );
    return { id: session.id as string, link: session.accessToken as string };
  }

  async end(sessionId: string): Promise<void> {
    await graphql(this.url, END, { id: sessionId }, { bearer: this.hostToken });
  }

  /** A participant uses the link; in a waiting room the host admits them. Returns the participant token. */
  async join(session: { id: string; link: string }, waits: boolean): Promise<string> {
    const n = ++this.guests;
    const data = await graphql(this.url, JOIN, {
      input: { token: session.link, name: `Guest ${n}`, email: `guest${n}@bench.test` },
    });
    const joined = expectType(data.joinSession, "JoinSessionPayload");
    if (waits) {
      if (joined.participant.status !== "WAITING")
        throw new Error(`expected WAITING, got ${joined.participant.status}`);
      const admitted = expectType(
        (await graphql(this.url, ADMIT, { id: joined.participant.id }, { bearer: this.hostToken })).admitParticipant,
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
    const data = await graphql(this.url, ROOM, { id: sessionId }, auth);
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

// ── Pages ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** Builds bench/calls-page (ours.html with the real call client, bare.html with plain PeerJS) with Vite's build API. */
async function buildPages(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "ls-bench-calls-"));
  await build({
    configFile: false,
    root: pageRoot,
    base: "/",
    logLevel: "error",
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      target: "es2022",
      reportCompressedSize: false,
      rolldownOptions: { input: { ours: join(pageRoot, "ours.html"), bare: join(pageRoot, "bare.html") } },
    },
  });
  return outDir;
}

async function servePages(dir: string) {
  const files = new Set(await readdir(dir, { recursive: true }));
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
  const server = createServer(async (request, response) => {
    const path = normalize(new URL(request.url ?? "/", "http://localhost").pathname.slice(1));
    if (!files.has(path)) return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" });
    response.end(await readFile(join(dir, path)));
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    url: `http://${HOST}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let browser: Browser | undefined;
let pagesUrl = "";
const open: Page[] = [];

async function openPage(kind: "ours" | "bare"): Promise<Page> {
  if (!browser) throw new Error("Chromium is not running");
  const context = await browser.newContext({ viewport: { width: 400, height: 300 } });
  context.on("weberror", (error) => console.error(`page error (${kind}): ${error.error().message}`));
  const page = await context.newPage();
  open.push(page);
  await page.goto(`${pagesUrl}/${kind}.html`);
  await page.waitForFunction(() => "bench" in window);
  return page;
}

async function closePages(): Promise<void> {
  for (const page of open.splice(0)) {
    await page.evaluate(() => (window as any).bench.leave()).catch(() => undefined);
    await page.context().close();
  }
}

/** Opens a page with the real call client, in the pre-join state (camera open when publishing). */
async function prepareOurs(member: Member, signalingUrl: string, topology: "mesh" | "webinar"): Promise<Page> {
  const page = await openPage("ours");
  await page.evaluate(
    ([m, url, top]) =>
      (window as any).bench.prepare({
        peerId: m.peerId,
        token: m.token,
        iceServers: m.iceServers,
        topology: top,
        publishes: m.publishes,
        signalingUrl: url,
      }),
    [member, signalingUrl, topology] as const,
  );
  return page;
}

interface Joined {
  status: string;
  /** Date.now()-based, from the page (performance.timeOrigin + performance.now()). */
  pressedAt: number;
  openAt: number;
}

const pressJoin = (page: Page, roster: RosterEntry[]): Promise<Joined> =>
  page.evaluate((entries) => (window as any).bench.join(entries), roster);
/** When the page decoded the first frame of `peerId` (same clock as Joined), or null after the timeout. */
const firstFrame = (page: Page, peerId: string): Promise<number | null> =>
  page.evaluate(([id, timeout]) => (window as any).bench.firstFrame(id, timeout), [
    peerId,
    FIRST_FRAME_TIMEOUT_MS,
  ] as const);

// ── Join → first frame ─────────────────────────────────────────────────────────────────────────────────────────

interface FirstFrame {
  /** Join pressed → the joiner decodes the other's first frame. */
  joiner: number | null;
  /** Join pressed → both sides decode each other (the later of the two). */
  both: number | null;
  /** Join pressed → the joiner's signaling socket is open (admitted by the gate, for ours). */
  open: number | null;
  /** Ours only: whether the joiner placed the call (smaller peer id) or was called after its knock. */
  joinerCalls?: boolean;
}

/** Presses Join on `joiner` (through `press`) and times it until both pages decode each other. */
async function timeJoin(
  press: () => Promise<Joined>,
  joiner: { page: Page; peerId: string },
  inRoom: { page: Page; peerId: string },
): Promise<FirstFrame> {
  const joined = press();
  const [joinerFrame, inRoomFrame, result] = await Promise.all([
    firstFrame(joiner.page, inRoom.peerId),
    firstFrame(inRoom.page, joiner.peerId),
    joined,
  ]);
  if (result.status !== "joined") throw new Error(`could not join: ${result.status}`);
  const since = (at: number | null) => (at === null ? null : at - result.pressedAt);
  return {
    joiner: since(joinerFrame),
    both: joinerFrame === null || inRoomFrame === null ? null : since(Math.max(joinerFrame, inRoomFrame)),
    open: since(result.openAt),
  };
}

async function oursOnce(api: Api): Promise<FirstFrame> {
  const session = await api.liveSession("CONSULTATION", { waitingRoom: true, maxParticipants: 4 });
  try {
    const participantToken = await api.join(session, true);
    const host = await api.member(session.id, { bearer: api.hostToken });
    const guest = await api.member(session.id, { participant: participantToken });
    const hostPage = await prepareOurs(host, api.url, "mesh");
    const hostJoined = await pressJoin(hostPage, host.roster);
    if (hostJoined.status !== "joined") throw new Error(`host could not join: ${hostJoined.status}`);
    const guestPage = await prepareOurs(guest, api.url, "mesh");
    await sleep(IN_ROOM_MS);
    const result = await timeJoin(
      () => pressJoin(guestPage, guest.roster),
      { page: guestPage, peerId: guest.peerId },
      { page: hostPage, peerId: host.peerId },
    );
    return { ...result, joinerCalls: guest.peerId < host.peerId };
  } finally {
    await closePages();
    await api.end(session.id);
  }
}

async function bareOnce(url: string, rep: number): Promise<FirstFrame> {
  const suffix = `${rep < 0 ? "warmup" : rep}-${Math.random().toString(36).slice(2, 10)}`;
  const [inRoom, joining] = [`bare-a-${suffix}`, `bare-b-${suffix}`];
  try {
    const a = await openPage("bare");
    await a.evaluate(() => (window as any).bench.prepare());
    const status = await a.evaluate(([id, u]) => (window as any).bench.listen(id, u), [inRoom, url] as const);
    if (status !== "joined") throw new Error(`bare peer could not connect: ${status}`);
    const b = await openPage("bare");
    await b.evaluate(() => (window as any).bench.prepare());
    await sleep(IN_ROOM_MS);
    return await timeJoin(
      () => b.evaluate(([id, target, u]) => (window as any).bench.join(id, target, u), [joining, inRoom, url] as const),
      { page: b, peerId: joining },
      { page: a, peerId: inRoom },
    );
  } finally {
    await closePages();
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

interface CpuSnapshot {
  at: number;
  /** pid → CPU seconds: Chromium's processes, the API server's, and every process on the machine. */
  chromium: Map<number, number>;
  api: Map<number, number>;
  all: Map<number, number>;
}

let apiPid = 0;

function cpuSnapshot(): CpuSnapshot {
  const table = processes();
  // Chromium: the children of this process that are Chromium (its launcher execs the binary), with their subtrees.
  const chromiumRoots = [...table]
    .filter(([, p]) => p.ppid === process.pid && /chrom/i.test(p.comm))
    .map(([pid]) => pid);
  return {
    at: performance.now(),
    chromium: treeCpu(table, chromiumRoots),
    api: treeCpu(table, [apiPid]),
    all: new Map([...table].map(([pid, p]) => [pid, p.cpu])),
  };
}

/**
 * CPU used between two snapshots, in cores (1 = one core busy the whole window). The machine's figure is the sum
 * over all processes (per-process accounting, like the others) rather than /proc/stat, whose tick sampling
 * undercounted the short bursts of WebRTC threads here (less than Chromium's own processes).
 */
function cpuBetween(before: CpuSnapshot, after: CpuSnapshot) {
  const seconds = (after.at - before.at) / 1000;
  const delta = (a: Map<number, number>, b: Map<number, number>) =>
    [...b].reduce((sum, [pid, cpu]) => sum + Math.max(0, cpu - (a.get(pid) ?? 0)), 0);
  return {
    chromium: delta(before.chromium, after.chromium) / seconds,
    api: delta(before.api, after.api) / seconds,
    machine: delta(before.all, after.all) / seconds,
  };
}

// ── Capacity ───────────────────────────────────────────────────────────────────────────────────────────────────

interface Step {
  participants: number;
  sustained: boolean;
  note: string;
  links: number;
  minFps: number;
  medianFps: number;
  minHeight: number;
  /** Cores used by Chromium's processes over the window (1 = one full core). */
  chromium: number;
  api: number;
  /** Cores used by every process on the machine over the window (other jobs included). */
  machine: number;
  setupMs: number;
}

const failed = (participants: number, note: string, setupMs: number): Step => ({
  participants,
  sustained: false,
  note,
  links: 0,
  minFps: 0,
  medianFps: 0,
  minHeight: 0,
  chromium: Number.NaN,
  api: Number.NaN,
  machine: Number.NaN,
  setupMs,
});

type Frames = Record<string, { framesDecoded: number; height: number } | null>;

/**
 * One capacity step: `members[0]` is the host. Every member opens its page and joins; once each page decodes every
 * peer it should receive from (`receivesFrom`), frames and CPU are sampled over the window.
 */
async function capacityStep(
  api: Api,
  members: Member[],
  topology: "mesh" | "webinar",
  receivesFrom: (member: Member) => string[],
): Promise<Step> {
  const started = performance.now();
  const n = members.length;
  const pages: Page[] = [];
  try {
    for (const member of members) {
      if (performance.now() - started > STEP_SETUP_MS)
        return failed(n, "set-up took too long (joining)", STEP_SETUP_MS);
      const page = await prepareOurs(member, api.url, topology);
      const { status } = await pressJoin(page, member.roster);
      if (status !== "joined") return failed(n, `a member could not join: ${status}`, performance.now() - started);
      pages.push(page);
    }
    /** Per link not decoding yet, the receiving client's state of it ("reconnecting", "connected+stream", …). */
    const missing = async () => {
      const states: string[] = [];
      for (const [index, page] of pages.entries()) {
        const from = receivesFrom(members[index] as Member);
        states.push(...(await page.evaluate((ids) => (window as any).bench.missing(ids) as string[], from)));
      }
      return states;
    };
    for (;;) {
      const states = await missing();
      if (states.length === 0) break;
      if (performance.now() - started > STEP_SETUP_MS) {
        const counts = new Map<string, number>();
        for (const state of states) counts.set(state, (counts.get(state) ?? 0) + 1);
        const total = members.reduce((sum, member) => sum + receivesFrom(member).length, 0);
        const summary = [...counts].map(([state, count]) => `${count} ${state}`).join(", ");
        const connections: Record<string, number> = {};
        for (const page of pages) {
          const counts = await page.evaluate(() => (window as any).bench.peerConnections() as Record<string, number>);
          for (const [state, count] of Object.entries(counts)) connections[state] = (connections[state] ?? 0) + count;
        }
        console.log(`${n} participants: peer connections created, by ICE state:`, connections);
        return failed(
          n,
          `after ${STEP_SETUP_MS / 1000} s, ${states.length} of ${total} links not decoding (${summary})`,
          STEP_SETUP_MS,
        );
      }
      await sleep(500);
    }
    const setupMs = performance.now() - started;
    await sleep(SETTLE_MS);
    const sample = () =>
      Promise.all(pages.map((page) => page.evaluate(() => (window as any).bench.frames() as Frames)));
    const before = { frames: await sample(), cpu: cpuSnapshot(), at: performance.now() };
    await sleep(WINDOW_MS);
    const after = { frames: await sample(), cpu: cpuSnapshot(), at: performance.now() };
    const seconds = (after.at - before.at) / 1000;
    const fps: number[] = [];
    const heights: number[] = [];
    for (const [index, member] of members.entries()) {
      for (const from of receivesFrom(member)) {
        const start = before.frames[index]?.[from]?.framesDecoded ?? 0;
        const end = after.frames[index]?.[from];
        fps.push(((end?.framesDecoded ?? 0) - start) / seconds);
        heights.push(end?.height ?? 0);
      }
    }
    const cpu = cpuBetween(before.cpu, after.cpu);
    const minFps = Math.min(...fps);
    return {
      participants: n,
      sustained: minFps >= MIN_FPS,
      note: minFps >= MIN_FPS ? "" : `slowest link ${minFps.toFixed(1)} fps < ${MIN_FPS}`,
      links: fps.length,
      minFps,
      medianFps: percentile(fps, 50),
      minHeight: Math.min(...heights),
      chromium: cpu.chromium,
      api: cpu.api,
      machine: cpu.machine,
      setupMs,
    };
  } finally {
    await closePages();
  }
}

async function meshStep(api: Api, size: number): Promise<Step> {
  const session = await api.liveSession("TRAINING", { waitingRoom: false, maxParticipants: size });
  try {
    const tokens: string[] = [];
    for (let i = 1; i < size; i++) tokens.push(await api.join(session, false));
    const members = [await api.member(session.id, { bearer: api.hostToken })];
    for (const token of tokens) members.push(await api.member(session.id, { participant: token }));
    return await capacityStep(api, members, "mesh", (member) => member.roster.map((entry) => entry.peerId));
  } finally {
    await api.end(session.id);
  }
}

async function webinarStep(api: Api, audience: number): Promise<Step> {
  const session = await api.liveSession("WEBINAR", { waitingRoom: false, maxParticipants: audience });
  try {
    const tokens: string[] = [];
    for (let i = 0; i < audience; i++) tokens.push(await api.join(session, false));
    const host = await api.member(session.id, { bearer: api.hostToken });
    const members = [host];
    for (const token of tokens) members.push(await api.member(session.id, { participant: token }));
    return await capacityStep(api, members, "webinar", (member) =>
      member.publishes ? [] : member.roster.filter((entry) => entry.publishes).map((entry) => entry.peerId),
    );
  } finally {
    await api.end(session.id);
  }
}

async function ladder(
  label: string,
  sizes: number[],
  step: (size: number) => Promise<Step>,
  participantsOf: (size: number) => number,
): Promise<Step[]> {
  const steps: Step[] = [];
  for (const size of sizes) {
    if (Date.now() - benchStart > GIVE_UP_MS) {
      console.log(`${label}: giving up before ${size} (run longer than ${GIVE_UP_MS / 60_000} min)`);
      break;
    }
    console.log(`${label}: ${size} …`);
    let result: Step;
    try {
      result = await step(size);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result = failed(participantsOf(size), `error: ${message}`.slice(0, 200), 0);
    }
    console.log(`${label}: ${size}`, result);
    steps.push(result);
    if (!result.sustained) break;
  }
  return steps;
}

// ── Run ────────────────────────────────────────────────────────────────────────────────────────────────────────

if (!chromiumAvailable) throw new Error(`bench:calls needs Chromium at ${chromiumPath}`);
const started = machine();
const bundle = await buildPages();
const pagesServer = await servePages(bundle);
pagesUrl = pagesServer.url;

const databaseUrl = await createBenchDatabase(DATABASE);
let apiServer: RunningServer | undefined;
let bareServer: RunningServer | undefined;
const ours: FirstFrame[] = [];
const bare: FirstFrame[] = [];
let mesh: Step[] = [];
let webinar: Step[] = [];
try {
  apiServer = await startApi(
    {
      DATABASE_URL: databaseUrl,
      JOBS_WORKER: "off",
      ACCESS_TOKEN_TTL: "2h",
      PUBLIC_URL: `http://${HOST}:${API_PORT}`,
      // Every bench participant joins from 127.0.0.1; the default (30 per link and address per 10 min) is for the Internet.
      SESSION_JOIN_RATE_LIMIT: "10000",
      // The capacity steps go past the measured peer-to-peer seat limits (they are what measures them).
      P2P_MAX_MESH: "100",
      P2P_MAX_WEBINAR_AUDIENCE: "1000",
    },
    API_PORT,
  );
  apiPid = apiServer.process.pid ?? 0;
  bareServer = await startProcess("bench/baseline-peer.ts", {}, { port: BARE_PORT, readyPath: "/peerjs" });
  const api = new Api(apiServer.url);
  await api.signUpHost();
  browser = await launchChromium([
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
  ]);

  // One warm-up of each (not counted), then ours and bare interleaved so that load changes hit both alike.
  await oursOnce(api);
  await bareOnce(bareServer.url, -1);
  for (let rep = 0; rep < REPS; rep++) {
    ours.push(await oursOnce(api));
    bare.push(await bareOnce(bareServer.url, rep));
    console.log(
      `join → first frame ${rep + 1}/${REPS}: ours ${JSON.stringify(ours.at(-1))}, bare ${JSON.stringify(bare.at(-1))}`,
    );
  }

  if (!SKIP_CAPACITY) {
    mesh = await ladder(
      "mesh",
      MESH_SIZES,
      (size) => meshStep(api, size),
      (size) => size,
    );
    webinar = await ladder(
      "webinar",
      AUDIENCES,
      (audience) => webinarStep(api, audience),
      (audience) => audience + 1,
    );
  }
} finally {
  await browser?.close().catch(() => undefined);
  await apiServer?.stop();
  await bareServer?.stop();
  await pagesServer.close();
  await dropBenchDatabase(DATABASE).catch(() => undefined);
  rmSync(bundle, { recursive: true, force: true });
}

report();

function report(): void {
  type Key = "joiner" | "both" | "open";
  const times = (samples: FirstFrame[], key: Key) =>
    samples.map((sample) => sample[key]).filter((value): value is number => value !== null);
  const stats = (samples: FirstFrame[], key: Key) => {
    const values = times(samples, key);
    return { p50: percentile(values, 50), p95: percentile(values, 95), n: values.length };
  };
  const o = stats(ours, "joiner");
  const b = stats(bare, "joiner");
  const ob = stats(ours, "both");
  const bb = stats(bare, "both");
  const oo = stats(ours, "open");
  const bo = stats(bare, "open");
  const ratio50 = o.p50 / b.p50;
  const ratio95 = o.p95 / b.p95;
  const met = ratio50 <= TARGET_RATIO;
  const calls = ours.filter((sample) => sample.joinerCalls && sample.joiner !== null);
  const called = ours.filter((sample) => !sample.joinerCalls && sample.joiner !== null);
  const p50Of = (samples: FirstFrame[]) => (samples.length ? ms(percentile(times(samples, "joiner"), 50)) : "–");
  const failures = (samples: FirstFrame[]) => samples.filter((sample) => sample.joiner === null).length;

  const cores = (value: number) => (Number.isNaN(value) ? "–" : `${(100 * value).toFixed(0)} %`);
  const row = (s: Step, offset = 0) =>
    `| ${offset ? `${s.participants} (${s.participants - offset} attendees)` : s.participants} | ${s.sustained ? "yes" : `**no**: ${s.note}`} | ${s.links} | ${s.links ? s.minFps.toFixed(1) : "–"} | ${s.links ? s.medianFps.toFixed(1) : "–"} | ${s.links ? s.minHeight : "–"} | ${cores(s.chromium)} | ${cores(s.chromium / s.participants)} | ${cores(s.api)} | ${cores(s.machine)} | ${(s.setupMs / 1000).toFixed(1)} s |`;
  const largest = (steps: Step[]) => steps.filter((s) => s.sustained).at(-1);
  const capacityHeader = `| participants | sustained (every link ≥ ${MIN_FPS} fps) | receiving links | slowest link fps | median link fps | smallest decoded height | Chromium CPU | per participant | API server CPU | machine CPU (of 200 %) | set-up |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`;
  /** `audience`: the webinar ladder counts attendees (participants − the host). */
  const summary = (steps: Step[], unit: string, offset = 0) => {
    const best = largest(steps);
    const next = steps.find((s) => !s.sustained);
    return `${best ? `**${best.participants - offset} ${unit}** sustained, ${cores(best.chromium / best.participants)} of a core per participant` : "**none sustained**"}${next ? `; ${next.participants - offset} failed (${next.note})` : steps.length ? "; the ladder ended without a failure" : ""}`;
  };

  writeSectionMaybe(
    "calls",
    `### Calls: join → first frame, mesh and webinar capacity (bench:calls)
${started}

Debian Chromium (headless, fake camera and microphone: \`getUserMedia\` at 320×240, 15 fps), one browser context per participant. The real API server (\`api/server.ts\`, NODE_ENV=production, PostgreSQL, its own process) hosts the PeerJS signaling at \`/peerjs\` behind its admission gate.

**Join → first decoded frame.** Ours: per repetition, the host (first account, the admin) schedules and starts a session with a waiting room through GraphQL, a participant joins with the link (\`joinSession\`), the host admits them (\`admitParticipant\`), and each reads their own \`peerId\`, the roster and \`iceServers\` as the PWA's call room does (the participant with its participant token, the host with its access token, which is also its PeerJS token). Both open a page bundling the real call client (bench/calls-page/ours.ts, built with Vite's build API) with the camera already open (the pre-join preview); the host joins, ${IN_ROOM_MS / 1000} s later the participant presses Join (\`CallClient.join\`). Timed in the joiner's page from Join to the first decoded frame of the host's video (first \`requestVideoFrameCallback\` with a picture, or \`videoWidth > 0 && currentTime > 0\`); "both ways" is until the host also decodes the participant; "signaling open" is until the joiner's PeerJS socket is open (for ours: through the API's admission gate, which looks the peer id and token up in the database). Bare: the same two steps with plain PeerJS (bench/calls-page/bare.ts: \`new Peer(id)\`, \`call\`, \`answer\` with the camera) against a bare \`peer\` server (bench/baseline-peer.ts, PeerServer with its defaults) in its own process; the joiner calls. ${REPS} repetitions of each, interleaved (ours, bare, ours, …) after one warm-up of each; fresh pages and a fresh session every time.

| path | samples | first frame p50 | first frame p95 | both ways p50 | both ways p95 | signaling open p50 | failed (> ${FIRST_FRAME_TIMEOUT_MS / 1000} s) | target |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
| bare PeerJS + bare \`peer\` server (baseline) | ${b.n} | ${ms(b.p50)} | ${ms(b.p95)} | ${ms(bb.p50)} | ${ms(bb.p95)} | ${ms(bo.p50)} | ${failures(bare)} | |
| ours: real API admission + call client | ${o.n} | ${ms(o.p50)} | ${ms(o.p95)} | ${ms(ob.p50)} | ${ms(ob.p95)} | ${ms(oo.p50)} | ${failures(ours)} | p50 ≤ ${TARGET_RATIO}× baseline |
| ratio ours / bare | | ${ratio50.toFixed(2)}× | ${ratio95.toFixed(2)}× | ${(ob.p50 / bb.p50).toFixed(2)}× | ${(ob.p95 / bb.p95).toFixed(2)}× | ${(oo.p50 / bo.p50).toFixed(2)}× | | ${met ? "**met**" : "**missed**"} |

Of ours, the joiner placed the call itself in ${calls.length} runs (its peer id is the smaller: p50 ${p50Of(calls)}) and was called by the host after its "knock" data connection or the host's pending offer in ${called.length} (p50 ${p50Of(called)}); the bare joiner always calls.

**Verdict: ${met ? `met` : `missed`}** — ours p50 is ${ratio50.toFixed(2)}× the bare PeerJS p50 (target ≤ ${TARGET_RATIO}×), p95 ${ratio95.toFixed(2)}×.

**Capacity.** One session per step through the same API path (without the waiting room), every participant a page in the one Chromium, joined one after the other; once every page decodes every video it should receive (at most ${STEP_SETUP_MS / 1000} s), ${SETTLE_MS / 1000} s settle, then a ${WINDOW_MS / 1000} s window: decoded frames per receiving link from \`getStats\` (inbound-rtp \`framesDecoded\`), and the CPU time of all of Chromium's processes (\`/proc/<pid>/stat\` utime + stime, browser, renderers and utility processes) over the window, in % of one core; per participant = that ÷ participants. "Machine CPU" is the same sum over every process on the machine (other jobs included; 200 % = both cores busy). A step is sustained when every receiving link decodes ≥ ${MIN_FPS} fps (half the camera's ${CAMERA_FPS}); each ladder stops at the first step that is not.

Full mesh (\`topology: "mesh"\`, a TRAINING session; everyone sends to and receives from everyone):

${capacityHeader}
${mesh.map((step) => row(step)).join("\n") || "| (not run) |"}

Webinar (\`topology: "webinar"\`, a WEBINAR session; the host publishes, N attendees receive only; participants = N + 1):

${capacityHeader}
${webinar.map((step) => row(step, 1)).join("\n") || "| (not run) |"}

Largest full mesh: ${summary(mesh, "participants")}. Largest webinar: ${summary(webinar, "attendees", 1)}.`,
  );
}

function writeSectionMaybe(name: string, markdown: string): void {
  if (process.env.BENCH_WRITE === "0") console.log(markdown);
  else writeSection(name, markdown);
}
