import type { Browser, Page } from "playwright-core";
import type { Browser as FirefoxBrowser, Page as FirefoxPage } from "puppeteer-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, TestClock, type TestServer } from "../harness.ts";
import { chromiumAvailable, launchChromium, openContext } from "./browser.ts";
import { admittedPeers, type CallsPage, serveCallsPage } from "./calls-page.ts";
import { engineAvailable, launchFirefox, phoneViewport } from "./engines.ts";

/**
 * A call between Chromium and Firefox: the real call client (bundled into test/e2e/calls-page, as in
 * calls.e2e.test.ts) in each browser, with each one's fake camera, through the real signaling server. Video must
 * decode and keep advancing on both sides, mute and camera state must cross, and a screen shared from Chromium must
 * reach Firefox. Firefox's stats (RTT, frames) grade the call and its sender parameters lower the picture it sends.
 */
const available = engineAvailable("firefox") && chromiumAvailable;

const { directory, admit, tokenOf } = admittedPeers();

let server: TestServer;
let chromium: Browser;
let firefox: FirefoxBrowser;
let callsPage: CallsPage | undefined;
let pageUrl: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  if (!available) return;
  callsPage = await serveCallsPage();
  pageUrl = callsPage.url;
  server = await startTestServer({ peerDirectory: directory, clock: new TestClock(new Date()) });
  [chromium, firefox] = await Promise.all([
    launchChromium(["--auto-select-desktop-capture-source=Entire screen"]),
    launchFirefox(),
  ]);
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await firefox?.close();
  await server?.close();
  await callsPage?.close();
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
});

/** What either browser's page is asked: a function of the page's `window.call` driver, with JSON in and out. */
interface CallPage {
  name: string;
  ask<T, A>(fn: (arg: A) => T | Promise<T>, arg: A): Promise<T>;
  /** Waits until `fn` returns a truthy value. */
  until<A>(fn: (arg: A) => unknown, arg: A, timeoutMs?: number): Promise<void>;
}

function chromiumCallPage(page: Page): CallPage {
  return {
    name: "Chromium",
    ask: (fn, arg) => page.evaluate(fn as (arg: unknown) => never, arg),
    until: async (fn, arg, timeoutMs = 45_000) => {
      await page.waitForFunction(fn as (arg: unknown) => unknown, arg, { timeout: timeoutMs });
    },
  };
}

function firefoxCallPage(page: FirefoxPage): CallPage {
  return {
    name: "Firefox",
    ask: (fn, arg) => page.evaluate(fn as (arg: unknown) => never, arg),
    until: async (fn, arg, timeoutMs = 45_000) => {
      await page.waitForFunction(fn as (arg: unknown) => unknown, { timeout: timeoutMs, polling: 100 }, arg);
    },
  };
}

const options = (peerId: string, token: string) => ({
  peerId,
  token,
  iceServers: [],
  topology: "mesh",
  publishes: true,
  statsIntervalMs: 500,
  reconnectBaseMs: 300,
  videoConstraints: { width: 320, height: 240, frameRate: 15 },
});

async function start(page: CallPage, peerId: string, roster: string[]): Promise<void> {
  await page.until(() => "call" in window, null);
  await page.ask(
    ([opts, url, peers]) =>
      (window as any).call.start(
        opts,
        url,
        (peers as string[]).map((id) => ({ peerId: id, publishes: true })),
      ),
    [options(peerId, tokenOf(peerId)), server.url, roster] as const,
  );
}

/** Frames decoded from `from` (getStats inbound-rtp, as the call client reports it) and the element's clock. */
function received(page: CallPage, from: string) {
  return page.ask((peerId) => {
    const call = (window as any).call;
    const remote = call.state?.remotes.find((entry: { peerId: string }) => entry.peerId === peerId);
    const video = call.video(peerId);
    return {
      framesDecoded: (remote?.framesDecoded as number | undefined) ?? 0,
      time: (video?.time as number | undefined) ?? 0,
      width: (video?.width as number | undefined) ?? 0,
      audioMuted: remote?.audioMuted as boolean | undefined,
      videoOff: remote?.videoOff as boolean | undefined,
      presenter: call.state?.presenterId as string | null,
    };
  }, from);
}

