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
import { rmSync } from "node:fs";
import type { Page } from "playwright-core";
import { chromiumAvailable, chromiumPath, launchChromium } from "../test/e2e/browser.ts";
import {
  buildPages,
  CAMERA_FPS,
  callPages,
  capacityHeader,
  capacityRow,
  capacitySummary,
  closePages,
  FIRST_FRAME_TIMEOUT_MS,
  firstFrame,
  type Joined,
  ladder,
  MIN_FPS,
  meshStep,
  openPage,
  prepareOurs,
  pressJoin,
  SETTLE_MS,
  STEP_SETUP_MS,
  type Step,
  servePages,
  sleep,
  WINDOW_MS,
  webinarStep,
} from "./call-pages.ts";
import {
  HOST,
  machine,
  ms,
  percentile,
  type RunningServer,
  SessionApi,
  startApi,
  startProcess,
  writeSection,
} from "./lib.ts";
import { createBenchDatabase, dropBenchDatabase } from "./seed.ts";

const REPS = Number(process.env.BENCH_CALLS_REPS ?? 10);
const list = (value: string | undefined, fallback: number[]) =>
  value ? value.split(",").map((item) => Number(item.trim())) : fallback;
/** Up to the call client's MAX_MESH_SIZE (8). */
const MESH_SIZES = list(process.env.BENCH_CALLS_MESH, [2, 3, 4, 5, 6, 7, 8]);
const AUDIENCES = list(process.env.BENCH_CALLS_AUDIENCES, [2, 4, 8, 12, 16, 24, 32]);
const SKIP_CAPACITY = process.env.BENCH_CALLS_SKIP_CAPACITY === "1";
const TARGET_RATIO = 1.3;
/** How long the host has been in the call (the participant on its roster) before the participant presses Join. */
const IN_ROOM_MS = 2000;
/** The whole run gives up starting new steps after this. */
const GIVE_UP_MS = 30 * 60_000;
const API_PORT = 4131;
const BARE_PORT = 4132;
const DATABASE = "ls_bench_calls";

const benchStart = Date.now();

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

async function oursOnce(api: SessionApi): Promise<FirstFrame> {
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

// ── Run ────────────────────────────────────────────────────────────────────────────────────────────────────────

if (!chromiumAvailable) throw new Error(`bench:calls needs Chromium at ${chromiumPath}`);
const started = machine();
const bundle = await buildPages();
const pagesServer = await servePages(bundle);
callPages.url = pagesServer.url;

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
  callPages.apiPid = apiServer.process.pid ?? 0;
  bareServer = await startProcess("bench/baseline-peer.ts", {}, { port: BARE_PORT, readyPath: "/peerjs" });
  const api = new SessionApi(apiServer.url);
  await api.signUpHost();
  callPages.browser = await launchChromium([
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
      benchStart + GIVE_UP_MS,
    );
    webinar = await ladder(
      "webinar",
      AUDIENCES,
      (audience) => webinarStep(api, audience),
      (audience) => audience + 1,
      benchStart + GIVE_UP_MS,
    );
  }
} finally {
  await callPages.browser?.close().catch(() => undefined);
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
${mesh.map((step) => capacityRow(step)).join("\n") || "| (not run) |"}

Webinar (\`topology: "webinar"\`, a WEBINAR session; the host publishes, N attendees receive only; participants = N + 1):

${capacityHeader}
${webinar.map((step) => capacityRow(step, 1)).join("\n") || "| (not run) |"}

Largest full mesh: ${capacitySummary(mesh, "participants")}. Largest webinar: ${capacitySummary(webinar, "attendees", 1)}.`,
  );
}

function writeSectionMaybe(name: string, markdown: string): void {
  if (process.env.BENCH_WRITE === "0") console.log(markdown);
  else writeSection(name, markdown);
}
