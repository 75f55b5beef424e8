import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type Actor, invite, signUp } from "../fixtures.ts";
import { startTestServer, TestClock, type TestServer } from "../harness.ts";
import { buildApp } from "./browser.ts";
import { type Engine, type EngineBrowser, type EnginePage, launchEngine } from "./engines.ts";

/**
 * The PWA's main flows written once for Firefox and WebKit (engines.ts). Accounts that a flow does not test are
 * made through the API (test/fixtures.ts); each flow opens its own pages and closes them.
 */
export interface Running {
  server: TestServer;
  engine: EngineBrowser;
  staticDir: string;
  /** An agent (invited by the admin, the install's first account), signed up through the API. */
  agent: Actor;
  /** Pages a flow opened; closed after each test (and screenshotted first when it failed). */
  pages: EnginePage[];
  open(): Promise<EnginePage>;
}

export const agentPassword = "correct horse battery";

/** Builds the PWA, serves it from the real API on real time and starts the engine, once per file. */
export function withAppIn(engine: Engine, enabled: boolean): Running {
  const running = { pages: [] as EnginePage[] } as Running;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (!enabled) return;
    const staticDir = buildApp();
    const clock = new TestClock();
    clock.now = () => new Date();
    const server = await startTestServer({ staticDir, clock });
    const browser = await launchEngine(engine);
    close = async () => {
      await browser.close();
      await server.close();
      rmSync(staticDir, { recursive: true, force: true });
    };
    const admin = await signUp(server, "admin@example.com", "Ada Admin");
    Object.assign(running, {
      server,
      engine: browser,
      staticDir,
      agent: await invite(server, admin, "agent@example.com", "AGENT"),
      open: async () => {
        const page = await browser.newPage(server.url);
        running.pages.push(page);
        return page;
      },
    });
  }, 240_000);
  afterEach(async (context) => {
    const failed = context.task.result?.state === "fail";
    for (const [index, page] of running.pages.splice(0).entries()) {
      if (failed) {
        await page.screenshot(`failed-${context.task.name.slice(0, 24).replace(/\W+/g, "-")}-${index}`).catch(() => {});
        const text = await page.evaluate(() => `${location.href}\n${document.body?.textContent}`).catch(String);
        console.error(`${engine} page ${index}: ${text}`);
      }
      await page.close();
    }
  });
  afterAll(async () => {
    await close?.();
  });
  return running;
}

export async function signIn(page: EnginePage, email: string, password: string, next = ""): Promise<void> {
  await page.goto(`/signin${next ? `?next=${encodeURIComponent(next)}` : ""}`);
  await page.fill({ label: "Email" }, email);
  await page.fill({ label: "Password" }, password);
  await page.click({ role: "button", name: "Sign in", exact: true });
}

/** How far the page scrolls sideways: 0 when the layout fits the phone's width. */
export function horizontalOverflow(page: EnginePage): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export const customer = { name: "Carl Customer", email: "carl@example.com", password: "customer-password-1" };

/** Sign-up in the UI: the form's errors, then an account, then the empty ticket list. */
export async function signUpFlow(running: Running): Promise<EnginePage> {
  const page = await running.open();
  await page.goto("/");
  await page.waitForPath(/^\/signin/);
  await page.waitFor({ role: "heading", name: "Sign in" });
  expect(await horizontalOverflow(page)).toBe(0);
  await page.screenshot("sign-in");
  await page.click({ role: "link", name: "Create an account" });
  await page.fill({ label: "Name" }, customer.name);
  await page.fill({ label: "Email" }, "not-an-email");
  await page.fill({ label: "Password" }, "short");
  await page.click({ role: "button", name: "Create account" });
  await page.waitFor({ text: "Use at least 8 characters" });
  await page.screenshot("sign-up-errors");
  await page.fill({ label: "Email" }, customer.email);
  await page.fill({ label: "Password" }, customer.password);
  await page.click({ role: "button", name: "Create account" });
  await page.waitForPath(/^\/tickets$/);
  await page.waitFor({ text: "No tickets yet" });
  expect(await horizontalOverflow(page)).toBe(0);
  await page.screenshot("my-tickets-empty");
  return page;
}
