/**
 * bench:webinar — a webinar through the media server (Janus VideoRoom, managed by the real API server: JANUS=on)
 * against the real API (`api/server.ts`, NODE_ENV=production, PostgreSQL in a database of its own), then the
 * peer-to-peer webinar's ceiling on the same machine for comparison.
 *
 * Presenter: Debian's Chromium with a realistic camera (a 1280×720, 30 fps testsrc2 clip with sensor-like noise,
 * made by ffmpeg as MJPEG and played by `--use-file-for-fake-video-capture`) in a page running the real call client
 * with the SFU topology (bench/calls-page/ours.ts: simulcast in three layers), publishing through `mediaPublish`
 * with the host's access token. Viewers: N receive-only werift peers spread over BENCH_WEBINAR_PROCESSES child
 * processes (bench/webinar-viewers.ts), each admitted through the real API as the PWA does (joinSession in a waiting
 * room, admitted by the host, sessionMedia subscription, mediaPublishers, mediaSubscribe, mediaSubscribeAnswer).
 * All N viewers of a step arrive at once (a webinar's start). Per step: viewers receiving video, joinSession →
 * first video packet p50/p95 (with the API phases), received rate against the presenter's forwarded layer, the
 * presenter's upload and CPU (Chromium's processes), Janus's CPU, the API's CPU, the viewers' CPU, over a 10 s window.
 *
 * Environment: BENCH_WEBINAR_STEPS ("10,25,50,99,200,300"), BENCH_WEBINAR_PROCESSES (4), BENCH_WEBINAR_ADMIT
 * ("all": the host's "Admit all", batching whoever waits; "each": one admitParticipant per viewer),
 * BENCH_WEBINAR_P2P ("4,8,16,24,32"; "0" skips the peer-to-peer ladder), BENCH_WEBINAR_PROFILE (a folder: the API
 * server runs under `node --cpu-prof`, see bench/profile.ts), BENCH_WEBINAR_SETTLE_MS (2000: from the last first
 * packet to the measuring window), BENCH_WRITE=0 (print only),
 * BENCH_DATABASE_URL (see bench/seed.ts).
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { chromiumAvailable, chromiumPath, launchChromium } from "../test/e2e/browser.ts";
import { janusInstalled } from "../test/media-tools.ts";
import {
  buildPages,
  callPages,
  capacityHeader,
  capacityRow,
  capacitySummary,
  closePages,
  cores,
  ladder,
  prepareOurs,
  pressJoin,
  type Step,
  servePages,
  sleep,
  webinarStep,
} from "./call-pages.ts";
import {
  cpuBetween,
  cpuSnapshot,
  expectType,
  graphqlAs,
  HOST,
  machine,
  percentile,
  type RunningServer,
  SessionApi,
  startApi,
  writeSection,
} from "./lib.ts";
import { createBenchDatabase, dropBenchDatabase } from "./seed.ts";
import { ADMIT_ALL, PUBLISHERS } from "./webinar-api.ts";
import type { FromViewers, ToViewers, ViewerSample } from "./webinar-viewers.ts";

const list = (value: string | undefined, fallback: number[]) =>
  value ? value.split(",").map((item) => Number(item.trim())) : fallback;
const STEPS = list(process.env.BENCH_WEBINAR_STEPS, [10, 25, 50, 99, 200, 300]);
const PROCESSES = Number(process.env.BENCH_WEBINAR_PROCESSES ?? 4);
const ADMIT = process.env.BENCH_WEBINAR_ADMIT === "each" ? "each" : "all";
/** A folder: the API server of the SFU steps runs under `node --cpu-prof` and writes its profile there. */
const PROFILE = process.env.BENCH_WEBINAR_PROFILE ?? "";
const P2P = process.env.BENCH_WEBINAR_P2P === "0" ? [] : list(process.env.BENCH_WEBINAR_P2P, [4, 8, 16, 24, 32]);
/** The presenter's camera: what a laptop webcam sends (the clip's own size and rate). */
const CAMERA = { width: 1280, height: 720, frameRate: 30 };
/** Every viewer must have its first video packet within this (from its joinSession) or the step records a miss. */
const FIRST_PACKET_TIMEOUT_MS = 60_000;
/** After the last first packet, before the measuring window (BENCH_WEBINAR_SETTLE_MS). */
const SETTLE_MS = Number(process.env.BENCH_WEBINAR_SETTLE_MS ?? 2000);
const WINDOW_MS = 10_000;
/** The whole run (SFU steps, then the peer-to-peer ladder) starts no new step after this. */
const GIVE_UP_MS = 9 * 60_000;
const TARGETS = { p95At99: 1000, p95At300: 2000, presenterRatio: 1.2, janusPerViewer: 0.002 };
const API_PORT = 4141;
const DATABASE = "ls_bench_webinar";
const CLIP = "/tmp/live-support-bench-camera-720p30.mjpeg";
const viewerScript = fileURLToPath(new URL("./webinar-viewers.ts", import.meta.url));
const benchStart = Date.now();

