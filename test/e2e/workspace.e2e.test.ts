import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Actor, invite } from "../fixtures.ts";
import { startTestServer, TestClock, type TestServer } from "../harness.ts";
import { type MailSink, startMailSink } from "../mail-sink.ts";
import {
  axeViolations,
  buildApp,
  chromiumAvailable,
  launchChromium,
  openContext,
  phoneContext,
  screenshot,
  takePolicyViolations,
} from "./browser.ts";

/**
 * Issue 19, points 3, 4 and 8: the workspace settings as an admin uses them on a phone (the PWA wears the saved name
 * and colour, and so does an email through a real SMTP server), the first-run checklist ticking itself, and a
 * forgotten password through the same SMTP server. Real Chromium at 390×844 on the real API; axe-core on each screen.
 */

let server: TestServer;
let sink: MailSink;
let browser: Browser;
let outDir = "";

beforeAll(async () => {
  if (!chromiumAvailable) return;
  outDir = buildApp();
  sink = await startMailSink();
  const clock = new TestClock();
  clock.now = () => new Date();
  server = await startTestServer({ staticDir: outDir, clock, env: { SMTP_URL: sink.url } });
  browser = await launchChromium();
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await sink?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function signIn(page: Page, email: string, password = "correct horse battery") {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function expectAccessible(page: Page, screen: string) {
  await screenshot(page, screen);
  expect(await axeViolations(page), `axe-core on ${screen}`).toEqual([]);
}

/** The checklist's steps as shown: "INVITE_TEAM:done", … */
const checklist = (page: Page) =>
  page
    .locator(".checklist li")
    .evaluateAll((items) =>
      items.map((item) => `${item.getAttribute("data-step")}:${item.classList.contains("done") ? "done" : "todo"}`),
    );

describe.skipIf(!chromiumAvailable)("workspace settings and first run in Chromium (issue 19)", () => {
  afterEach(() => {
    expect(takePolicyViolations(), "Content-Security-Policy violations").toEqual([]);
  });

  it("the first admin's checklist ticks itself; saved settings show in the PWA and in a test email over SMTP", async () => {
    const context = await phoneContext(browser, server.url);
    const page = await context.newPage();
    // The first account becomes the admin, signed up on this phone.
    await page.goto("/signup");
    await page.getByLabel("Name").fill("Ada Admin");
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Inbox" }).waitFor();
    await page.getByRole("heading", { name: "Get started" }).waitFor();
    await expect
      .poll(() => checklist(page))
      .toEqual(["INVITE_TEAM:todo", "CHECK_EMAIL:todo", "SCHEDULE_SESSION:todo", "OPEN_ON_PHONE:todo"]);
    await expectAccessible(page, "first-run-checklist");

    // Things happen elsewhere (an invitation, a session, a sign-in from a computer): the list follows on its next load.
    const admin: Actor = { ...(await apiSignIn("ada@example.com", "Mozilla/5.0 (X11; Linux x86_64) Desktop")) };
    await invite(server, admin, "agent@example.com", "AGENT");
    const start = new Date(Date.now() + 86_400_000);
    await server.gql(
      `mutation($s: DateTime!, $e: DateTime!) { createLiveSession(input: { title: "Test run", type: SUPPORT_CALL,
        scheduledStartAt: $s, scheduledEndAt: $e }) { __typename } }`,
      { s: start.toISOString(), e: new Date(start.getTime() + 1_800_000).toISOString() },
      admin.token,
    );
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Workspace settings" }).waitFor();
    await expect
      .poll(() => checklist(page))
      .toEqual(["INVITE_TEAM:done", "CHECK_EMAIL:todo", "SCHEDULE_SESSION:done", "OPEN_ON_PHONE:done"]);

    // The settings: a colour too light for white text is refused before saving, then a readable one is saved.
    await page.getByLabel("Workspace name").fill("Acme Help");
    const accent = page.getByLabel("Accent colour", { exact: true });
    await accent.fill("#facc15");
    await page.getByText("White text on this colour is hard to read (1.5:1, needs 4.5:1)").waitFor();
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("alert").filter({ hasText: "Not saved" }).waitFor();
    await accent.fill("#7c2d12");
    await page.getByRole("checkbox", { name: "Tuesday" }).check();
    await page.getByLabel("Tuesday opens").fill("08:30");
    await page.getByLabel("Tuesday closes").fill("17:30");
    await page.getByLabel("Name of category 3").fill("Invoices");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved. Everyone sees the new settings from now on.").waitFor();
    await expectAccessible(page, "workspace-settings");

    // The PWA wears them: header, title, theme colour, CSS variable, and the manifest the API serves.
    const header = page.locator(".app-header .brand");
    await expect.poll(() => header.textContent()).toBe("Acme Help");
    expect(await page.title()).toBe("Acme Help");
    expect(await page.locator('meta[name="theme-color"]').getAttribute("content")).toBe("#7c2d12");
    expect(
      await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--brand").trim()),
    ).toBe("#7c2d12");
    const manifest = await (await page.request.get("/manifest.webmanifest")).json();
    expect(manifest).toMatchObject({ name: "Acme Help", short_name: "Acme Help", theme_color: "#7c2d12" });

    // Send test email: the SMTP server's answer on screen, the branded message in the sink.
    sink.clear();
    await page.getByRole("button", { name: "Send test email" }).click();
    const answer = page
      .getByRole("status")
      .filter({ hasText: "The mail server accepted the email to ada@example.com" });
    await answer.waitFor();
    expect(await answer.textContent()).toMatch(/Server answer: 250 /);
    await answer.scrollIntoViewIfNeeded();
    await expectAccessible(page, "workspace-settings-test-email");
    const [mail] = sink.to("ada@example.com");
    expect(mail?.subject).toBe("Test email from Acme Help");
    expect(mail?.from?.value[0]?.name).toBe("Acme Help");
    expect(mail?.html).toContain("background:#7c2d12");
    await expect
      .poll(() => checklist(page))
      .toEqual(["INVITE_TEAM:done", "CHECK_EMAIL:done", "SCHEDULE_SESSION:done", "OPEN_ON_PHONE:done"]);
    await page.getByRole("button", { name: "Done, hide this" }).click();
    await expect.poll(() => page.locator(".checklist").count()).toBe(0);

    // An agent sees the name and colour, but neither the settings nor the checklist.
    const agentContext = await phoneContext(browser, server.url);
    const agentPage = await agentContext.newPage();
    await signIn(agentPage, "agent@example.com");
    await agentPage.getByRole("heading", { name: "Inbox" }).waitFor();
    await expect.poll(() => agentPage.locator(".app-header .brand").textContent()).toBe("Acme Help");
    expect(await agentPage.getByRole("link", { name: "Settings" }).count()).toBe(0);
    expect(await agentPage.locator(".checklist").count()).toBe(0);
    await agentPage.goto("/settings");
    await agentPage.getByText("Only admins can change the workspace settings.").waitFor();
    await agentContext.close();

    // A customer opening a ticket chooses from the workspace's category names.
    await context.close();
  });

  it("forgot password through the real SMTP server: the emailed link sets a new password and signs in", async () => {
    await apiSignUp("fay@example.com");
    sink.clear();
    const context = await phoneContext(browser, server.url);
    const page = await context.newPage();
    await page.goto("/signin");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByLabel("Email").fill("fay@example.com");
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByText("If an account uses this address, we have emailed it a link").waitFor();
    await server.app.services.jobs.drain();
    const [mail] = sink.to("fay@example.com");
    expect(mail?.subject).toBe("Reset your Acme Help password");
    const link = /https?:\/\/[^/\s]+(\/reset-password\/[A-Za-z0-9_-]+)/.exec(mail?.text ?? "")?.[1];
    expect(link).toBeDefined();
    await page.goto(link as string);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await page.getByLabel("New password", { exact: true }).fill("a fresh passphrase");
    await page.getByLabel("Repeat the new password").fill("a fresh passphrase");
    await expectAccessible(page, "reset-password-smtp");
    await page.getByRole("button", { name: "Save and sign in" }).click();
    await page.getByRole("heading", { name: "My tickets" }).waitFor();
    // The new password works from another device; the old one does not.
    const other = await openContext(browser, { baseURL: server.url, viewport: { width: 390, height: 844 } });
    const otherPage = await other.newPage();
    await signIn(otherPage, "fay@example.com", "correct horse battery");
    await otherPage.getByRole("alert").waitFor();
    await signIn(otherPage, "fay@example.com", "a fresh passphrase");
    await otherPage.getByRole("heading", { name: "My tickets" }).waitFor();

    // The customer's new-ticket form offers the workspace's category names.
    await otherPage.goto("/tickets/new");
    await otherPage.getByRole("option", { name: "Invoices" }).waitFor({ state: "attached" });
    await other.close();
    await context.close();
  });
});

async function apiSignIn(email: string, userAgent: string): Promise<Actor> {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": userAgent },
    body: JSON.stringify({
      query: `mutation($input: LogInInput!) { logIn(input: $input) { ... on AuthPayload { accessToken refreshToken user { id } } } }`,
      variables: { input: { email, password: "correct horse battery" } },
    }),
  });
  const payload = (
    (await response.json()) as { data: { logIn: { accessToken: string; refreshToken: string; user: { id: string } } } }
  ).data.logIn;
  return { id: payload.user.id, email, token: payload.accessToken, refreshToken: payload.refreshToken };
}

async function apiSignUp(email: string): Promise<void> {
  await server.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { __typename } }`, {
    input: { email, name: "Fay", password: "correct horse battery" },
  });
}
