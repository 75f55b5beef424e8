import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PeerResolver } from "../../api/signaling/signaling.ts";
import { startTestServer, type TestServer } from "../harness.ts";

/**
 * Real Chromium with fake camera/microphone, the real API with the signaling server, and the real call client
 * bundled into a tiny page. The resolver stands in for the sessions service (participants and tokens).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--auto-select-desktop-capture-source=Entire screen",
  "--autoplay-policy=no-user-gesture-required",
];

const available = existsSync(CHROMIUM);
if (!available && process.env.CI) {
  throw new Error(`Chromium is required for the call tests in CI but ${CHROMIUM} is missing.`);
}
if (!available) console.warn(`Chromium not found at ${CHROMIUM}: skipping the call browser tests (never in CI).`);

/** peer id → token and session: what the sessions service would have issued. */
const admitted = new Map<string, { token: string; sessionId: string }>();
const resolver: PeerResolver = async (peerId, token) => {
  const entry = admitted.get(peerId);
  return entry && entry.token === token ? { sessionId: entry.sessionId, participantId: `participant-${peerId}` } : null;
};
function admit(sessionId: string, ...peerIds: string[]): void {
  for (const peerId of peerIds) admitted.set(peerId, { token: `token-of-${peerId}-${sessionId}`, sessionId });
}
const tokenOf = (peerId: string) => admitted.get(peerId)?.token ?? "none";

let server: TestServer;
let browser: Browser;
let pageServer: Server;
let pageUrl: string;
let bundleDir: string;
const pages: Page[] = [];