// ── The camera clip ─────────────────────────────────────────────────────────────────────────────────────────────

/** 10 s of 1280×720 at 30 fps, moving test pattern plus temporal noise (an encoder works as hard as with a sensor). */
function cameraClip(): string {
  if (!existsSync(CLIP)) {
    execFileSync("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30"],
      ...["-vf", "noise=alls=12:allf=t", "-t", "10", "-q:v", "5", "-f", "mjpeg", `${CLIP}.part`],
    ]);
    execFileSync("mv", [`${CLIP}.part`, CLIP]);
  }
  return CLIP;
}

// ── One SFU step ─────────────────────────────────────────────────────────────────────────────────────────────────

interface Outbound {
  rid: string;
  bytesSent: number;
  framesEncoded: number;
  width: number;
  height: number;
  limitation: string;
}

interface SfuStep {
  viewers: number;
  receiving: number;
  failures: string[];
  firstP50: number;
  firstP95: number;
  /** p50 of the API phases: joinSession answered, admitted (host's admission seen), subscription answered. */
  joinP50: number;
  admittedP50: number;
  subscribedP50: number;
  /** p50 of each step after the admission (ms from joinSession): printed, to see where the time goes. */
  stepsP50: string;
  /** Viewers' received video rate (kbit/s): median and slowest; the presenter's forwarded (top) layer. */
  receivedMedianKbps: number;
  receivedMinKbps: number;
  keyframesPerViewer: number;
  layerKbps: number;
  /** kbit/s per simulcast layer, lowest first. */
  layerRates: string;
  uploadKbps: number;
  sentLayers: string;
  presenterCpu: number;
  janusCpu: number;
  apiCpu: number;
  viewersCpu: number;
  machineCpu: number;
  setupMs: number;
  /** CPU (share of one core) per group from the first joinSession to the last first packet: printed. */
  setupCpu: string;
}

const kbps = (bytes: number, seconds: number) => (bytes * 8) / seconds / 1000;

/** Chromium's outbound video per layer, summed over the page's connections. */
const outbound = (page: Page): Promise<Outbound[]> => page.evaluate(() => (window as any).bench.outbound());

function janusPid(apiPid: number): number {
  for (const name of readdirPids()) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === apiPid && comm === "janus") return Number(name);
    } catch {
      // gone
    }
  }
  return 0;
}

/** `janus --version` prints "Janus version: 1102 (1.1.2)" and exits with 1. */
function janusVersionText(): string {
  try {
    return execFileSync("janus", ["--version"], { encoding: "utf8" });
  } catch (error) {
    return (error as { stdout?: string }).stdout ?? "";
  }
}

function readdirPids(): string[] {
  return readdirSync("/proc").filter((name) => /^\d+$/.test(name));
}

class ViewerProcesses {
  private readonly children: ChildProcess[] = [];
  readonly first = new Map<number, Extract<FromViewers, { type: "first" }>>();
  readonly failures = new Map<number, string>();
  readonly subscribed = new Map<number, number>();
  readonly steps = new Map<number, Record<string, number>>();
  private samples: ViewerSample[][] = [];
  private sampleWaiters: (() => void)[] = [];

