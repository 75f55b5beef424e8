import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import type { Browser as FirefoxBrowser, Page as FirefoxPage } from "puppeteer-core";
import { build } from "vite";
import solid from "vite-plugin-solid";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PeerDirectory } from "../../api/signaling/signaling.ts";
import { startTestServer, TestClock, type TestServer } from "../harness.ts";
import { chromiumAvailable, launchChromium, openContext } from "./browser.ts";
import { engineAvailable, launchFirefox, phoneViewport } from "./engines.ts";

/**
 * A call between Chromium and Firefox: the real call client (bundled into test/e2e/calls-page, as in
 * calls.e2e.test.ts) in each browser, with each one's fake camera, through the real signaling server. Video must
 * decode and keep advancing on both sides, mute and camera state must cross, and a screen shared from Chromium must
 * reach Firefox. Firefox's stats (RTT, frames) grade the call and its sender parameters lower the picture it sends.
 */
const available = engineAvailable("firefox") && chromiumAvailable;

const admitted = new Map<string, { token: string; sessionId: string }>();
const directory: PeerDirectory = {
  resolvePeer: async (peerId, token) => {
    const entry = admitted.get(peerId);
    return entry && entry.token === token
      ? { sessionId: entry.sessionId, participantId: `participant-${peerId}` }
      : null;
  },
  sessionOfPeer: async (peerId) => admitted.get(peerId)?.sessionId ?? null,
};

let server: TestServer;
let chromium: Browser;
let firefox: FirefoxBrowser;
let pageServer: Server;
let pageUrl: string;
let bundleDir: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  if (!available) return;
  bundleDir = mkdtempSync(join(tmpdir(), "calls-page-"));
  await build({
    configFile: false,
    root: join(import.meta.dirname, "calls-page"),
    base: "/",
    logLevel: "error",
    plugins: [solid()],
    build: { outDir: bundleDir, emptyOutDir: true, minify: false, target: "es2022", reportCompressedSize: false },
  });
  pageServer = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const path = join(bundleDir, url.pathname === "/" ? "index.html" : url.pathname);
    if (!path.startsWith(bundleDir) || !existsSync(path)) {
      response.writeHead(404).end();
      return;
    }
    const types: Record<string, string> = { js: "text/javascript", css: "text/css" };
    response.writeHead(200, { "content-type": types[path.split(".").pop() ?? ""] ?? "text/html" });
    response.end(readFileSync(path));
  });
  await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
  pageUrl = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`;
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
  if (pageServer) await new Promise<void>((resolve) => pageServer.close(() => resolve()));
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
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
  const entry = admitted.get(peerId);
  await page.until(() => "call" in window, null);
  await page.ask(
    ([opts, url, peers]) =>
      (window as any).call.start(
        opts,
        url,
        (peers as string[]).map((id) => ({ peerId: id, publishes: true })),
      ),
    [options(peerId, entry?.token ?? ""), server.url, roster] as const,
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
    for (const peerId of ["cr-a", "ff-b"]) admitted.set(peerId, { token: `token-of-${peerId}`, sessionId: "s-mixed" });
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
