import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createTicket, invite, signUp } from "../fixtures.ts";
import { eventually, startTestServer, TestClock, type TestServer } from "../harness.ts";
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
 * Issue 19, a first day that goes right: the screens a new team meets first, at phone size in real Chromium against
 * the real API (invitee chips, GraphiQL with no network, …). Every screen passes axe-core and has a screenshot.
 */

let server: TestServer;
let browser: Browser;
let admin: Actor;
let agent: Actor;
let outDir = "";

// The built PWA on the real API (real time), with the development mailbox on and a 1 MB upload limit to test against.
beforeAll(async () => {
  if (!chromiumAvailable) return;
  outDir = buildApp();
  const clock = new TestClock();
  clock.now = () => new Date();
  server = await startTestServer({ staticDir: outDir, clock, env: { DEV_MAILBOX: "on", UPLOAD_MAX_BYTES: "1MB" } });
  browser = await launchChromium();
  admin = await signUp(server, "admin@example.com", "Ada Admin");
  agent = await invite(server, admin, "agent@example.com", "AGENT");
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
}

async function expectAccessible(page: Page, screen: string) {
  await screenshot(page, screen);
  expect(await axeViolations(page), `axe-core on ${screen}`).toEqual([]);
}

describe.skipIf(!chromiumAvailable)("a first day in Chromium (issue 19)", () => {
  afterEach(() => {
    expect(takePolicyViolations(), "Content-Security-Policy violations").toEqual([]);
  });

  it("invitees: a pasted list makes one chip per person; a bad entry is shown and blocks scheduling", async () => {
    const context = await phoneContext(browser, server.url);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    const page = await context.newPage();
    await signIn(page, agent.email, "correct horse battery");
    await page.getByRole("heading", { name: "Inbox" }).waitFor();
    await page.goto("/sessions/new");
    await page.getByLabel("Title").fill("Onboarding call");

    const invitees = page.getByLabel("Invitees", { exact: true });
    await invitees.focus();
    await page.evaluate(() => navigator.clipboard.writeText("guest@example.com, boss@example.org"));
    await page.keyboard.press("Control+V");
    const chips = page.getByRole("list", { name: /People invited/ });
    await expect
      .poll(() => chips.getByRole("listitem").allTextContents())
      .toEqual(["guest@example.com×", "boss@example.org×"]);
    await expect.poll(() => invitees.inputValue()).toBe("");
    // Typed entries become chips at a separator; a refused one stays, red, and blocks the form.
    await invitees.pressSequentially("Pat Doe <pat@example.com>; nonsense;");
    await expect.poll(() => chips.getByRole("listitem").count()).toBe(4);
    await page.getByRole("button", { name: "Schedule" }).click();
    const blocked = page.getByRole("alert");
    await expect
      .poll(() => blocked.textContent())
      .toBe('Not scheduled yet. Fix or remove 1 invitee: "nonsense" is not an email address.');
    await expectAccessible(page, "session-form-invitees");
    // Editing the bad chip puts it back in the box; fixing it clears the error and the form's message.
    await page.getByRole("button", { name: /^Edit nonsense/ }).click();
    await expect.poll(() => invitees.inputValue()).toBe("nonsense");
    await invitees.fill("Nina <nina@example.net>");
    await invitees.press("Enter");
    await expect.poll(() => chips.getByRole("listitem").count()).toBe(4);
    await expect.poll(() => page.getByRole("alert").count()).toBe(0);
    await page.getByRole("button", { name: "Remove Nina <nina@example.net>" }).click();
    await page.getByRole("button", { name: "Schedule" }).click();
    await page.getByRole("heading", { name: "Onboarding call" }).waitFor();
    const session = await server.app.prisma.liveSession.findFirstOrThrow({
      where: { title: "Onboarding call" },
      include: { invites: true },
    });
    expect(session.invites.map(({ name, email }) => [name, email]).sort()).toEqual([
      ["Pat Doe", "pat@example.com"],
      ["boss", "boss@example.org"],
      ["guest", "guest@example.com"],
    ]);
    await context.close();
  });

  it("GraphiQL works with the network cut off: the page, its editor and a query", async () => {
    // A developer's tool, used on a computer.
    const context = await openContext(browser, { baseURL: server.url, viewport: { width: 1280, height: 800 } });
    const outside: string[] = [];
    // Everything that is not this server fails, as on a machine with no internet.
    await context.route(
      (url) => url.hostname !== new URL(server.url).hostname,
      (route) => {
        outside.push(route.request().url());
        return route.abort("internetdisconnected");
      },
    );
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto("/graphql");
    const run = page.getByRole("button", { name: /Execute query/ });
    await run.waitFor();
    await page.locator(".graphiql-query-editor textarea").first().focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("{ __typename");
    // Close the completion list the editor opens (after a debounce, so it can reopen after one Escape), which
    // covers the button: until a click lands.
    await eventually(
      async () => {
        await page.keyboard.press("Escape");
        return run.click({ timeout: 1000 }).then(
          () => true,
          () => false,
        );
      },
      { timeoutMs: 30_000, what: "the Execute query button to take a click" },
    );
    await expect
      // The editor renders spaces as no-break spaces.
      .poll(async () => (await page.locator(".graphiql-response").textContent())?.replace(/\s+/g, " "))
      .toContain('"__typename": "Query"');
    await screenshot(page, "graphiql-offline");
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("sign-in says why when it is safe to, and its error goes once the fields change", async () => {
    const context = await phoneContext(browser, server.url);
    const page = await context.newPage();
    await signIn(page, agent.email, "not the password");
    const alert = page.getByRole("alert");
    await expect
      .poll(() => alert.textContent())
      .toBe("That email and password do not match an account. Check both, or reset your password.");
    await expectAccessible(page, "sign-in-error");
    await page.getByLabel("Password").fill("correct horse");
    await expect.poll(() => page.getByRole("alert").count()).toBe(0);
    // A deactivated account is told so (after the right password only).
    const customer = await signUp(server, "dee@example.com", "Dee Customer");
    await server.app.prisma.user.update({ where: { id: customer.id }, data: { deactivatedAt: new Date() } });
    await signIn(page, customer.email, "correct horse battery");
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toBe("This account has been deactivated. Ask an admin of your workspace to reactivate it.");
    await context.close();
  });

  it("on a phone: inbox filters behind one button, settings worded for agents, big files refused before sending", async () => {
    const customer = await signUp(server, "carl@example.com", "Carl Customer");
    const ticket = await createTicket(server, customer, { subject: "Scanner jams" });
    const context = await phoneContext(browser, server.url);
    const page = await context.newPage();
    await signIn(page, agent.email, "correct horse battery");
    await page.getByRole("heading", { name: "Inbox" }).waitFor();
    await page.getByRole("link", { name: /Scanner jams/ }).waitFor();
    const filters = page.getByRole("button", { name: "Filters" });
    expect(await filters.getAttribute("aria-expanded")).toBe("false");
    expect(await page.getByLabel("Priority").isVisible()).toBe(false);
    await expectAccessible(page, "inbox-phone-filters-closed");
    await filters.click();
    await page.getByLabel("Priority").selectOption("HIGH");
    await page.getByRole("button", { name: "Filters (1)" }).waitFor();
    await expectAccessible(page, "inbox-phone-filters-open");

    await page.goto("/profile");
    await page.getByText("A ticket is assigned to me").waitFor();
    expect(await page.getByText("An agent answered my ticket").count()).toBe(0);
    await expectAccessible(page, "profile-agent");

    await page.goto(`/tickets/${ticket.id}`);
    await page.getByRole("heading", { name: "Scanner jams" }).waitFor();
    await page.getByText("Up to 10 files, 1 MB each.").waitFor();
    let uploads = 0;
    page.on("request", (request) => {
      if (request.method() === "POST" && (request.headers()["content-type"] ?? "").startsWith("multipart/")) uploads++;
    });
    await page.locator('[data-testid="attach-files"]').setInputFiles({
      name: "scan.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.alloc(1.5 * 1024 * 1024, 1),
    });
    await expect
      .poll(() => page.locator(".file-picker").getByRole("alert").textContent())
      .toBe("scan.pdf is 1.5 MB: files can be at most 1 MB.");
    expect(await page.getByText("scan.pdf", { exact: true }).count()).toBe(0);
    await expectAccessible(page, "ticket-upload-refused");
    expect(uploads).toBe(0);
    await context.close();
  });

  it("/dev/mail reads on a phone and offers the invitation's .ics", async () => {
    await server.app.services.jobs.drain();
    const context = await phoneContext(browser, server.url);
    const page = await context.newPage();
    await page.goto("/dev/mail");
    await page.getByRole("heading", { name: "Development mailbox" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await expectAccessible(page, "dev-mail-list");
    await page.getByRole("link", { name: "Invitation: Onboarding call" }).first().click();
    const ics = page.getByRole("link", { name: "invite.ics" });
    await ics.waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await expectAccessible(page, "dev-mail-message");
    const response = await page.request.get((await ics.getAttribute("href")) as string);
    expect(await response.text()).toContain("BEGIN:VCALENDAR");
    await context.close();
  });

  it("forgot password: the emailed link (read at /dev/mail) sets a new one once and signs in here", async () => {
    const user = await signUp(server, "fay@example.com", "Fay Customer");
    const other = await phoneContext(browser, server.url);
    const otherPage = await other.newPage();
    await signIn(otherPage, user.email, "correct horse battery");
    await otherPage.getByRole("heading", { name: "My tickets" }).waitFor();

    const context = await phoneContext(browser, server.url);
    const page = await context.newPage();
    await page.goto("/signin");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByRole("heading", { name: "Reset your password" }).waitFor();
    await expectAccessible(page, "forgot-password");
    await page.getByLabel("Email").fill("fay@example.com");
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByText("If an account uses this address, we have emailed it a link").waitFor();
    await expectAccessible(page, "forgot-password-sent");

    // The email, as a developer reads it at /dev/mail; its link opens the reset page.
    await server.app.services.jobs.drain();
    await page.goto("/dev/mail");
    await page.getByRole("link", { name: "Reset your Live Support password" }).click();
    const text = (await page.locator("pre").textContent()) ?? "";
    const link = /http:\/\/localhost:0(\/reset-password\/[A-Za-z0-9_-]+)/.exec(text)?.[1] as string;
    expect(link).toBeDefined();
    await page.goto(link);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await page.getByLabel("New password", { exact: true }).fill("a fresh passphrase");
    await page.getByLabel("Repeat the new password").fill("a fresh passphrase 2");
    await page.getByRole("button", { name: "Save and sign in" }).click();
    await page.getByText("The two passwords differ").waitFor();
    await expectAccessible(page, "reset-password");
    await page.getByLabel("Repeat the new password").fill("a fresh passphrase");
    await page.getByRole("button", { name: "Save and sign in" }).click();
    await page.getByRole("heading", { name: "My tickets" }).waitFor();
    // The other device was signed out; the link does not work twice.
    expect(await server.app.prisma.authSession.count({ where: { userId: user.id, revokedAt: null } })).toBe(1);
    await page.goto(link);
    await page.getByLabel("New password", { exact: true }).fill("another passphrase");
    await page.getByLabel("Repeat the new password").fill("another passphrase");
    await page.getByRole("button", { name: "Save and sign in" }).click();
    await page.getByText("This link has expired or was already used.").waitFor();

    // The profile lists this device and offers the account's other essentials.
    await page.goto("/profile");
    await page.locator(".sign-ins li", { hasText: "this device" }).waitFor();
    await page.getByRole("button", { name: "Sign out everywhere" }).waitFor();
    await expectAccessible(page, "profile-account");
    await other.close();
    await context.close();
  });
});