  constructor(
    count: number,
    private readonly onWaiting: (participantId: string) => void,
  ) {
    for (let i = 0; i < count; i++) {
      const child = fork(viewerScript, [], {
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      child.on("message", (message: FromViewers) => this.received(message));
      this.children.push(child);
    }
  }

  get pids(): number[] {
    return this.children.map((child) => child.pid ?? 0).filter(Boolean);
  }

  private received(message: FromViewers) {
    if (message.type === "waiting") this.onWaiting(message.participantId);
    else if (message.type === "first") this.first.set(message.index, message);
    else if (message.type === "failed") this.failures.set(message.index, message.error);
    else if (message.type === "subscribed") {
      this.subscribed.set(message.index, message.ms);
      this.steps.set(message.index, message.steps);
    } else if (message.type === "sample") {
      this.samples.push(message.viewers);
      if (this.samples.length === this.children.length) for (const resolve of this.sampleWaiters.splice(0)) resolve();
    }
  }

  private send(child: ChildProcess, message: ToViewers) {
    // A late admission (the step timed out and its processes closed) goes nowhere.
    if (child.connected) child.send(message);
  }

  join(url: string, session: { id: string; link: string }, viewers: number) {
    const share = Math.ceil(viewers / this.children.length);
    this.children.forEach((child, i) => {
      const from = i * share;
      const count = Math.max(0, Math.min(share, viewers - from));
      if (count > 0) this.send(child, { type: "join", url, link: session.link, sessionId: session.id, from, count });
    });
  }

  admitted(participantIds: string[]) {
    for (const child of this.children) this.send(child, { type: "admitted", participantIds });
  }

  async sample(): Promise<Map<number, ViewerSample>> {
    this.samples = [];
    const done = new Promise<void>((resolve) => this.sampleWaiters.push(resolve));
    for (const child of this.children) this.send(child, { type: "sample" });
    await done;
    return new Map(this.samples.flat().map((sample) => [sample.index, sample]));
  }

  async close() {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            this.send(child, { type: "close" });
          }),
      ),
    );
  }
}

const ADMIT_ONE = `mutation($id: ID!) { admitParticipant(participantId: $id) { __typename
  ... on SessionParticipant { id status } ... on Error { message } } }`;

/** The host admits whoever waits: "Admit all" (one call for everyone waiting now) or one admitParticipant each. */
function admitter(api: SessionApi, sessionId: string, viewers: () => ViewerProcesses) {
  const waiting: string[] = [];
  let running = false;
  const auth = { bearer: api.hostToken };
  const drain = async () => {
    if (running) return;
    running = true;
    try {
      while (waiting.length > 0) {
        if (ADMIT === "all") {
          waiting.splice(0);
          const result = expectType(
            (await graphqlAs(api.url, ADMIT_ALL, { id: sessionId }, auth)).admitAllParticipants,
            "MutationAdmitAllParticipantsSuccess",
          );
          viewers().admitted((result.data as { id: string }[]).map((row) => row.id));
        } else {
          const batch = waiting.splice(0);
          await Promise.all(
            batch.map(async (id) => {
              expectType((await graphqlAs(api.url, ADMIT_ONE, { id }, auth)).admitParticipant, "SessionParticipant");
              viewers().admitted([id]);
            }),
          );
        }
      }
    } catch (error) {
      console.error("admission failed:", error);
    } finally {
      running = false;
    }
  };
  return (participantId: string) => {
    waiting.push(participantId);
    void drain();
  };
}

