import { createECDH, randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import type { Actor } from "../fixtures.ts";
import { type TestServer, untilSubscribed } from "../harness.ts";
import {
  axeViolations,
  chromiumAvailable,
  openContext,
  persistedCacheHas,
  screenshot,
  takePolicyViolations,
  watchSubscriptions,
  withAppInChromium,
} from "./browser.ts";

/**
 * The built PWA (top-level vite.config.ts) served by the real API, in Debian's Chromium with fake camera and
 * microphone: an agent schedules a session in the UI, a participant on a phone viewport joins through the link, waits,
 * is admitted, both are in the call and see each other's video, chat goes both ways, the host ends the session.
 */

let server: TestServer;
let browser: Browser;
let agent: Actor;
withAppInChromium((running) => {
  ({ server, browser, agent } = running);
});

/** Whether the video labelled `label` is decoding frames. */
async function decoding(page: Page, label: string): Promise<boolean> {
  return page.evaluate((name) => {
    const video = document.querySelector<HTMLVideoElement>(`video[aria-label="${name}"]`);
    return Boolean(video && video.videoWidth > 0 && video.currentTime > 0);
  }, label);
}

describe.skipIf(!chromiumAvailable)("sessions screens in Chromium", () => {
  afterEach(() => {
    expect(takePolicyViolations(), "Content-Security-Policy violations").toEqual([]);
  });

  it("host schedules, participant waits, is admitted, both are in the call and chat, host ends", async () => {
    const hostContext = await openContext(browser, { viewport: { width: 390, height: 844 }, baseURL: server.url });
    await hostContext.grantPermissions(["camera", "microphone", "clipboard-read", "clipboard-write"]);
    const host = await hostContext.newPage();
    host.on("dialog", (dialog) => void dialog.accept());

    // Sign in and open the dashboard.
    await host.goto("/signin?next=/sessions");
    await host.getByLabel("Email").fill("agent@example.com");
    await host.getByLabel("Password").fill("correct horse battery");
    await host.getByRole("button", { name: "Sign in" }).click();
    await host.getByRole("heading", { name: "Live sessions" }).waitFor();
    await host.getByText("No upcoming sessions").waitFor();
    expect(await axeViolations(host)).toEqual([]);

    // Schedule: a support call with a waiting room (default) and one invitee pasted as "Name <email>".
    await host.getByRole("link", { name: "Schedule a session" }).click();
    await host.getByLabel("Title").fill("Router setup help");
    await host.getByLabel("Invitees").fill("Pat Doe <pat@example.com>");
    await host.getByRole("button", { name: "Schedule" }).click();
    await host.getByRole("heading", { name: "Router setup help" }).waitFor();
    const joinUrl = (await host.getByTestId("join-url").textContent()) ?? "";
    const token = joinUrl.split("/session/join/")[1];
    expect(token).toBeTruthy();
    await host.getByRole("button", { name: "Start session" }).click();
    await host.getByTestId("session-status").getByText("Live").waitFor();
    // The host waits in the call.
    await host.getByRole("button", { name: "Join call" }).click();
    await host.getByRole("button", { name: "Join", exact: true }).click();
    await host.getByRole("toolbar", { name: "Call controls" }).waitFor();

    // The participant, on a phone, opens the link.
    const guestContext = await openContext(browser, { viewport: { width: 360, height: 740 }, baseURL: server.url });
    await guestContext.grantPermissions(["camera", "microphone"]);
    await guestContext.grantPermissions(["notifications"], { origin: server.url });
    // Headless Chromium has no push service to subscribe with here: PushManager answers with a subscription made of
    // real P-256 and auth keys, as a browser would, so the page's opt-in and the API's registration run for real.
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    await guestContext.addInitScript(
      ({ p256dh, auth }) => {
        const bytes = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
        const subscription = {
          endpoint: "https://push.example.com/guest-device",
          getKey: (name: string) => bytes(name === "p256dh" ? p256dh : auth),
        };
        PushManager.prototype.getSubscription = async () => null;
        PushManager.prototype.subscribe = async () => subscription as unknown as PushSubscription;
      },
      { p256dh: ecdh.getPublicKey().toString("base64"), auth: randomBytes(16).toString("base64") },
    );
    const guest = await guestContext.newPage();
    for (const page of [host, guest]) {
      page.on("pageerror", (error) => console.warn(`page error: ${error.message}`));
    }
    await guest.goto(`/session/join/${token}`);
    await guest.getByRole("heading", { name: "Router setup help" }).waitFor();
    expect(await axeViolations(guest)).toEqual([]);
    await guest.getByLabel("Your name").fill("Pat Doe");
    await guest.getByLabel("Email").fill("pat@example.com");
    await guest.getByRole("button", { name: "Ask to join" }).click();
    await guest.getByTestId("waiting-room").waitFor();
    // While waiting, the participant (no account) can have reminders pushed to this phone.
    await guest.getByRole("button", { name: "Remind me on this device" }).click();
    await guest.getByText("Reminders will arrive on this device.").waitFor();
    expect(
      await server.app.prisma.pushSubscription.count({
        where: { endpoint: "https://push.example.com/guest-device", participantId: { not: null } },
      }),
    ).toBe(1);

    // In the call, the host hears and sees the knock, and finds the waiting room in the sheet over the video.
    await host.getByRole("status").filter({ hasText: "Pat Doe asks to join" }).waitFor();
    await screenshot(host, "call-host-knock");
    await host.getByRole("button", { name: "Participants" }).click();
    await host.getByRole("button", { name: "Admit Pat Doe" }).waitFor();
    await screenshot(host, "call-host-sheet");
    expect(await axeViolations(host)).toEqual([]);
    // The host admits; the participant's page moves on by itself.
    await host.getByRole("button", { name: "Admit Pat Doe" }).click();
    await guest.getByRole("region", { name: "Call" }).waitFor();
    await guest.getByRole("button", { name: "Join", exact: true }).click();

    // Both decode each other's video.
    await expect.poll(() => decoding(guest, "agent's video"), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => decoding(host, "Pat Doe's video"), { timeout: 60_000 }).toBe(true);

    // Chat both ways, in a sheet over the call.
    await guest.getByRole("button", { name: "Chat" }).click();
    await host.getByRole("button", { name: "Chat" }).click();
    await guest.getByRole("textbox", { name: "Message" }).fill("Hello from Pat");
    await guest.getByRole("button", { name: "Send" }).click();
    await host.getByTestId("chat-log").getByText("Hello from Pat").waitFor();
    await host.getByRole("textbox", { name: "Message" }).fill("Hi Pat, welcome");
    await host.getByRole("button", { name: "Send" }).click();
    await guest.getByTestId("chat-log").getByText("Hi Pat, welcome").waitFor();

    // The host ends the session from the sheet; the participant sees it ended.
    await host.getByRole("button", { name: "Participants" }).click();
    await host.getByRole("button", { name: "End session" }).click();
    await guest.getByTestId("join-done").getByText("The session has ended").waitFor();
    await host.getByTestId("session-status").getByText("Ended").waitFor();

    await guestContext.close();
    await hostContext.close();
  });

  it("the join page names every refusal: domain, password, locked, ended", async () => {
    const start = new Date(Date.now() + 60_000);
    const created = await server.gql(
      `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
        __typename ... on LiveSession { id accessToken } } }`,
      {
        input: {
          title: "Private training",
          type: "TRAINING",
          scheduledStartAt: start.toISOString(),
          scheduledEndAt: new Date(start.getTime() + 3_600_000).toISOString(),
          password: "open sesame",
          allowedEmailDomains: ["example.com"],
          waitingRoom: false,
        },
      },
      agent.token,
    );
    const session = created.data?.createLiveSession as { id: string; accessToken: string };
    expect(session.id).toBeTruthy();

    const context = await openContext(browser, { viewport: { width: 360, height: 740 }, baseURL: server.url });
    const page = await context.newPage();
    await page.goto(`/session/join/${session.accessToken}`);
    await page.getByRole("heading", { name: "Private training" }).waitFor();
    await page.getByLabel("Your name").fill("Eve");
    await page.getByLabel("Email").fill("eve@other.org");
    await page.getByLabel("Session password").fill("guess");
    await page.getByRole("button", { name: "Join" }).click();
    await page.getByTestId("join-refusal").getByText("Only addresses at example.com may join.").waitFor();
    await page.getByText("Use an address at example.com.").waitFor();

    await page.getByLabel("Email").fill("eve@example.com");
    await page.getByRole("button", { name: "Join" }).click();
    await page.getByTestId("join-refusal").getByText("Wrong password.").waitFor();
    await page.getByText("That password is not right.").waitFor();
    expect(await axeViolations(page)).toEqual([]);

    const lock = await server.gql(
      `mutation($id: ID!) { setSessionLocked(id: $id, locked: true) { __typename } }`,
      { id: session.id },
      agent.token,
    );
    expect(lock.data?.setSessionLocked.__typename).toBe("LiveSession");
    await page.getByLabel("Session password").fill("open sesame");
    await page.getByRole("button", { name: "Join" }).click();
    await page.getByTestId("join-refusal").getByText("The host locked this session").waitFor();

    await server.gql(
      `mutation($id: ID!) { startLiveSession(id: $id) { __typename } }`,
      { id: session.id },
      agent.token,
    );
    await server.gql(`mutation($id: ID!) { endLiveSession(id: $id) { __typename } }`, { id: session.id }, agent.token);
    await page.getByRole("button", { name: "Join" }).click();
    await page.getByTestId("join-refusal").getByText("This session has ended.").waitFor();
    // Opened after the end, the page shows only that: no form, no "Ask to join", no head count.
    await page.reload();
    await page.getByTestId("join-ended").getByText("This session has ended.").waitFor();
    await expect(page.getByRole("textbox").count()).resolves.toBe(0);
    await expect(page.getByRole("button").filter({ hasText: /join/i }).count()).resolves.toBe(0);
    await expect(page.getByText(/\d+\/\d+ in/).count()).resolves.toBe(0);
    await screenshot(page, "join-ended");
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it("moving from one session's detail to another's in the app shows the second, live", async () => {
    const schedule = async (title: string) => {
      const start = new Date(Date.now() + 3_600_000);
      const created = await server.gql(
        `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
          __typename ... on LiveSession { id accessToken } } }`,
        {
          input: {
            title,
            type: "SUPPORT_CALL",
            scheduledStartAt: start.toISOString(),
            scheduledEndAt: new Date(start.getTime() + 1_800_000).toISOString(),
          },
        },
        agent.token,
      );
      return created.data?.createLiveSession as { id: string; accessToken: string };
    };
    const first = await schedule("Printer troubleshooting");
    const second = await schedule("Billing walkthrough");
    const context = await openContext(browser, { viewport: { width: 390, height: 844 }, baseURL: server.url });
    const page = await context.newPage();
    const subscriptions = watchSubscriptions(page);
    await page.goto(`/signin?next=/sessions/${first.id}`);
    await page.getByLabel("Email").fill("agent@example.com");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Printer troubleshooting" }).waitFor();

    // A link inside the app: the router keeps the detail screen mounted and only its :id changes.
    await page.evaluate((id) => {
      const link = Object.assign(document.createElement("a"), { href: `/sessions/${id}`, textContent: "Next session" });
      document.querySelector("main")?.append(link);
    }, second.id);
    await page.getByRole("link", { name: "Next session" }).click();
    await page.getByRole("heading", { name: "Billing walkthrough" }).waitFor();
    expect(await page.getByTestId("join-url").textContent()).toContain(second.accessToken);
    expect(await page.getByRole("heading", { name: "Printer troubleshooting" }).count()).toBe(0);

    // The second session's live events reach the screen. A subscribe frame sent is not yet a subscription the
    // server attached: wait until the page's three session subscriptions (state, participants, waiting room) listen.
    await subscriptions.until(second.id);
    await untilSubscribed(server, `liveSession:${second.id}`, 3);
    await server.gql(`mutation($id: ID!) { startLiveSession(id: $id) { __typename } }`, { id: second.id }, agent.token);
    await page.getByTestId("session-status").getByText("Live").waitFor();
    await context.close();
  });

  it("a session started while the page's subscriptions are not live yet shows as live all the same", async () => {
    const start = new Date(Date.now() + 3_600_000);
    const created = await server.gql(
      `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) { __typename ... on LiveSession { id } } }`,
      {
        input: {
          title: "Slow network onboarding",
          type: "SUPPORT_CALL",
          scheduledStartAt: start.toISOString(),
          scheduledEndAt: new Date(start.getTime() + 1_800_000).toISOString(),
        },
      },
      agent.token,
    );
    const id = created.data?.createLiveSession.id as string;
    const context = await openContext(browser, { viewport: { width: 390, height: 844 }, baseURL: server.url });
    const page = await context.newPage();
    // The socket holds back the page's subscriptions to this session (a slow or busy network) until released.
    const held: string[] = [];
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.routeWebSocket(/\/graphql/, (socket) => {
      const upstream = socket.connectToServer();
      socket.onMessage((message) => {
        const text = String(message);
        if (text.includes('"type":"subscribe"') && text.includes(id)) {
          held.push(text);
          void released.then(() => upstream.send(text));
        } else upstream.send(message);
      });
    });
    await page.goto(`/signin?next=/sessions/${id}`);
    await page.getByLabel("Email").fill("agent@example.com");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Slow network onboarding" }).waitFor();
    await expect.poll(() => held.some((frame) => frame.includes("sessionState("))).toBe(true);
    await expect(page.getByTestId("session-status").textContent()).resolves.toContain("Scheduled");

    // Started after the page read the session, before its subscriptions reach the server.
    await server.gql(`mutation($id: ID!) { startLiveSession(id: $id) { __typename } }`, { id }, agent.token);
    release();
    // They start again after the page's first read (its eventCursor), so the server sends the start they missed.
    await page.getByTestId("session-status").getByText("Live").waitFor();
    await context.close();
  });

  it("offline: the dashboard and a session's detail open from the last-seen data, with the offline indicator", async () => {
    const created = await server.gql(
      `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) { __typename ... on LiveSession { id } } }`,
      {
        input: {
          title: "Offline onboarding",
          type: "TRAINING",
          scheduledStartAt: new Date(Date.now() + 3_600_000).toISOString(),
          scheduledEndAt: new Date(Date.now() + 7_200_000).toISOString(),
        },
      },
      agent.token,
    );
    const sessionId = created.data?.createLiveSession.id as string;
    const context = await openContext(browser, { viewport: { width: 360, height: 740 }, baseURL: server.url });
    const page = await context.newPage();
    await page.goto("/signin?next=/sessions");
    await page.getByLabel("Email").fill("agent@example.com");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: /Offline onboarding/ }).waitFor();
    // The service worker takes control (the shell then comes from its precache); the data from IndexedDB.
    // Polled through evaluate (which awaits the promise), as in the PWA test: a waitForFunction predicate
    // returning a promise counted as true at once, so the reload could come before the worker was active.
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state), {
        timeout: 30_000,
      })
      .toBe("activated");
    // Reloaded until the worker controls the page (a load racing the activation may still go to the network).
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.evaluate(() => navigator.serviceWorker.controller !== null);
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(true);
    await page.getByRole("link", { name: /Offline onboarding/ }).click();
    await page.getByRole("heading", { name: "Offline onboarding" }).waitFor();
    await expect.poll(() => persistedCacheHas(page, sessionId)).toBe(true);

    await context.setOffline(true);
    await page.goto("/sessions");
    await page.getByTestId("offline-indicator").waitFor();
    await page.getByRole("link", { name: /Offline onboarding/ }).waitFor();
    await page.goto(`/sessions/${sessionId}`);
    await page.getByRole("heading", { name: "Offline onboarding" }).waitFor();
    await page.getByTestId("offline-indicator").waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });
});
