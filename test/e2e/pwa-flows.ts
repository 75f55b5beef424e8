import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type Actor, createTicket, invite, signUp } from "../fixtures.ts";
import { startTestServer, TestClock, type TestServer, untilSubscribed } from "../harness.ts";
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
  open(options?: { userAgent?: string }): Promise<EnginePage>;
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
      open: async (options?: { userAgent?: string }) => {
        const page = await browser.newPage(server.url, options);
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

/** A customer made through the API, signed in through the UI on a fresh page at their ticket list. */
async function customerPage(running: Running, email: string): Promise<{ page: EnginePage; actor: Actor }> {
  const actor = await signUp(running.server, email, "Carla Customer");
  const page = await running.open();
  await signIn(page, email, agentPassword);
  await page.waitForPath(/^\/tickets$/);
  return { page, actor };
}

async function agentPage(running: Running, next = "/inbox"): Promise<EnginePage> {
  const page = await running.open();
  await signIn(page, running.agent.email, agentPassword, next);
  return page;
}

/** Waits until one more live subscription than `before` listens on `topic`. */
function oneMore(running: Running, topic: string, before: number): Promise<void> {
  return untilSubscribed(running.server, topic, before + 1, 30_000);
}

const listeners = (running: Running, topic: string) => running.server.app.pubsub.listenerCount(topic);

/**
 * A ticket worked live: the customer files it with an attachment; the agent's inbox shows it live, the agent
 * replies and changes its status, the customer sees both live and answers, and the agent sees that answer live.
 */
export async function liveTicketFlow(running: Running, email: string): Promise<void> {
  const subject = `Printer is on fire (${email.split("@")[0]})`;
  const { page: customer } = await customerPage(running, email);
  const feedBefore = listeners(running, "ticketFeed");
  const agent = await agentPage(running);
  await agent.waitForPath(/^\/inbox/);
  await oneMore(running, "ticketFeed", feedBefore);

  await customer.click({ role: "link", name: "New ticket" });
  await customer.fill({ label: "Subject" }, subject);
  await customer.fill({ label: "Description" }, "Smoke comes out of the paper tray.");
  await customer.selectOption({ label: "Priority" }, "HIGH");
  await customer.setInputFile({ testId: "attach-files" }, join(running.staticDir, "icons/icon-192.png"));
  await customer.waitFor({ text: "icon-192.png" });
  expect(await horizontalOverflow(customer)).toBe(0);
  await customer.screenshot("new-ticket");
  await customer.click({ role: "button", name: "Create ticket" });
  const ticketPath = await customer.waitForPath(/^\/tickets\/(?!new$)[^/]+$/);
  await customer.waitFor({ role: "heading", name: subject });
  await customer.waitFor({ role: "link", name: "icon-192.png" });
  const ticket = await running.server.app.prisma.ticket.findFirstOrThrow({ where: { subject } });
  const topic = `ticket:${ticket.id}`;
  await oneMore(running, topic, 0);
  expect(await horizontalOverflow(customer)).toBe(0);
  await customer.screenshot("ticket-thread");

  // The agent's inbox learns of the ticket live.
  await agent.click({ testId: "new-items" });
  await agent.click({ role: "link", name: subject });
  await agent.waitFor({ role: "heading", name: subject });
  await agent.waitFor({ role: "link", name: "icon-192.png" });
  await oneMore(running, topic, 1);
  await agent.selectOption({ label: "Status" }, "IN_PROGRESS");
  await agent.fill({ label: "Reply", exact: true }, "We are on our way with an extinguisher.");
  await agent.click({ role: "button", name: "Send", exact: true });

  await customer.waitFor({ text: "We are on our way with an extinguisher." });
  await customer.waitUntil(
    () => document.querySelector('[data-testid="ticket-status"]')?.textContent?.trim() === "In progress",
    [],
    { what: "the status In progress" },
  );
  await customer.fill({ label: "Reply", exact: true }, "Thank you, the fire is out already.");
  await customer.click({ role: "button", name: "Send", exact: true });
  await agent.waitFor({ within: { testId: "messages" }, text: "Thank you, the fire is out already." });
  await customer.waitFor({ within: { testId: "messages" }, text: "Thank you, the fire is out already." });
  expect(await horizontalOverflow(agent)).toBe(0);
  await customer.screenshot("ticket-thread-live");
  await agent.screenshot("agent-ticket");
  expect(ticketPath).toBe(`/tickets/${ticket.id}`);
}

/** The agent narrows the inbox by priority, by status and by search words. */
export async function inboxFiltersFlow(running: Running): Promise<void> {
  const requester = await signUp(running.server, "filters@example.com", "Fiona Filters");
  await createTicket(running.server, requester, { subject: "Kettle is leaking", priority: "LOW" });
  await createTicket(running.server, requester, { subject: "Server room is flooded", priority: "URGENT" });
  const agent = await agentPage(running, "/inbox?view=all");
  await agent.waitFor({ role: "link", name: /Kettle is leaking/ });
  await agent.waitFor({ role: "link", name: /Server room is flooded/ });
  await agent.selectOption({ label: "Priority" }, "URGENT");
  await agent.waitForGone({ role: "link", name: /Kettle is leaking/ });
  await agent.waitFor({ role: "link", name: /Server room is flooded/ });
  await agent.selectOption({ label: "Priority" }, "");
  await agent.selectOption({ label: "Status" }, "RESOLVED");
  await agent.waitFor({ text: "No tickets match this view." });
  await agent.selectOption({ label: "Status" }, "");
  await agent.fill({ label: "Search" }, "kettle");
  await agent.waitFor({ role: "link", name: /Kettle is leaking/ });
  await agent.waitForGone({ role: "link", name: /Server room is flooded/ });
  expect(await horizontalOverflow(agent)).toBe(0);
  await agent.screenshot("agent-inbox-filtered");
}

/** Whether the app's persisted GraphQL cache (IndexedDB, written in the background) holds `text` yet. */
function persistedCacheHas(page: EnginePage, text: string): Promise<boolean> {
  return page.evaluate(
    (wanted: string) =>
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

/** Waits until the service worker is active and controls the page (reloading: a load racing activation is not). */
export async function untilServiceWorkerControls(page: EnginePage): Promise<void> {
  await page.waitUntil(
    async () => (await navigator.serviceWorker.getRegistration())?.active?.state === "activated",
    [],
    { what: "an activated service worker", timeoutMs: 60_000 },
  );
  await page.waitUntil(
    async (reload: boolean) => {
      if (navigator.serviceWorker.controller) return true;
      if (reload) location.reload();
      return false;
    },
    [true],
    { what: "the service worker to control the page", timeoutMs: 60_000 },
  );
}

/**
 * Offline: the service worker serves the shell, the thread opens from the persisted cache, a reply waits as pending
 * and the next start sends it once the network is back. (Firefox's offline emulation fires no `online` event in a page
 * loaded while offline, and WebKit's network is cut outside the browser, so the page believes it is online and the
 * failed send queues the reply; the `online` event's path is covered in Chromium, pwa.e2e.test.ts.)
 */
export async function offlineFlow(running: Running, email: string): Promise<void> {
  const { page, actor } = await customerPage(running, email);
  const ticket = await createTicket(running.server, actor, { subject: "Router blinks red" });
  const answer = await running.server.gql(
    `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`,
    { input: { ticketId: ticket.id, body: "Unplug it for ten seconds." } },
    running.agent.token,
  );
  expect(answer.data?.addTicketMessage.__typename).toBe("TicketMessage");
  await untilServiceWorkerControls(page);
  await page.goto(`/tickets/${ticket.id}`);
  await page.waitFor({ text: "Unplug it for ten seconds." });
  await expectEventually(() => persistedCacheHas(page, "Unplug it for ten seconds"), "the thread in IndexedDB");

  await page.setOffline(true);
  await page.reload();
  await page.waitFor({ role: "heading", name: "Router blinks red" });
  await page.waitFor({ text: "Unplug it for ten seconds." });
  if (page.engine === "firefox") await page.waitFor({ testId: "offline-indicator" });
  expect(await horizontalOverflow(page)).toBe(0);
  await page.screenshot("ticket-offline");

  const body = `Written on the train (${page.engine}).`;
  await page.fill({ label: "Reply", exact: true }, body);
  await page.click({ role: "button", name: /^Send/ });
  await page.waitFor({ within: { testId: "pending-message" }, text: "Pending" });
  await page.screenshot("ticket-offline-pending");

  await page.setOffline(false);
  await page.reload();
  await page.waitFor({ within: { testId: "messages" }, text: body }, 60_000);
  await page.waitForGone({ testId: "pending-message" }, 60_000);
  await page.waitForGone({ testId: "offline-indicator" });
  expect(await running.server.app.prisma.ticketMessage.count({ where: { body } })).toBe(1);
}

async function expectEventually(check: () => Promise<boolean>, what: string): Promise<void> {
  await expect.poll(check, { message: what, timeout: 30_000 }).toBe(true);
}

/** A session with a waiting room, started through the API by the agent. */
export async function startedSession(running: Running, title: string): Promise<{ id: string; accessToken: string }> {
  const start = new Date();
  const created = await running.server.gql(
    `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
      __typename ... on LiveSession { id accessToken } } }`,
    {
      input: {
        title,
        type: "SUPPORT_CALL",
        scheduledStartAt: start.toISOString(),
        scheduledEndAt: new Date(start.getTime() + 1_800_000).toISOString(),
        waitingRoom: true,
      },
    },
    running.agent.token,
  );
  const session = created.data?.createLiveSession as { id: string; accessToken: string };
  const started = await running.server.gql(
    `mutation($id: ID!) { startLiveSession(id: $id) { __typename } }`,
    { id: session.id },
    running.agent.token,
  );
  expect(started.data?.startLiveSession.__typename).toBe("LiveSession");
  return session;
}

/**
 * A guest on a phone opens the join link, asks to join, waits in the waiting room, and is let in by the host
 * (through the API); the page moves on to the call by itself. Returns the page at the call.
 */
export async function joinWaitingRoomFlow(running: Running, title: string): Promise<EnginePage> {
  const session = await startedSession(running, title);
  const topic = `liveSession:${session.id}`;
  const guest = await running.open();
  await guest.goto(`/session/join/${session.accessToken}`);
  await guest.waitFor({ role: "heading", name: title });
  await guest.fill({ label: "Your name" }, "Pat Doe");
  await guest.fill({ label: "Email" }, "pat@example.com");
  expect(await horizontalOverflow(guest)).toBe(0);
  await guest.screenshot("join-form");
  const before = listeners(running, topic);
  await guest.click({ role: "button", name: "Ask to join" });
  await guest.waitFor({ testId: "waiting-room" });
  await guest.waitFor({ text: "The host will let you in soon." });
  expect(await horizontalOverflow(guest)).toBe(0);
  await guest.screenshot("waiting-room");
  // The waiting room's subscription listens before the host admits, so the page learns of it live.
  await oneMore(running, topic, before);
  const admitted = await running.server.gql(
    `mutation($id: ID!) { admitAllParticipants(sessionId: $id) { __typename } }`,
    { id: session.id },
    running.agent.token,
  );
  expect(admitted.data?.admitAllParticipants.__typename).toBe("MutationAdmitAllParticipantsSuccess");
  await guest.waitFor({ role: "region", name: "Call" });
  return guest;
}