async function sfuStep(api: SessionApi, apiPid: number, n: number): Promise<SfuStep> {
  const session = await api.liveSession("WEBINAR", { waitingRoom: true, maxParticipants: n });
  let viewers: ViewerProcesses | undefined;
  try {
    const host = await api.member(session.id, { bearer: api.hostToken });
    const auth = { bearer: api.hostToken };
    // The presenter: the real call client, SFU topology, signaling through this process with the host's token.
    const context = await callPages.browser?.newContext({ viewport: { width: 400, height: 300 } });
    if (!context) throw new Error("Chromium is not running");
    await context.exposeFunction("benchSfu", async (operation: string, argument: unknown) => {
      const variables = { sessionId: session.id };
      if (operation === "publishers") return (await graphqlAs(api.url, PUBLISHERS, variables, auth)).mediaPublishers;
      if (operation === "publish") {
        const result = (
          await graphqlAs(
            api.url,
            `mutation($sessionId: ID!, $offer: String!) { mediaPublish(sessionId: $sessionId, offer: $offer) {
              __typename ... on MediaAnswer { sdp } ... on Error { message } } }`,
            { ...variables, offer: argument },
            auth,
          )
        ).mediaPublish;
        return expectType(result, "MediaAnswer").sdp;
      }
      if (operation === "subscribe") return { sdp: null, streams: [] };
      if (operation === "leave")
        return graphqlAs(api.url, `mutation($sessionId: ID!) { mediaLeave(sessionId: $sessionId) }`, variables, auth);
      throw new Error(`the presenter does not ${operation}`);
    });
    context.on("weberror", (error) => console.error(`presenter page error: ${error.error().message}`));
    const page = await prepareOurs(host, api.url, "webinar", {
      context,
      camera: CAMERA,
      sfu: true,
    });
    const joined = await pressJoin(page, []);
    if (joined.status !== "joined") throw new Error(`the presenter could not join: ${joined.status}`);
    const hostParticipant = await waitFor(async () => {
      const publishers = (await graphqlAs(api.url, PUBLISHERS, { sessionId: session.id }, auth))
        .mediaPublishers as string[];
      return publishers[0] ?? null;
    }, 20_000);
    if (!hostParticipant) throw new Error("the presenter's media never came up in Janus");
    // The encoder settles on its layers before viewers arrive.
    await sleep(2000);

    const setupStarted = performance.now();
    const setupGroups = { chromium: /chrom/i, api: [apiPid], janus: [janusPid(apiPid)] };
    const setupBefore = cpuSnapshot(setupGroups);
    const admit = admitter(api, session.id, () => viewers as ViewerProcesses);
    viewers = new ViewerProcesses(Math.min(PROCESSES, n), admit);
    viewers.join(api.url, session, n);
    const all = viewers;
    await waitFor(
      async () => (all.first.size + all.failures.size >= n ? true : null),
      FIRST_PACKET_TIMEOUT_MS + 10_000,
    );
    const setupMs = performance.now() - setupStarted;
    // Who used the cores while the viewers came in (the viewer processes' own start included).
    const setup = cpuBetween(setupBefore, cpuSnapshot({ ...setupGroups, viewers: all.pids }));
    const setupCpu = `API ${cores((setup.api ?? 0) - (setup.janus ?? 0))}, Janus ${cores(setup.janus ?? 0)}, viewers ${cores(setup.viewers ?? 0)}, presenter ${cores(setup.chromium ?? 0)}, machine ${cores(setup.machine)}`;
    await sleep(SETTLE_MS);

    const groups = () => ({
      chromium: /chrom/i,
      api: [apiPid],
      janus: [janusPid(apiPid)],
      viewers: all.pids,
    });
    const before = { cpu: cpuSnapshot(groups()), out: await outbound(page), viewers: await all.sample() };
    await sleep(WINDOW_MS);
    const after = { cpu: cpuSnapshot(groups()), out: await outbound(page), viewers: await all.sample() };
    const seconds = (after.cpu.at - before.cpu.at) / 1000;
    const cpu = cpuBetween(before.cpu, after.cpu);

    const received: number[] = [];
    let keyframes = 0;
    for (const [index, end] of after.viewers) {
      const start = before.viewers.get(index);
      received.push(kbps(end.bytes - (start?.bytes ?? 0), seconds));
      keyframes += end.keyframes;
    }
    const layerRate = (rid: string) =>
      kbps(
        (after.out.find((o) => o.rid === rid)?.bytesSent ?? 0) -
          (before.out.find((o) => o.rid === rid)?.bytesSent ?? 0),
        seconds,
      );
    // The layer Janus forwards is the highest one the presenter actually sends (Chromium drops the top layer when
    // its bandwidth estimate, capped by the room's SFU_BITRATE, cannot carry all three).
    const rates = new Map(after.out.map((o) => [o.rid, layerRate(o.rid)]));
    const sending = ["f", "h", "q", ""].filter((rid) => (rates.get(rid) ?? 0) > 0);
    const upload =
      after.out.reduce((sum, o) => sum + o.bytesSent, 0) - before.out.reduce((sum, o) => sum + o.bytesSent, 0);
    const firsts = [...all.first.values()];
    const p = (values: number[], q: number) => percentile(values, q);
    const receiving = received.filter((rate) => rate > 0).length;
    const failures = [...all.failures.values()];
    const missing = n - all.first.size - all.failures.size;
    if (missing > 0) failures.push(`${missing} without a first packet after ${FIRST_PACKET_TIMEOUT_MS / 1000} s`);
    return {
      viewers: n,
      receiving,
      failures,
      firstP50: p(
        firsts.map((f) => f.firstPacketMs),
        50,
      ),
      firstP95: p(
        firsts.map((f) => f.firstPacketMs),
        95,
      ),
      joinP50: p(
        firsts.map((f) => f.joinMs),
        50,
      ),
      admittedP50: p(
        firsts.map((f) => f.admittedMs),
        50,
      ),
      subscribedP50: p([...all.subscribed.values()], 50),
      stepsP50: ["events", "publishers", "offer", "gathered"]
        .map(
          (name) =>
            `${name} ${Math.round(
              p(
                [...all.steps.values()].map((steps) => steps[name] ?? Number.NaN),
                50,
              ),
            )}`,
        )
        .join(", "),
      receivedMedianKbps: p(received, 50),
      receivedMinKbps: received.length ? Math.min(...received) : 0,
      keyframesPerViewer: after.viewers.size ? keyframes / after.viewers.size : 0,
      layerKbps: rates.get(sending[0] ?? "") ?? 0,
      layerRates: ["q", "h", "f"].map((rid) => `${rid} ${Math.round(rates.get(rid) ?? 0)}`).join(" / "),
      uploadKbps: kbps(upload, seconds),
      sentLayers: after.out
        .map(
          (o) =>
            `${o.rid || "–"} ${o.width}×${o.height}${o.limitation && o.limitation !== "none" ? ` (${o.limitation})` : ""}`,
        )
        .join(", "),
      presenterCpu: cpu.chromium ?? Number.NaN,
      janusCpu: cpu.janus ?? Number.NaN,
      // The API's process tree includes its managed Janus: the API alone is the difference.
      apiCpu: (cpu.api ?? Number.NaN) - (cpu.janus ?? 0),
      viewersCpu: cpu.viewers ?? Number.NaN,
      machineCpu: cpu.machine,
      setupMs,
      setupCpu,
    };
  } finally {
    await viewers?.close();
    await closePages();
    await api.end(session.id).catch(() => undefined);
  }
}

