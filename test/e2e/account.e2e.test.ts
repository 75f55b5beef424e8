import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "../fixtures.ts";
import { startTestServer, TestClock, type TestServer } from "../harness.ts";
import {
  axeViolations,
  buildApp,
  chromiumAvailable,
  launchChromium,
  phoneContext,
  screenshot,
  takePolicyViolations,
} from "./browser.ts";

/**
 * Issue 19, account essentials in the profile (the forgot-password flow is in first-day.e2e.test.ts): changing the
 * password and the email from a phone, with the errors a user can act on and the confirmation link from /dev/mail.
 */

let server: TestServer;
let browser: Browser;
let outDir = "";

beforeAll(async () => {
  if (!chromiumAvailable) return;
  outDir = buildApp();
  const clock = new TestClock();
  clock.now = () => new Date();
  server = await startTestServer({ staticDir: outDir, clock, env: { DEV_MAILBOX: "on" } });
  browser = await launchChromium();
  // The first account is the workspace's admin; the one under test is a customer's.
  await signUp(server, "admin@example.com", "Ada Admin");
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function signIn(page: Page, email: string, password: string) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "My tickets" }).waitFor();
}

describe.skipIf(!chromiumAvailable)("account essentials in the profile (issue 19)", () => {
  afterEach(() => {
    expect(takePolicyViolations(), "Content-Security-Policy violations").toEqual([]);
  });

  it("changes the password (a wrong current one is named, the other device is signed out) and the email through its link", async () => {
    const user = await signUp(server, "gus@example.com", "Gus Customer");
    const other = await phoneContext(browser, server.url);
    const otherPage = await other.newPage();
    await signIn(otherPage, user.email, "correct horse battery");
    const context = await phoneContext(browser, server.url);
    const page = await context.newPage();
    await signIn(page, user.email, "correct horse battery");
    await page.goto("/profile");
    // Sign-up (through the API), the other phone and this one.
    await expect.poll(() => page.locator(".sign-ins li").count()).toBe(3);

    const password = page.getByRole("group", { name: "Password", exact: true });
    await password.getByRole("button", { name: "Change password" }).click();
    await password.getByText("Enter your current password").waitFor();
    await password.getByLabel("Current password").fill("not my password");
    await password.getByLabel("New password").fill("a brand new passphrase");
    await password.getByRole("button", { name: "Change password" }).click();
    await expect.poll(() => password.getByRole("alert").textContent()).toBe("Your current password is not right.");
    // Editing clears the refusal; the right password changes it and signs the other device out.
    await password.getByLabel("Current password").fill("correct horse battery");
    await expect.poll(() => password.getByRole("alert").count()).toBe(0);
    await password.getByRole("button", { name: "Change password" }).click();
    await expect
      .poll(() => password.getByRole("status").textContent())
      .toBe("Password changed. Your other devices were signed out.");
    expect(await password.getByLabel("Current password").inputValue()).toBe("");
    await screenshot(page, "profile-password-changed");
    expect(await axeViolations(page), "axe-core on the profile").toEqual([]);
    await page.reload();
    await expect
      .poll(() => page.locator(".sign-ins li").allTextContents())
      .toEqual([expect.stringContaining("this device")]);

    const email = page.getByRole("group", { name: "Email", exact: true });
    await email.getByLabel("New email").fill("gus.new@example.com");
    await email.getByLabel("Current password").fill("a brand new passphrase");
    await email.getByRole("button", { name: "Send a confirmation link" }).click();
    await expect
      .poll(() => email.getByRole("status").textContent())
      .toBe("We sent a link to gus.new@example.com. Your email changes when you follow it (within 24 hours).");
    // Nothing changes until the link is followed.
    expect((await server.app.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).email).toBe(user.email);
    await server.app.services.jobs.drain();
    await page.goto("/dev/mail");
    await page.getByRole("link", { name: /^Confirm your new .* email$/ }).click();
    const text = (await page.locator("pre").textContent()) ?? "";
    const link = /http:\/\/localhost:0(\/confirm-email\/[A-Za-z0-9_-]+)/.exec(text)?.[1];
    expect(link, "the confirmation link in the email").toBeDefined();
    await page.goto(link as string);
    await expect
      .poll(async () => (await server.app.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).email)
      .toBe("gus.new@example.com");
    await signIn(page, "gus.new@example.com", "a brand new passphrase");
    await other.close();
    await context.close();
  });
});