beforeAll(async () => {
  if (!available) return;
  bundleDir = mkdtempSync(join(tmpdir(), "calls-page-"));
  await build({
    entryPoints: [join(import.meta.dirname, "calls-page/page.ts")],
    bundle: true,
    format: "esm",
    target: "es2022",
    outfile: join(bundleDir, "page.js"),
    logLevel: "error",
  });
  writeFileSync(
    join(bundleDir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><title>call test</title></head><body><script type="module" src="/page.js"></script></body></html>`,
  );
  pageServer = createServer((request, response) => {
    const file = request.url === "/page.js" ? "page.js" : "index.html";
    response.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/html" });
    response.end(readFileSync(join(bundleDir, file)));
  });
  await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
  pageUrl = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`;
  server = await startTestServer({ peerResolver: resolver });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (pageServer) await new Promise<void>((resolve) => pageServer.close(() => resolve()));
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

interface Participant {
  peerId: string;
  publishes?: boolean;
}

/** Opens one participant's page and joins the call with the given roster. */
async function enter(
  peerId: string,
  roster: Participant[],
  options: { topology?: "mesh" | "webinar"; publishes?: boolean; token?: string } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  pages.push(page);
  await page.goto(pageUrl);
  await page.waitForFunction(() => "call" in window);
  await page.evaluate(
    ([id, token, url, entries, topology, publishes]) =>
      (window as any).call.start(
        {
          peerId: id,
          token,
          iceServers: [],
          topology,
          publishes,
          statsIntervalMs: 500,
          reconnectBaseMs: 300,
        },
        url,
        entries.map((entry: Participant) => ({ peerId: entry.peerId, publishes: entry.publishes ?? true })),
      ),
    [
      peerId,
      options.token ?? tokenOf(peerId),
      server.url,
      roster,
      options.topology ?? "mesh",
      options.publishes ?? true,
    ] as const,
  );
  return page;
}

/** Waits until `page` decodes video from `from` (frames decoded and the element has a size). */
async function receivesVideo(page: Page, from: string): Promise<void> {
  await page.waitForFunction(
    (peerId) => {
      const video = (window as any).call.video(peerId);
      const remote = (window as any).call.state?.remotes.find((entry: any) => entry.peerId === peerId);
      return video && video.width > 0 && video.time > 0 && remote?.framesDecoded > 0;
    },
    from,
    { timeout: 20_000 },
  );
}

async function remoteState(page: Page, peerId: string): Promise<Record<string, any> | undefined> {
  return page.evaluate((id) => (window as any).call.state?.remotes.find((entry: any) => entry.peerId === id), peerId);
}

async function closeAll(): Promise<void> {
  for (const page of pages.splice(0)) {
    await page.evaluate(() => (window as any).call.client?.leave()).catch(() => undefined);
    await page.context().close();
  }
}

describe.skipIf(!available)("calls in a real browser", () => {
  it("connects two participants, each decoding the other's video; mute and camera-off reach the other side", async () => {
    admit("s-two", "two-a", "two-b");
    const roster = [{ peerId: "two-a" }, { peerId: "two-b" }];
    const a = await enter("two-a", roster);
    const b = await enter("two-b", roster);
    await receivesVideo(a, "two-b");
    await receivesVideo(b, "two-a");
    expect(await remoteState(a, "two-b")).toMatchObject({ connection: "connected", audioMuted: false });

    await a.evaluate(() => (window as any).call.client.setAudioMuted(true));
    await b.waitForFunction(
      () => (window as any).call.state.remotes.find((r: any) => r.peerId === "two-a")?.audioMuted === true,
    );
    await a.evaluate(() => (window as any).call.client.setVideoOff(true));
    await b.waitForFunction(
      () => (window as any).call.state.remotes.find((r: any) => r.peerId === "two-a")?.videoOff === true,
    );
    // The track itself is disabled too, so no camera picture leaves the browser.
    expect(
      await a.evaluate(() =>
        (window as any).call.state.local.stream.getTracks().map((t: MediaStreamTrack) => [t.kind, t.enabled]),
      ),
    ).toEqual(
      expect.arrayContaining([
        ["audio", false],
        ["video", false],
      ]),
    );
    await a.evaluate(() => (window as any).call.client.setAudioMuted(false));
    await b.waitForFunction(
      () => (window as any).call.state.remotes.find((r: any) => r.peerId === "two-a")?.audioMuted === false,
    );
    // Quality badges come from getStats; on loopback they read good.
    await b.waitForFunction(
      () => (window as any).call.state.remotes.find((r: any) => r.peerId === "two-a")?.quality === "good",
    );
    await closeAll();
  });

  it("connects three participants in a full mesh, each receiving every other", async () => {
    const ids = ["mesh-a", "mesh-b", "mesh-c"];
    admit("s-mesh", ...ids);
    const roster = ids.map((peerId) => ({ peerId }));
    const joined = [];
    for (const id of ids) joined.push(await enter(id, roster));
    for (const [index, page] of joined.entries()) {
      for (const other of ids.filter((_, otherIndex) => otherIndex !== index)) await receivesVideo(page, other);
    }
    await closeAll();
  });

  it("replaces the camera with the screen on every connection and marks the presenter", async () => {
    admit("s-screen", "screen-a", "screen-b");
    const roster = [{ peerId: "screen-a" }, { peerId: "screen-b" }];
    const a = await enter("screen-a", roster);
    const b = await enter("screen-b", roster);
    await receivesVideo(b, "screen-a");
    const before = await a.evaluate(() => (window as any).call.sending());
    await a.evaluate(() => (window as any).call.client.startScreenShare());
    const after = await a.evaluate(() => (window as any).call.sending());
    expect(after[0].kinds.sort()).toEqual(["audio", "video"]);
    expect(after[0].labels).not.toEqual(before[0].labels);
    await b.waitForFunction(() => (window as any).call.state.presenterId === "screen-a");
    // The receiver decodes the screen: frames keep coming and the picture has the screen's size.
    await b.waitForFunction(
      () => {
        const video = (window as any).call.video("screen-a");
        return video && video.width > 0 && video.width !== 640;
      },
      undefined,
      { timeout: 20_000 },
    );
    await a.evaluate(() => (window as any).call.client.stopScreenShare());
    await b.waitForFunction(() => (window as any).call.state.presenterId === null);
    await closeAll();
  });

  it("refuses a peer with a wrong token at the signaling server", async () => {
    admit("s-forged", "forged-a");
    const page = await enter("forged-a", [{ peerId: "forged-a" }], { token: "not-the-token" });
    await page.waitForFunction(() => (window as any).call.state?.status === "left");
    expect(await page.evaluate(() => (window as any).call.error)).toMatch(/not admitted/);
    expect(server.app.signaling.connectedPeerIds()).not.toContain("forged-a");
    await closeAll();
  });

  it("revokePeers disconnects a removed participant at once and their media stops for the others", async () => {
    admit("s-revoke", "rev-a", "rev-b");
    const roster = [{ peerId: "rev-a" }, { peerId: "rev-b" }];
    const a = await enter("rev-a", roster);
    const b = await enter("rev-b", roster);
    await receivesVideo(a, "rev-b");
    await receivesVideo(b, "rev-a");
    admitted.delete("rev-b");
    server.app.signaling.revokePeers(["rev-b"]);
    await b.waitForFunction(() => (window as any).call.state.status === "left", undefined, { timeout: 5000 });
    expect(await b.evaluate(() => (window as any).call.state.error)).toMatch(/revoked/);
    // The removed participant's camera is off and the others drop its media without waiting for the roster.
    expect(await b.evaluate(() => (window as any).call.state.local.stream)).toBeNull();
    await a.waitForFunction(
      () => (window as any).call.state.remotes.find((r: any) => r.peerId === "rev-b")?.stream === null,
      undefined,
      { timeout: 5000 },
    );
    await closeAll();
  });

  it("lets a webinar attendee receive the host's media without sending any", async () => {
    admit("s-webinar", "web-host", "web-attendee");
    const roster = [
      { peerId: "web-host", publishes: true },
      { peerId: "web-attendee", publishes: false },
    ];
    const host = await enter("web-host", roster, { topology: "webinar", publishes: true });
    const attendee = await enter("web-attendee", roster, { topology: "webinar", publishes: false });
    await receivesVideo(attendee, "web-host");
    expect(await attendee.evaluate(() => (window as any).call.state.local.stream)).toBeNull();
    expect(await attendee.evaluate(() => (window as any).call.sending())).toEqual([
      { peerId: "web-host", kinds: [], labels: [] },
    ]);
    await host.waitForFunction(
      () =>
        (window as any).call.state.remotes.find((r: any) => r.peerId === "web-attendee")?.connection === "connected",
    );
    expect(await host.evaluate(() => (window as any).call.inboundBytes("web-attendee"))).toBe(0);
    await closeAll();
  });
});