async function waitFor<T>(check: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) return null;
    await sleep(100);
  }
}

// ── Run ──────────────────────────────────────────────────────────────────────────────────────────────────────────

if (!chromiumAvailable) throw new Error(`bench:webinar needs Chromium at ${chromiumPath}`);
if (!janusInstalled) throw new Error("bench:webinar needs Janus (apt-get install janus)");
const started = machine();
const clip = cameraClip();
const bundle = await buildPages();
const pagesServer = await servePages(bundle);
callPages.url = pagesServer.url;
const databaseUrl = await createBenchDatabase(DATABASE);
const rtpBase = 20_000 + Math.floor(Math.random() * 18) * 1000;
const serverEnv = {
  DATABASE_URL: databaseUrl,
  JOBS_WORKER: "off",
  ACCESS_TOKEN_TTL: "2h",
  PUBLIC_URL: `http://${HOST}:${API_PORT}`,
  DATA_DIR: `/tmp/live-support-bench-webinar-${process.pid}`,
  // Every viewer joins from 127.0.0.1: the default (250 per link and address per 10 min) is for the Internet.
  SESSION_JOIN_RATE_LIMIT: "100000",
  // The seat limit above 100 for webinars (the default stays 100 without a media server).
  SFU_WEBINAR_MAX_SEATS: String(Math.max(100, ...STEPS)),
  JANUS_RTP_PORTS: `${rtpBase}-${rtpBase + 999}`,
};
let apiServer: RunningServer | undefined;
const sfu: SfuStep[] = [];
let p2p: Step[] = [];
let janusVersion = "";
try {
  callPages.browser = await launchChromium([
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    `--use-file-for-fake-video-capture=${clip}`,
  ]);
  apiServer = await startApi(
    { ...serverEnv, JANUS: "on" },
    API_PORT,
    PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`] : undefined,
  );
  const apiPid = apiServer.process.pid ?? 0;
  if (!(await waitFor(async () => janusPid(apiPid) || null, 20_000)))
    throw new Error("the API server did not start its managed Janus (JANUS=on)");
  janusVersion = /\(([\d.]+)\)/.exec(janusVersionText())?.[1] ?? "";
  const api = new SessionApi(apiServer.url);
  await api.signUpHost();
  for (const n of STEPS) {
    if (Date.now() - benchStart > GIVE_UP_MS) {
      console.log(`sfu: giving up before ${n} (the run's time budget is spent)`);
      break;
    }
    console.log(`sfu: ${n} viewers …`);
    try {
      const step = await sfuStep(api, apiPid, n);
      sfu.push(step);
      console.log(`sfu: ${n}`, step);
    } catch (error) {
      console.error(`sfu: ${n} failed:`, error);
      break;
    }
  }
  await apiServer.stop();
  apiServer = undefined;

  // The peer-to-peer webinar on the same machine, without a media server (what the product does without Janus).
  if (P2P.length > 0) {
    apiServer = await startApi({ ...serverEnv, JANUS: "off" }, API_PORT);
    callPages.apiPid = apiServer.process.pid ?? 0;
    const p2pApi = new SessionApi(apiServer.url);
    p2pApi.hostToken = api.hostToken;
    p2p = await ladder(
      "p2p webinar",
      P2P,
      (audience) => webinarStep(p2pApi, audience),
      (audience) => audience + 1,
      benchStart + GIVE_UP_MS + 60_000,
    );
  }
} finally {
  await callPages.browser?.close().catch(() => undefined);
  await apiServer?.stop();
  await pagesServer.close();
  await dropBenchDatabase(DATABASE).catch(() => undefined);
  rmSync(bundle, { recursive: true, force: true });
  rmSync(serverEnv.DATA_DIR, { recursive: true, force: true });
}

