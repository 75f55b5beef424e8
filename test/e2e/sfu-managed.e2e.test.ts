import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { probeDurationMs } from "../../api/media/janus-recording.ts";
import { type Actor, invite, signUp } from "../fixtures.ts";
import { startTestServer, TestClock, type TestServer } from "../harness.ts";
import { janusInstalled, janusToolsInstalled } from "../media-tools.ts";
import { createSession, hostAction } from "../session-fixtures.ts";
import { buildApp, chromiumAvailable, launchChromium, openContext, screenshot } from "./browser.ts";

/**
 * The PWA through the server's own managed Janus (JANUS=on, the supervised child process), job worker on:
 * - recording an SFU session: the host turns recording on and off, Janus records the room, the job converts it, and
 *   the host's session page shows the recording and its download, whose duration (ffprobe) matches the time recorded;
 * - Janus killed mid-webinar: the supervisor restarts it, and every attendee shows "Reconnecting…" and decodes the
 *   host's video again within 10 s, on the same page.
 */

const available = chromiumAvailable && janusInstalled && janusToolsInstalled;
let server: TestServer;
let browser: Browser;
let agent: Actor;
let outDir: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!available) return;
  outDir = buildApp();
  const clock = new TestClock();
  clock.now = () => new Date();
  server = await startTestServer({ staticDir: outDir, clock, env: { JANUS: "on", JOBS_WORKER: "on" } });
  browser = await launchChromium();
  const admin = await signUp(server, "admin@example.com", "Ada Admin");
  agent = await invite(server, admin, "agent@example.com", "AGENT");
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

async function newContext(): Promise<BrowserContext> {
  const context = await openContext(browser, { viewport: { width: 390, height: 844 }, baseURL: server.url });
  await context.grantPermissions(["camera", "microphone"]);
  contexts.push(context);
  return context;
}

/** The host signs in, opens the session and joins its call. */
async function hostJoins(sessionId: string): Promise<Page> {
  const host = await (await newContext()).newPage();
  host.on("dialog", (dialog) => void dialog.accept());
  await host.goto(`/signin?next=/sessions/${sessionId}`);
  await host.getByLabel("Email").fill("agent@example.com");
  await host.getByLabel("Password").fill("correct horse battery");
  await host.getByRole("button", { name: "Sign in" }).click();
  await host.getByRole("button", { name: "Join call" }).click();
  await host.getByRole("button", { name: "Join", exact: true }).click();
  await host.getByRole("toolbar", { name: "Call controls" }).waitFor();
  return host;
}

/** A participant opens the link, joins (no waiting room) and enters the call. */
async function attendeeJoins(token: string, name: string): Promise<Page> {
  const page = await (await newContext()).newPage();
  await page.goto(`/session/join/${token}`);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Email").fill(`${name.toLowerCase()}@example.org`);
  await page.getByRole("button", { name: "Join", exact: true }).click();
  await page.getByRole("region", { name: "Call" }).waitFor();
  await page.getByRole("button", { name: "Join", exact: true }).click();
  await page.getByRole("toolbar", { name: "Call controls" }).waitFor();
  return page;
}

async function liveWebinar(options: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const session = await createSession(server, agent, {
    type: "WEBINAR",
    waitingRoom: false,
    maxParticipants: 20,
    ...options,
  });
  await hostAction(server, agent, "startLiveSession", { id: session.id });
  await expect
    .poll(async () => (await server.app.prisma.liveSession.findUniqueOrThrow({ where: { id: session.id } })).topology)
    .toBe("SFU");
  return session;
}

/**
 * In the page: the time (performance.now) of every decoded frame of the video labelled `label`, whichever element
 * carries it (a rejoin may give the tile new media), and a marker that a reload would lose.
 */
