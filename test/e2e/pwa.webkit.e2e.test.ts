import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { signUp } from "../fixtures.ts";
import { engineAvailable } from "./engines.ts";
import {
  agentPassword,
  horizontalOverflow,
  inboxFiltersFlow,
  joinWaitingRoomFlow,
  liveTicketFlow,
  offlineFlow,
  signIn,
  signUpFlow,
  withAppIn,
} from "./pwa-flows.ts";

/** The PWA's main flows in WebKitGTK (MiniBrowser through WebKitWebDriver), at phone size. */
const available = engineAvailable("webkit");
const running = withAppIn("webkit", available);

describe.skipIf(!available)("PWA in WebKit", () => {
  it("signs up: form errors, then an account and the empty ticket list", async () => {
    await signUpFlow(running);
  });

  it("works a ticket live: new ticket with an attachment, replies and status both ways", async () => {
    await liveTicketFlow(running, "webkit-customer@example.com");
  });

  it("filters the inbox by priority, status and words", async () => {
    await inboxFiltersFlow(running);
  });

  it("offline: the service worker serves the shell, the thread opens from the cache, a queued reply goes out", async () => {
    await offlineFlow(running, "webkit-offline@example.com");
  });

  it("joins a session from its link: waiting room, admitted live; without WebRTC the call says so", async () => {
    const guest = await joinWaitingRoomFlow(running, "Router setup help");
    // Debian's WebKitGTK is built without WebRTC (should that change, this test must grow a call).
    expect(await guest.evaluate(() => typeof RTCPeerConnection)).toBe("undefined");
    await guest.waitFor({ role: "heading", name: "This browser cannot make video calls" });
    await guest.waitFor({ text: "Open this link in an up-to-date Safari, Chrome, Edge or Firefox" });
    expect(await horizontalOverflow(guest)).toBe(0);
    await guest.screenshot("call-unsupported");
    await guest.click({ role: "button", name: "Leave", exact: true });
    await guest.waitFor({ within: { testId: "join-done" }, text: "You left the session." });
  });

  it("honours Safari's rules for web apps: Home Screen icon and status bar, push only once installed", async () => {
    // The built page: the icon iOS puts on the Home Screen (180x180 PNG) and how the installed app looks.
    const html = readFileSync(join(running.staticDir, "index.html"), "utf8");
    const meta = (name: string) => html.match(new RegExp(`<meta name="${name}" content="([^"]*)"`))?.[1];
    expect(meta("apple-mobile-web-app-status-bar-style")).toBe("black-translucent");
    expect(meta("apple-mobile-web-app-capable")).toBe("yes");
    expect(meta("apple-mobile-web-app-title")).toBe("Support");
    expect(html).toMatch(/<meta name="viewport" content="[^"]*viewport-fit=cover/);
    const icon = html.match(/<link rel="apple-touch-icon" href="([^"]+)"/)?.[1] ?? "";
    const response = await fetch(new URL(icon, running.server.url));
    expect(response.headers.get("content-type")).toBe("image/png");
    const png = Buffer.from(await response.arrayBuffer());
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([180, 180]);

    // Safari on an iPhone, in a tab: push cannot work there, so the app explains installing instead of offering it.
    await signUp(running.server, "iphone@example.com", "Ivy Phone");
    const iphone = await running.open({
      userAgent:
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
    });
    await signIn(iphone, "iphone@example.com", agentPassword, "/profile");
    await iphone.waitFor({ testId: "push-install-first" });
    await iphone.waitFor({ text: "add Live Support to your Home Screen first" });
    expect(await iphone.count({ role: "button", name: "Remind me on this device" })).toBe(0);
    expect(await horizontalOverflow(iphone)).toBe(0);
    await iphone.screenshot("profile-iphone-tab");
  });
});