report();

function report(): void {
  const msOf = (value: number) => (Number.isNaN(value) ? "–" : `${Math.round(value).toLocaleString("en")} ms`);
  const rate = (value: number) => (Number.isNaN(value) ? "–" : `${Math.round(value).toLocaleString("en")}`);
  const at = (n: number) => sfu.find((step) => step.viewers === n);
  const first = sfu[0];
  const last = sfu.at(-1);
  const verdicts: string[] = [];
  const check = (label: string, ok: boolean | null, detail: string) =>
    verdicts.push(`- ${label}: ${ok === null ? "**not measured**" : ok ? "**met**" : "**missed**"} (${detail})`);
  const s99 = at(99);
  check(
    `99 of 99 receiving, p95 ≤ ${TARGETS.p95At99} ms`,
    s99 ? s99.receiving === 99 && s99.firstP95 <= TARGETS.p95At99 : null,
    s99 ? `${s99.receiving}/99, p95 ${msOf(s99.firstP95)}` : "no 99 step",
  );
  const s300 = at(300);
  check(
    `300 of 300 receiving, p95 ≤ ${TARGETS.p95At300} ms`,
    s300 ? s300.receiving === 300 && s300.firstP95 <= TARGETS.p95At300 : null,
    s300 ? `${s300.receiving}/300, p95 ${msOf(s300.firstP95)}` : "no 300 step",
  );
  const s10 = at(10);
  check(
    `presenter CPU and upload at 300 within ${TARGETS.presenterRatio}× of 10`,
    s10 && s300
      ? s300.presenterCpu <= TARGETS.presenterRatio * s10.presenterCpu &&
          s300.uploadKbps <= TARGETS.presenterRatio * s10.uploadKbps
      : null,
    s10 && s300
      ? `CPU ${(s300.presenterCpu / s10.presenterCpu).toFixed(2)}×, upload ${(s300.uploadKbps / s10.uploadKbps).toFixed(2)}×`
      : "needs the 10 and 300 steps",
  );
  const perViewer = sfu.map((step) => step.janusCpu / step.viewers);
  check(
    `Janus < ${100 * TARGETS.janusPerViewer} % of a core per viewer`,
    sfu.length ? perViewer.every((value) => value < TARGETS.janusPerViewer) : null,
    sfu.map((step) => `${step.viewers}: ${((100 * step.janusCpu) / step.viewers).toFixed(3)} %`).join(", "),
  );
  const sfuRows = sfu
    .map(
      (s) =>
        `| ${s.viewers} | ${s.receiving}/${s.viewers}${s.failures.length ? ` (${s.failures.length} failed: ${s.failures[0]?.slice(0, 80)})` : ""} | ${msOf(s.firstP50)} / ${msOf(s.firstP95)} | ${msOf(s.joinP50)} / ${msOf(s.admittedP50)} / ${msOf(s.subscribedP50)} | ${rate(s.receivedMedianKbps)} / ${rate(s.receivedMinKbps)} | ${s.layerRates} | ${s.keyframesPerViewer.toFixed(1)} | ${rate(s.uploadKbps)} | ${cores(s.presenterCpu)} | ${cores(s.janusCpu)} (${((100 * s.janusCpu) / s.viewers).toFixed(3)} %) | ${cores(s.apiCpu)} | ${cores(s.viewersCpu)} | ${cores(s.machineCpu)} | ${(s.setupMs / 1000).toFixed(1)} s |`,
    )
    .join("\n");
  const layers = last ? `The presenter's layers at the last step: ${last.sentLayers}.` : "";
  const markdown = `### Webinar through the media server (bench:webinar)
${started}${first ? "" : " · no SFU step completed"}

Janus ${janusVersion} managed by the real API server (\`api/server.ts\`, JANUS=on, NODE_ENV=production, PostgreSQL), \`SFU_WEBINAR_MAX_SEATS=${Math.max(100, ...STEPS)}\`. Presenter: Debian Chromium (headless) with a realistic camera, a ${CAMERA.width}×${CAMERA.height} ${CAMERA.frameRate} fps clip (ffmpeg testsrc2 with temporal noise, MJPEG, \`--use-file-for-fake-video-capture\`), in a page running the real call client with the SFU topology (simulcast, three layers; \`mediaPublish\` with the host's token). Viewers: receive-only werift peers (no decoding; they count video RTP packets, bytes and VP8 key frames, and send a PLI when no key frame came 500 ms after the first packet) in ${PROCESSES} processes, each admitted through the API as the PWA does: \`joinSession\` into a waiting room, admitted by the host (${ADMIT === "all" ? "“Admit all”: one `admitAllParticipants` for everyone waiting, repeated while people arrive" : "one `admitParticipant` per viewer"}), the \`sessionMedia\` subscription, \`mediaPublishers\`, \`mediaSubscribe\`, \`mediaSubscribeAnswer\` (half-trickle). All viewers of a step arrive at once (the start of a webinar). First packet: from the viewer's \`joinSession\` to its first video RTP packet; the API phases are when \`joinSession\` answered / the admission arrived / \`mediaSubscribeAnswer\` answered. Then ${SETTLE_MS / 1000} s settle and a ${WINDOW_MS / 1000} s window: received video rate per viewer (median / slowest, kbit/s of RTP payload) beside the rate of each simulcast layer the presenter sends (\`getStats\` outbound-rtp; Janus forwards one layer to each viewer), key frames per viewer since joining, the presenter's upload (all layers), and CPU from \`/proc/<pid>/stat\` (utime + stime over the window, % of one core): Chromium's processes (the presenter), Janus, the API server (its own process, Janus excluded), the viewer processes, and every process on the machine (200 % = both cores).

| viewers | receiving video | first packet p50 / p95 | API phases p50: joined / admitted / subscribed | received kbit/s median / slowest | presenter's layers kbit/s q / h / f | key frames per viewer | presenter upload kbit/s | presenter CPU | Janus CPU (per viewer) | API CPU | viewers' CPU | machine CPU | set-up |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${sfuRows || "| (no step completed) |"}

${layers}

Targets (issue 17):
${verdicts.join("\n")}

**Peer-to-peer webinar for comparison** (the same API without a media server, JANUS=off: the host's page sends to each attendee over PeerJS, every attendee a page in the same Chromium decoding video; the ladder and columns of bench:calls, camera at 320×240, 15 fps scaled from the same clip):

${capacityHeader}
${p2p.map((step) => capacityRow(step, 1)).join("\n") || "| (not run) |"}

Largest peer-to-peer webinar: ${capacitySummary(p2p, "attendees", 1)}.`;
  if (process.env.BENCH_WRITE === "0") console.log(`\n${markdown}\n`);
  else writeSection("webinar", markdown);
}
