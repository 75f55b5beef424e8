import type { Browser, Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import type { Actor } from "../fixtures.ts";
import type { TestServer } from "../harness.ts";
import {
  axeViolations,
  chromiumAvailable,
  openContext,
  phoneContext,
  screenshot,
  takePolicyViolations,
  withAppInChromium,
} from "./browser.ts";

/**
 * Issue 19, a first day that goes right: the screens a new team meets first, at phone size in real Chromium against
 * the real API (invitee chips, GraphiQL with no network, …). Every screen passes axe-core and has a screenshot.
 */

let server: TestServer;
let browser: Browser;
let agent: Actor;
withAppInChromium((running) => {
  ({ server, browser, agent } = running);
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
    await run.click();
    await expect
      // The editor renders spaces as no-break spaces.
      .poll(async () => (await page.locator(".graphiql-response").textContent())?.replace(/\s+/g, " "))
      .toContain('"__typename": "Query"');
    await screenshot(page, "graphiql-offline");
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
