/**
 * Pages running the real call client (bench/calls-page) in one Chromium, and the capacity ladders built on them:
 * shared by bench:calls (join → first frame, mesh and webinar capacity) and bench:webinar (the peer-to-peer webinar
 * ceiling beside the SFU's figures). The caller builds and serves the pages, launches Chromium and sets `callPages`.
 */
import { mkdtempSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { build } from "vite";
import { cpuBetween, cpuSnapshot, HOST, type Member, percentile, type RosterEntry, type SessionApi } from "./lib.ts";

/** The fake camera's rate (bench/calls-page/common.ts) and the rate every link must keep to count as sustained. */
export const CAMERA_FPS = 15;
export const MIN_FPS = CAMERA_FPS / 2;
export const FIRST_FRAME_TIMEOUT_MS = 30_000;
/** Capacity: after everyone decodes everyone, SETTLE_MS before a WINDOW_MS measurement window. */
export const SETTLE_MS = 3000;
export const WINDOW_MS = 10_000;
/** A capacity step whose set-up (pages open, joined, every video decoding) takes longer than this fails. */
export const STEP_SETUP_MS = 120_000;

const pageRoot = fileURLToPath(new URL("./calls-page/", import.meta.url));
export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Set by the bench once Chromium runs and the pages are served; `apiPid` is the API server's, for its CPU. */
export const callPages: { browser: Browser | undefined; url: string; apiPid: number } = {
  browser: undefined,
  url: "",
  apiPid: 0,
};

// ── Pages ──

/** Builds bench/calls-page (ours.html with the real call client, bare.html with plain PeerJS) with Vite's build API. */
export async function buildPages(): Promise<string> {
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

export async function servePages(dir: string) {
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

const open: Page[] = [];

export async function openPage(kind: "ours" | "bare", given?: BrowserContext): Promise<Page> {
  if (!callPages.browser) throw new Error("Chromium is not running");
  const context = given ?? (await callPages.browser.newContext({ viewport: { width: 400, height: 300 } }));
  context.on("weberror", (error) => console.error(`page error (${kind}): ${error.error().message}`));
  const page = await context.newPage();
  open.push(page);
  await page.goto(`${callPages.url}/${kind}.html`);
  await page.waitForFunction(() => "bench" in window);
  return page;
}

export async function closePages(): Promise<void> {
  for (const page of open.splice(0)) {
    await page.evaluate(() => (window as any).bench.leave()).catch(() => undefined);
    await page.context().close();
  }
}

/**
 * Opens a page with the real call client, in the pre-join state (camera open when publishing). `options`: a browser
 * context of the caller's (e.g. with `benchSfu` exposed), another camera, the SFU topology (bench/calls-page/ours.ts).
 */
export async function prepareOurs(
  member: Member,
  signalingUrl: string,
  topology: "mesh" | "webinar",
  options: { context?: BrowserContext; camera?: MediaTrackConstraints; sfu?: boolean } = {},
): Promise<Page> {
  const page = await openPage("ours", options.context);
  await page.evaluate(
    ([m, url, top, camera, sfu]) =>
      (window as any).bench.prepare({
        peerId: m.peerId,
        token: m.token,
        iceServers: m.iceServers,
        topology: top,
        publishes: m.publishes,
        signalingUrl: url,
        ...(camera ? { camera } : {}),
        ...(sfu ? { sfu } : {}),
      }),
    [member, signalingUrl, topology, options.camera, options.sfu] as const,
  );
  return page;
}

export interface Joined {
  status: string;
  /** Date.now()-based, from the page (performance.timeOrigin + performance.now()). */
  pressedAt: number;
  openAt: number;
}

export const pressJoin = (page: Page, roster: RosterEntry[]): Promise<Joined> =>
  page.evaluate((entries) => (window as any).bench.join(entries), roster);
/** When the page decoded the first frame of `peerId` (same clock as Joined), or null after the timeout. */
export const firstFrame = (page: Page, peerId: string): Promise<number | null> =>
  page.evaluate(([id, timeout]) => (window as any).bench.firstFrame(id, timeout), [
    peerId,
    FIRST_FRAME_TIMEOUT_MS,
  ] as const);

// ── Capacity ──

export interface Step {
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

export const failed = (participants: number, note: string, setupMs: number): Step => ({
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
  api: SessionApi,
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
    const before = {
      frames: await sample(),
      cpu: cpuSnapshot({ chromium: /chrom/i, api: [callPages.apiPid] }),
      at: performance.now(),
    };
    await sleep(WINDOW_MS);
    const after = {
      frames: await sample(),
      cpu: cpuSnapshot({ chromium: /chrom/i, api: [callPages.apiPid] }),
      at: performance.now(),
    };
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
      chromium: cpu.chromium ?? Number.NaN,
      api: cpu.api ?? Number.NaN,
      machine: cpu.machine,
      setupMs,
    };
  } finally {
    await closePages();
  }
}

export async function meshStep(api: SessionApi, size: number): Promise<Step> {
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

export async function webinarStep(api: SessionApi, audience: number): Promise<Step> {
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

export async function ladder(
  label: string,
  sizes: number[],
  step: (size: number) => Promise<Step>,
  participantsOf: (size: number) => number,
  /** Date.now() after which no new step starts (the run's time budget). */
  giveUpAt: number,
): Promise<Step[]> {
  const steps: Step[] = [];
  for (const size of sizes) {
    if (Date.now() > giveUpAt) {
      console.log(`${label}: giving up before ${size} (the run's time budget is spent)`);
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

// ── Capacity tables ──

export const cores = (value: number) => (Number.isNaN(value) ? "–" : `${(100 * value).toFixed(0)} %`);

/** One row of a capacity table; `offset` 1 counts attendees (participants − the host) for the webinar ladder. */
export const capacityRow = (s: Step, offset = 0) =>
  `| ${offset ? `${s.participants} (${s.participants - offset} attendees)` : s.participants} | ${s.sustained ? "yes" : `**no**: ${s.note}`} | ${s.links} | ${s.links ? s.minFps.toFixed(1) : "–"} | ${s.links ? s.medianFps.toFixed(1) : "–"} | ${s.links ? s.minHeight : "–"} | ${cores(s.chromium)} | ${cores(s.chromium / s.participants)} | ${cores(s.api)} | ${cores(s.machine)} | ${(s.setupMs / 1000).toFixed(1)} s |`;

export const capacityHeader = `| participants | sustained (every link ≥ ${MIN_FPS} fps) | receiving links | slowest link fps | median link fps | smallest decoded height | Chromium CPU | per participant | API server CPU | machine CPU (of 200 %) | set-up |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`;

/** The largest sustained step and the first failure; `offset` as in capacityRow. */
export function capacitySummary(steps: Step[], unit: string, offset = 0): string {
  const best = steps.filter((s) => s.sustained).at(-1);
  const next = steps.find((s) => !s.sustained);
  return `${best ? `**${best.participants - offset} ${unit}** sustained, ${cores(best.chromium / best.participants)} of a core per participant` : "**none sustained**"}${next ? `; ${next.participants - offset} failed (${next.note})` : steps.length ? "; the ladder ended without a failure" : ""}`;
}
