import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { type Actor, invite, signUp } from "../fixtures.ts";
import { startTestServer, TestClock, type TestServer } from "../harness.ts";

/** Debian's Chromium; the browser tier needs it in CI and skips loudly without it elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumAvailable = existsSync(chromiumPath);
if (!chromiumAvailable) {
  if (process.env.CI) throw new Error(`The browser tests need Chromium at ${chromiumPath} (apt-get install chromium).`);
  console.warn(
    `\n!!! ${chromiumPath} is missing: SKIPPING the browser tests (they fail instead when CI is set). !!!\n`,
  );
}

/** Where the tests write screenshots of the main screens at phone size. */
export const screenshotDir = join(process.cwd(), "test-results", "screenshots");

/** The phone every browser test runs at (the app is designed mobile-first for 390×844). */
export const phone = { width: 390, height: 844 };

/** Builds the PWA once into a temporary folder (the same `vite build` as `npm run build`). */
export function buildApp(): string {
  const outDir = mkdtempSync(join(tmpdir(), "live-support-pwa-"));
  execFileSync(
    process.execPath,
    [join(process.cwd(), "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"],
    {
      // vitest sets NODE_ENV=test, which would make Vite build a development bundle without the service worker.
      env: { ...process.env, NODE_ENV: "production", PWA_OUT_DIR: outDir },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  return outDir;
}

/** Chromium as every browser test runs it: headless, offline-safe flags, fake camera and microphone. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
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
      "--autoplay-policy=no-user-gesture-required",
      ...extraArgs,
    ],
  });
}

/** A browser context as the tests use them: page errors reported, Content-Security-Policy violations recorded. */
export async function openContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  reportPageErrors(context);
  await recordPolicyViolations(context);
  return context;
}

export function phoneContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return openContext(browser, { baseURL, viewport: phone, hasTouch: true, isMobile: true });
}

/** Content-Security-Policy violations seen in any page since the last `takePolicyViolations()`. */
const policyViolations: string[] = [];

/**
 * Records every `securitypolicyviolation` event of the context's pages: the server's policy must let the app do all
 * it does, so any report is a failure (see `takePolicyViolations`). Playwright's own evaluation is exempt from CSP.
 */
export async function recordPolicyViolations(context: BrowserContext): Promise<void> {
  await context.exposeBinding("reportPolicyViolation", ({ page }, line: string) => {
    policyViolations.push(`${new URL(page.url()).pathname}: ${line}`);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { reportPolicyViolation(line: string): void }).reportPolicyViolation;
      const where = event.sourceFile ? ` at ${event.sourceFile}:${event.lineNumber}` : "";
      report(`${event.effectiveDirective} refused ${event.blockedURI || "inline"}${where} (${event.sample})`);
    });
  });
}

/** The violations recorded since the last call (and forgets them), for `expect(...).toEqual([])` after each test. */
export function takePolicyViolations(): string[] {
  return policyViolations.splice(0);
}

/** Uncaught errors in the app show up in the test output. */
export function reportPageErrors(context: BrowserContext): void {
  context.on("weberror", (error) => console.error(`Page error: ${error.error().message}`));
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Runs axe-core in the page; returns the violations as readable lines (empty when there are none). */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated rather than added as a <script>, which the app's Content-Security-Policy rightly refuses.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run();
    return result.violations as { id: string; help: string; nodes: { target: string[] }[] }[];
  });
  return violations.map(
    (violation) =>
      `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`,
  );
}

/** `chromium-<name>.png`, beside the same screens from Firefox and WebKit (engines.ts). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `chromium-${name}.png`), fullPage: true });
}

/**
 * Records the subscriptions a page's graphql-ws socket sends; `until(name)` resolves once one naming `name`
 * has gone out (before or after the call), so a test knows the live channel is open before acting.
 */
export function watchSubscriptions(page: Page): { until(operationName: string): Promise<void> } {
  const sent: string[] = [];
  const waiting: { name: string; resolve: () => void }[] = [];
  page.on("websocket", (socket) => {
    socket.on("framesent", (frame) => {
      const payload = typeof frame.payload === "string" ? frame.payload : frame.payload.toString();
      if (!payload.includes('"type":"subscribe"')) return;
      sent.push(payload);
      for (const waiter of waiting.filter((item) => payload.includes(item.name))) waiter.resolve();
    });
  });
  return {
    until: (name) =>
      sent.some((payload) => payload.includes(name))
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ name, resolve })),
  };
}

/** Whether the app's persisted GraphQL cache (IndexedDB, written in the background) holds `text` yet. */
export function persistedCacheHas(page: Page, text: string): Promise<boolean> {
  return page.evaluate(
    (wanted) =>
      new Promise<boolean>((resolve) => {
        const open = indexedDB.open("live-support-cache");
        open.onsuccess = () => {
          const db = open.result;
          if (!Array.from(db.objectStoreNames).includes("entries")) return resolve(false);
          const all = db.transaction("entries").objectStore("entries").getAll();
          all.onsuccess = () => resolve(JSON.stringify(all.result).includes(wanted));
          all.onerror = () => resolve(false);
        };
        open.onerror = () => resolve(false);
      }),
    text,
  );
}

/**
 * Before a file's tests: the built PWA served by the real API on real time (the browser schedules relative to its own
 * clock), Chromium, and an agent (agent@example.com, invited by an admin) to sign in as; `started` receives them.
 * After them, all is closed. Nothing starts without Chromium.
 */
export function withAppInChromium(
  started: (running: { server: TestServer; browser: Browser; agent: Actor }) => void,
): void {
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (!chromiumAvailable) return;
    const outDir = buildApp();
    const clock = new TestClock();
    clock.now = () => new Date();
    const server = await startTestServer({ staticDir: outDir, clock });
    const browser = await launchChromium();
    close = async () => {
      await browser.close();
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    };
    const admin = await signUp(server, "admin@example.com", "Ada Admin");
    started({ server, browser, agent: await invite(server, admin, "agent@example.com", "AGENT") });
  }, 240_000);
  afterAll(async () => {
    await close?.();
  });
}