function watchFrames(label: string) {
  const state = window as unknown as { frameTimes: number[]; notReloaded: boolean };
  state.frameTimes = [];
  state.notReloaded = true;
  const watched = new WeakSet<HTMLVideoElement>();
  setInterval(() => {
    const video = document.querySelector<HTMLVideoElement>(`video[aria-label="${label}"]`);
    if (!video || watched.has(video)) return;
    watched.add(video);
    const tick = () => {
      state.frameTimes.push(performance.now());
      if (video.isConnected) video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }, 50);
}

const framesSince = (page: Page, since: number) =>
  page.evaluate(
    (after) => (window as unknown as { frameTimes: number[] }).frameTimes.filter((time) => time > after).length,
    since,
  );

describe.skipIf(!available)("the PWA through a managed Janus", () => {
  it("records an SFU session on the server: processing, then a download as long as the time recorded", {
    timeout: 300_000,
  }, async () => {
    const session = await liveWebinar({ recordingEnabled: true });
    const host = await hostJoins(session.id);
    await expect
      .poll(async () => (await server.app.services.media.broker.publishers(session.id)).length, { timeout: 30_000 })
      .toBe(1);
    // The host's session page in a second tab: the recordings panel.
    const panel = await host.context().newPage();
    await panel.goto(`/sessions/${session.id}`);
    const recordings = panel.getByRole("region", { name: "Recordings" });
    await expect.poll(() => recordings.textContent()).toContain("No recordings yet");

    const on = await hostAction(server, agent, "setSessionRecording", { id: session.id, recording: true });
    const startedAt = Date.now();
    expect(on.data?.setSessionRecording.__typename).toBe("LiveSession");
    await recordings.getByText("Recording…").waitFor({ timeout: 15_000 });
    // Janus writes the room's tracks into the recording's own folder.
    const [row] = await server.app.prisma.sessionRecording.findMany({ where: { sessionId: session.id } });
    expect(row).toMatchObject({ source: "SERVER", status: "RECORDING" });
    await new Promise((resolve) => setTimeout(resolve, 8000)); // the length of the recording itself
    const off = await hostAction(server, agent, "setSessionRecording", { id: session.id, recording: false });
    const recordedMs = Date.now() - startedAt;
    expect(off.data?.setSessionRecording.__typename).toBe("LiveSession");

    // Processing (background job), then the download link.
    const download = recordings.getByRole("link", { name: /Download/ });
    await download.waitFor({ timeout: 120_000 });
    await screenshot(panel, "sfu-recording-ready");
    const stored = await server.app.prisma.sessionRecording.findUniqueOrThrow({ where: { id: row?.id } });
    expect(stored).toMatchObject({ status: "COMPLETE", mimeType: "video/webm;codecs=vp8,opus" });
    const response = await fetch(`${server.url}${await download.getAttribute("href")}`);
    expect(response.status).toBe(200);
    const file = join(tmpdir(), `sfu-recording-${row?.id}.webm`);
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    try {
      const durationMs = await probeDurationMs(file);
      console.info(`server recording: ${durationMs} ms played back for ${recordedMs} ms recorded`);
      // Janus starts writing at the next keyframe and the switch takes a request each way: within 3 s.
      expect(Math.abs(durationMs - recordedMs)).toBeLessThanOrEqual(3000);
      expect(stored.durationMs).toBe(durationMs);
    } finally {
      rmSync(file, { force: true });
    }
    // The raw .mjr files are gone.
    const folder = server.app.services.media.recorder?.folderOf(row?.id ?? "") ?? "";
    expect(existsSync(folder)).toBe(false);
  });

  it("Janus killed mid-webinar: it restarts and every attendee reconnects by itself within 10 s", {
    timeout: 300_000,
  }, async () => {
    const session = await liveWebinar();
    const host = await hostJoins(session.id);
    const attendees = [
      await attendeeJoins(session.accessToken, "Ann"),
      await attendeeJoins(session.accessToken, "Ben"),
    ];
    for (const attendee of attendees) {
      await attendee.evaluate(watchFrames, "agent's video");
      await expect.poll(() => framesSince(attendee, 0), { timeout: 60_000 }).toBeGreaterThan(10);
    }
    const media = server.app.media;
    if (!media) throw new Error("no managed Janus");
    let restarted = false;
    const off = media.on("restarted", () => {
      restarted = true;
    });
    const killedAt = Date.now();
    process.kill(media.pid() as number, "SIGKILL");
    // Each attendee shows the reconnecting state, then decodes fresh frames of the host's video: within 10 s.
    const shownAt = await Promise.all(
      attendees.map(async (attendee) => {
        await attendee.locator(".call-reconnecting").waitFor({ timeout: 10_000 });
        return attendee.evaluate(() => performance.now());
      }),
    );
    await screenshot(attendees[0] as Page, "sfu-reconnecting");
    await Promise.all(
      attendees.map((attendee, index) =>
        expect
          .poll(() => framesSince(attendee, shownAt[index] as number), {
            timeout: Math.max(1000, killedAt + 10_000 - Date.now()),
            interval: 200,
          })
          .toBeGreaterThan(5),
      ),
    );
    const recoveredMs = Date.now() - killedAt;
    console.info(`Janus SIGKILLed: every attendee decoding again after ${recoveredMs} ms`);
    expect(recoveredMs).toBeLessThanOrEqual(10_000);
    expect(restarted).toBe(true);
    off();
    for (const attendee of attendees) {
      expect(await attendee.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      await expect.poll(() => attendee.locator(".call-reconnecting").count()).toBe(0);
    }
    await host.close();
  });
});
