import { describe, expect, it } from "vitest";
import { engineAvailable } from "./engines.ts";
import {
  horizontalOverflow,
  inboxFiltersFlow,
  joinWaitingRoomFlow,
  liveTicketFlow,
  offlineFlow,
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
});