/** Waits until `page` decodes video from `from`, then until more frames arrive and the clock moves on. */
async function videoAdvances(page: CallPage, from: string): Promise<void> {
  await expect
    .poll(async () => (await received(page, from)).framesDecoded, {
      message: `${page.name} decoding ${from}`,
      timeout: 45_000,
    })
    .toBeGreaterThan(0);
  const first = await received(page, from);
  await expect
    .poll(
      async () => {
        const now = await received(page, from);
        return now.framesDecoded > first.framesDecoded && now.time > first.time && now.width > 0;
      },
      { message: `${page.name}'s frames from ${from} advancing`, timeout: 30_000 },
    )
    .toBe(true);
}

describe.skipIf(!available)("a call between Chromium and Firefox", () => {
  it("connects both ways with video advancing; quality from Firefox stats and its sender lowered; mute and camera cross both ways; Chromium's screen reaches Firefox", async () => {
    admit("s-mixed", "cr-a", "ff-b");
    const roster = ["cr-a", "ff-b"];

    const chromiumContext = await openContext(chromium, { viewport: phoneViewport });
    closers.push(() => chromiumContext.close());
    const chromiumPage = await chromiumContext.newPage();
    await chromiumPage.goto(pageUrl);
    const firefoxContext = await firefox.createBrowserContext();
    closers.push(() => firefoxContext.close());
    const firefoxPage = await firefoxContext.newPage();
    firefoxPage.on("pageerror", (error) => console.error(`Firefox page error: ${(error as Error).message}`));
    await firefoxPage.setViewport(phoneViewport);
    await firefoxPage.goto(pageUrl);

    const a = chromiumCallPage(chromiumPage);
    const b = firefoxCallPage(firefoxPage);
    await start(a, "cr-a", roster);
    await start(b, "ff-b", roster);
    await videoAdvances(b, "cr-a");
    await videoAdvances(a, "ff-b");
    // Firefox's getStats feeds the quality grade (candidate-pair RTT, inbound-rtp bytes and frames).
    const graded = await b.ask(
      () => (window as any).call.state.remotes.map((r: any) => ({ quality: r.quality, stats: r.stats })),
      null,
    );
    expect(["good", "fair", "poor"]).toContain(graded[0]?.quality);
    expect(graded[0]?.stats.rttMs).toBeGreaterThanOrEqual(0);

    // Firefox lowers what it sends to a peer with poor quality (RTCRtpSender.setParameters); Chromium sees it.
    const lowered = await b.ask(async () => {
      const client = (window as any).call.client;
      await client.overrideSenderQuality("cr-a", "poor");
      return client.senderEncoding("cr-a");
    }, null);
    expect(lowered).toMatchObject({ maxBitrate: 150_000, scaleResolutionDownBy: 2 });
    await expect.poll(async () => (await received(a, "ff-b")).width, { timeout: 30_000 }).toBe(160);
    await b.ask(() => (window as any).call.client.overrideSenderQuality("cr-a", null), null);
    await expect.poll(async () => (await received(a, "ff-b")).width, { timeout: 30_000 }).toBe(320);

    // Mute and camera state cross both ways.
    for (const [from, to, peerId] of [
      [a, b, "cr-a"],
      [b, a, "ff-b"],
    ] as const) {
      await from.ask(() => (window as any).call.client.setAudioMuted(true), null);
      await expect.poll(async () => (await received(to, peerId)).audioMuted).toBe(true);
      await from.ask(() => (window as any).call.client.setVideoOff(true), null);
      await expect.poll(async () => (await received(to, peerId)).videoOff).toBe(true);
      await from.ask(() => (window as any).call.client.setAudioMuted(false), null);
      await from.ask(() => (window as any).call.client.setVideoOff(false), null);
      await expect.poll(async () => (await received(to, peerId)).audioMuted).toBe(false);
      await expect.poll(async () => (await received(to, peerId)).videoOff).toBe(false);
    }

    // Chromium shares its screen: Firefox sees the presenter and decodes a picture of the screen's size.
    const cameraWidth = (await received(b, "cr-a")).width;
    await a.ask(() => (window as any).call.client.startScreenShare(), null);
    await expect.poll(async () => (await received(b, "cr-a")).presenter).toBe("cr-a");
    await expect.poll(async () => (await received(b, "cr-a")).width, { timeout: 45_000 }).not.toBe(cameraWidth);
    await videoAdvances(b, "cr-a");
    await a.ask(() => (window as any).call.client.stopScreenShare(), null);
    await expect.poll(async () => (await received(b, "cr-a")).presenter).toBeNull();
    await videoAdvances(a, "ff-b");
  });
});
