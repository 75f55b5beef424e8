import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTicket, signUp as signUpThroughApi } from "../fixtures.ts";
import { startTestServer, TestClock, type TestServer, untilSubscribed } from "../harness.ts";
import {
  axeViolations,
  buildApp,
  chromiumAvailable,
  launchChromium,
  openContext,
  persistedCacheHas,
  phoneContext,
  screenshot,
  takePolicyViolations,
  watchSubscriptions,
} from "./browser.ts";

/**
 * The PWA in real Chromium at phone size, against the built app served by the real API: the customer and the
 * agent work a ticket live, the app installs and works offline, and every screen passes axe-core.
 */
describe.skipIf(!chromiumAvailable)("PWA in Chromium", () => {
  let staticDir: string;
  let server: TestServer;
  let browser: Browser;
  const agent = { name: "Alice Agent", email: "alice@example.com", password: "agent-password-1" };
  const customer = { name: "Carl Customer", email: "carl@example.com", password: "customer-password-1" };
  let customerContext: BrowserContext;
  let customerPage: Page;
  let ticketPath = "";

  async function expectAccessible(page: Page, screen: string) {
    await screenshot(page, screen);
    expect(await axeViolations(page), `axe-core on ${screen}`).toEqual([]);
  }

  async function signIn(page: Page, user: { email: string; password: string }) {
    await page.goto("/signin");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  afterEach(async (context) => {
    if (context.task.result?.state !== "fail" || !customerPage) return;
    await screenshot(customerPage, `failed-${context.task.name.slice(0, 20)}`).catch(() => undefined);
    const text = await customerPage
      .locator("body")
      .textContent({ timeout: 2000 })
      .catch((error) => String(error));
    console.error(`Customer page at ${customerPage.url()}:\n${text}`);
  });

  afterEach(() => {
    expect(takePolicyViolations(), "Content-Security-Policy violations").toEqual([]);
  });

  beforeAll(async () => {
    staticDir = buildApp();
    // Tokens are checked against the server's clock; start it at the browser's time.
    server = await startTestServer({ staticDir, clock: new TestClock(new Date()) });
    // The first account of an install is its admin, which works the inbox like an agent.
    const signUp = await server.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { __typename } }`, {
      input: agent,
    });
    expect(signUp.data?.signUp.__typename).toBe("AuthPayload");
    browser = await launchChromium();
    customerContext = await phoneContext(browser, server.url);
    customerPage = await customerContext.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (staticDir) rmSync(staticDir, { recursive: true, force: true });
  });

  it("first route loads at most 80 KB of JavaScript (gzip)", async () => {
    const context = await phoneContext(browser, server.url);
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname;
      if (path.endsWith(".js") && path !== "/sw.js") scripts.push(path);
    });
    await page.goto("/signin");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    const gzipBytes = scripts.reduce((sum, path) => sum + gzipSync(readFileSync(join(staticDir, path))).length, 0);
    console.log(`Initial JS of /signin: ${scripts.length} files, ${(gzipBytes / 1024).toFixed(1)} KB gzip`);
    expect(gzipBytes).toBeLessThanOrEqual(80 * 1024);
    await context.close();
  });

  it("customer signs up, creates a ticket with an attachment; the agent sees it live and replies; the customer sees it live", async () => {
    const page = customerPage;
    const customerSockets = watchSubscriptions(page);
    await page.goto("/");
    await page.waitForURL("**/signin");
    await expectAccessible(page, "sign-in");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Name").fill(customer.name);
    await page.getByLabel("Email").fill("not-an-email");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => page.getByText("Use at least 8 characters").isVisible()).toBe(true);
    await expectAccessible(page, "sign-up-errors");
    await page.getByLabel("Email").fill(customer.email);
    await page.getByLabel("Password").fill(customer.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL("**/tickets");
    await page.getByText("No tickets yet").waitFor();
    await expectAccessible(page, "my-tickets-empty");

    const agentContext = await openContext(browser, { baseURL: server.url, viewport: { width: 1280, height: 800 } });
    const agentPage = await agentContext.newPage();
    const agentSockets = watchSubscriptions(agentPage);
    await signIn(agentPage, agent);
    await agentPage.waitForURL("**/inbox**");
    await agentPage.getByText("No tickets match this view.").waitFor();
    // A subscribe frame sent is not yet a subscription the server listens on: wait for the server's listener.
    await agentSockets.until("TicketFeed");
    await untilSubscribed(server, "ticketFeed");
    await expectAccessible(agentPage, "agent-inbox-empty");

    await page.getByRole("link", { name: "New ticket" }).first().click();
    await page.getByLabel("Subject").fill("Printer is on fire");
    await page.getByLabel("Description").fill("Smoke comes out of the paper tray.");
    await page.getByLabel("Priority").selectOption("HIGH");
    await page.locator('[data-testid="attach-files"]').setInputFiles({
      name: "photo.png",
      mimeType: "image/png",
      buffer: readFileSync(join(staticDir, "icons/icon-192.png")),
    });
    await page.getByText("photo.png").waitFor();
    await expectAccessible(page, "new-ticket");
    await page.getByRole("button", { name: "Create ticket" }).click();
    await page.waitForURL(/\/tickets\/(?!new$)[^/]+$/);
    ticketPath = new URL(page.url()).pathname;
    await page.getByRole("heading", { name: "Printer is on fire" }).waitFor();
    await page.getByRole("link", { name: "photo.png" }).waitFor();
    await customerSockets.until("TicketEvents");
    await untilSubscribed(server, `ticket:${ticketPath.split("/").pop()}`);
    await expectAccessible(page, "ticket-thread");

    // The agent's inbox shows the new ticket live, without reloading by itself.
    await agentPage.getByTestId("new-items").click();
    await agentPage.getByRole("link", { name: /Printer is on fire/ }).click();
    await agentPage.getByRole("heading", { name: "Printer is on fire" }).waitFor();
    await agentPage.getByRole("link", { name: "photo.png" }).waitFor();
    await expectAccessible(agentPage, "agent-ticket");
    await agentPage.getByLabel("Status").selectOption("IN_PROGRESS");
    await agentPage.getByLabel("Internal note (only agents see it)").check();
    await agentPage.getByLabel("Internal note", { exact: true }).fill("Customer may need a new printer.");
    await agentPage.getByRole("button", { name: "Send" }).click();
    await agentPage.getByText("Customer may need a new printer.").waitFor();
    await agentPage.getByLabel("Reply").fill("We are on our way with an extinguisher.");
    await agentPage.getByRole("button", { name: "Send" }).click();

    // The customer sees the reply and the status change live, and never the internal note.
    await page.getByText("We are on our way with an extinguisher.").waitFor();
    await expect.poll(() => page.getByTestId("ticket-status").textContent()).toBe("In progress");
    expect(await page.getByText("Customer may need a new printer.").count()).toBe(0);
    await screenshot(page, "ticket-thread-live");
    await agentContext.close();
  });

  it("is installable: manifest with icons and a maskable icon, service worker controlling the page", async () => {
    // A fresh device for the customer: the worker installs on the first visit.
    await customerContext.close();
    customerContext = await phoneContext(browser, server.url);
    customerPage = await customerContext.newPage();
    const page = customerPage;
    await signIn(page, customer);
    await page.waitForURL("**/tickets");
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute("href");
    const manifest = (await (await page.request.get(manifestHref ?? "")).json()) as {
      name: string;
      short_name: string;
      display: string;
      theme_color: string;
      icons: { src: string; sizes: string; purpose?: string }[];
    };
    expect(manifest).toMatchObject({ name: "Live Support", short_name: "Support", display: "standalone" });
    expect(manifest.icons.map((icon) => icon.sizes)).toEqual(expect.arrayContaining(["192x192", "512x512"]));
    expect(manifest.icons.some((icon) => icon.purpose === "maskable")).toBe(true);
    for (const icon of manifest.icons) {
      const response = await page.request.get(icon.src);
      expect(response.headers()["content-type"]).toBe("image/png");
    }
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state))
      .toBe("activated");
    // A page opened before the first install is claimed by the worker; any later load is controlled from the start.
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  });

  it("keeps the refresh token in an httpOnly, SameSite=Strict cookie for /auth/refresh only, out of script reach", async () => {
    const page = customerPage;
    await page.goto("/tickets");
    await page.getByRole("link", { name: /Printer is on fire/ }).waitFor();
    const cookies = await customerContext.cookies();
    expect(cookies.map((cookie) => cookie.name)).toEqual(["ls_refresh"]);
    const [refresh] = cookies;
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/auth/refresh" });
    const scriptSees = await page.evaluate(() => JSON.stringify({ ...localStorage }) + document.cookie);
    expect(scriptSees).not.toContain(refresh?.value);
    expect(scriptSees).not.toContain("refreshToken");
  });

  it("stays signed in when a refresh's answer is lost (navigating away mid-refresh) and when tabs open at once", async () => {
    const page = customerPage;
    // The server trades the refresh cookie, but the answer (and the new cookie it sets) never reaches the page.
    let intercepted = false;
    let lost = 0;
    await page.route("**/auth/refresh", async (route) => {
      if (intercepted) return route.fallback();
      intercepted = true;
      const before = await customerContext.cookies();
      await route.fetch();
      await customerContext.clearCookies();
      await customerContext.addCookies(before);
      await route.abort("connectionreset");
      lost += 1;
    });
    await page.reload();
    await expect.poll(() => lost).toBe(1);
    await page.unroute("**/auth/refresh");
    // The next load presents the same token again: a retry, not a theft.
    await page.goto("/tickets");
    await page.getByRole("link", { name: /Printer is on fire/ }).waitFor();
    // Three tabs start at once, each trading the shared refresh token; every one stays signed in.
    const tabs = await Promise.all([1, 2, 3].map(() => customerContext.newPage()));
    await Promise.all(tabs.map((tab) => tab.goto("/tickets")));
    for (const tab of tabs) await tab.getByRole("link", { name: /Printer is on fire/ }).waitFor();
    await Promise.all(tabs.map((tab) => tab.close()));
    await page.reload();
    await page.getByRole("link", { name: /Printer is on fire/ }).waitFor();
  });

  it("offline: the shell and the last-seen ticket open with an offline indicator; a queued reply is sent on reconnect", async () => {
    const page = customerPage;
    await page.goto("/tickets");
    await page.getByRole("link", { name: /Printer is on fire/ }).waitFor();
    await page.goto(ticketPath);
    await page.getByText("We are on our way with an extinguisher.").waitFor();
    // The normalized cache is written to IndexedDB in the background; wait until the thread is stored.
    await expect.poll(() => persistedCacheHas(page, "extinguisher")).toBe(true);

    await customerContext.setOffline(true);
    await page.reload();
    await page.getByTestId("offline-indicator").waitFor();
    await page.getByRole("heading", { name: "Printer is on fire" }).waitFor();
    await page.getByText("We are on our way with an extinguisher.").waitFor();
    await expectAccessible(page, "ticket-offline");

    await page.getByLabel("Reply").fill("Written on the train, no signal.");
    await page.getByRole("button", { name: "Send when online" }).click();
    await page.getByTestId("pending-message").getByText("Pending").waitFor();
    await screenshot(page, "ticket-offline-pending");

    await page
      .getByRole("link", { name: /My tickets/ })
      .first()
      .click();
    await page.getByRole("link", { name: /Printer is on fire/ }).waitFor();

    await customerContext.setOffline(false);
    await page.getByRole("link", { name: /Printer is on fire/ }).click();
    await page.getByTestId("messages").getByText("Written on the train, no signal.").waitFor();
    await expect.poll(() => page.getByTestId("pending-message").count()).toBe(0);
    expect(await page.getByTestId("offline-indicator").count()).toBe(0);
  });

  it("a reply whose answer is lost is sent again by the outbox under its idempotency key and stored once", async () => {
    const page = customerPage;
    const body = "Sent while the tunnel swallowed the answer.";
    await page.goto(ticketPath);
    await page.getByRole("heading", { name: "Printer is on fire" }).waitFor();
    // The server stores the reply, but its answer never reaches the page.
    let lost = 0;
    await page.route("**/graphql", async (route) => {
      if (lost > 0 || !route.request().postData()?.includes("addTicketMessage")) return route.fallback();
      await route.fetch();
      await route.abort("connectionreset");
      lost += 1;
    });
    await page.getByLabel("Reply").fill(body);
    await page.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => lost).toBe(1);
    await page.getByTestId("pending-message").getByText("Pending").waitFor();
    await page.unroute("**/graphql");
    // The next start sends the outbox: the server answers the stored reply instead of storing it again.
    await page.reload();
    await expect.poll(() => page.getByTestId("pending-message").count()).toBe(0);
    await page.getByTestId("messages").getByText(body).waitFor();
    expect(await page.getByTestId("messages").getByText(body).count()).toBe(1);
    expect(await server.app.prisma.ticketMessage.count({ where: { body } })).toBe(1);
  });

  it("profile: email preferences load, save at once and stay saved; push opt-in is offered", async () => {
    const page = customerPage;
    await page.goto("/profile");
    const reply = page.getByRole("checkbox", { name: "An agent answered my ticket" });
    await reply.waitFor();
    expect(await reply.isChecked()).toBe(true);
    // Agent-only kinds are not offered to customers.
    expect(await page.getByRole("checkbox", { name: "A ticket was assigned to me" }).count()).toBe(0);
    await page.getByRole("button", { name: "Remind me on this device" }).waitFor();
    await expectAccessible(page, "profile");
    await reply.uncheck();
    await page.getByText("Saved.").waitFor();
    await page.reload();
    await page.getByRole("checkbox", { name: "My ticket was resolved" }).waitFor();
    // The cached copy was updated with the saved value, and the server's answer follows it.
    await expect
      .poll(() => page.getByRole("checkbox", { name: "An agent answered my ticket" }).isChecked())
      .toBe(false);
    const logIn = await server.gql(
      `mutation($input: LogInInput!) { logIn(input: $input) { ... on AuthPayload { accessToken } } }`,
      { input: { email: customer.email, password: customer.password } },
    );
    const me = await server.gql(
      `{ me { notificationPreferences { ticketReply ticketResolved } } }`,
      {},
      logIn.data?.logIn.accessToken,
    );
    expect(me.data?.me.notificationPreferences).toEqual({ ticketReply: false, ticketResolved: true });
  });

  it("a push message shows a notification carrying the ticket link", async () => {
    const page = customerPage;
    await customerContext.grantPermissions(["notifications"], { origin: server.url });
    const cdp = await customerContext.newCDPSession(page);
    // The registration whose worker is active receives the push (CDP stands in for the push service).
    const versions = new Map<string, { registrationId: string; status: string; runningStatus: string }>();
    cdp.on("ServiceWorker.workerVersionUpdated", (event) => {
      for (const version of event.versions) versions.set(version.versionId, version);
    });
    await cdp.send("ServiceWorker.enable");
    const activeRegistration = () =>
      [...versions.values()].find((version) => version.status === "activated")?.registrationId;
    await expect.poll(activeRegistration).toBeDefined();
    const deliver = () =>
      cdp.send("ServiceWorker.deliverPushMessage", {
        origin: server.url,
        registrationId: activeRegistration() ?? "",
        data: JSON.stringify({ title: "New reply on TKT", body: "Alice replied", url: ticketPath }),
      });
    const shownNotification = () =>
      page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        const notifications = (await registration?.getNotifications()) ?? [];
        const match = notifications.find((notification) => notification.title === "New reply on TKT");
        return match ? { body: match.body, data: match.data as unknown } : null;
      });
    // A push that reaches a worker still starting up can be dropped by the DevTools hook; send it again.
    let polls = 0;
    const workers = JSON.stringify([...versions.values()]);
    await expect
      .poll(
        async () => {
          if (polls++ % 20 === 0) await deliver();
          return shownNotification();
        },
        { message: `notification shown by ${workers}` },
      )
      .toEqual({ body: "Alice replied", data: { url: ticketPath } });
  });

  it("after the server closes the socket for an expired token (4419), refreshes and the inbox is live again", async () => {
    const agentContext = await openContext(browser, { baseURL: server.url, viewport: { width: 1280, height: 800 } });
    const agentPage = await agentContext.newPage();
    let subscribed = 0;
    agentPage.on("websocket", (socket) =>
      socket.on("framesent", (frame) => {
        if (String(frame.payload).includes('"type":"subscribe"') && String(frame.payload).includes("TicketFeed"))
          subscribed += 1;
      }),
    );
    await signIn(agentPage, agent);
    await agentPage.waitForURL("**/inbox**");
    await expect.poll(() => subscribed).toBe(1);
    // Only the server's clock passes the token's expiry: the page learns it from the close code alone.
    const refreshed = agentPage.waitForRequest((request) => request.url().endsWith("/auth/refresh"));
    server.clock.advance(16 * 60_000);
    await refreshed;
    await expect.poll(() => subscribed >= 2).toBe(true);
    await createTicket(server, await signUpThroughApi(server, "late@example.com"), { subject: "Kettle is leaking" });
    await agentPage.getByTestId("new-items").click();
    await agentPage.getByRole("link", { name: /Kettle is leaking/ }).waitFor();
    await agentContext.close();
  });

  it("signing out revokes the sign-in and clears the refresh cookie", async () => {
    const page = customerPage;
    await page.goto("/profile");
    const [refresh] = await customerContext.cookies();
    expect(refresh?.name).toBe("ls_refresh");
    await page.getByRole("button", { name: "Sign out" }).click();
    // The profile route's guard may get there first, with ?next=/profile.
    await page.waitForURL(/\/signin(\?|$)/);
    await expect.poll(async () => (await customerContext.cookies()).length).toBe(0);
    // A copy of the cookie taken before is refused too: the sign-in was revoked.
    const replay = await fetch(`${server.url}/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: `ls_refresh=${refresh?.value}` },
      body: "{}",
    });
    expect(replay.status).toBe(401);
  });
});
