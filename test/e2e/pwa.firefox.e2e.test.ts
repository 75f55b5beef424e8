import { describe, expect, it } from "vitest";
import { engineAvailable } from "./engines.ts";
import {
  inboxFiltersFlow,
  joinWaitingRoomFlow,
  liveTicketFlow,
  offlineFlow,
  signUpFlow,
  withAppIn,
} from "./pwa-flows.ts";

/** The PWA's main flows in Firefox ESR (puppeteer-core over WebDriver BiDi), at phone size. */
const available = engineAvailable("firefox");
const running = withAppIn("firefox", available);

describe.skipIf(!available)("PWA in Firefox", () => {
  it("signs up: form errors, then an account and the empty ticket list", async () => {
    await signUpFlow(running);
  });

  it("works a ticket live: new ticket with an attachment, replies and status both ways", async () => {
    await liveTicketFlow(running, "firefox-customer@example.com");
  });

  it("filters the inbox by priority, status and words", async () => {
    await inboxFiltersFlow(running);
  });

  it("offline: the service worker serves the shell, the thread opens from the cache, a queued reply goes out", async () => {
    await offlineFlow(running, "firefox-offline@example.com");
  });

  it("joins a session from its link: waiting room, admitted live, camera after a tap, then in the call", async () => {
    const guest = await joinWaitingRoomFlow(running, "Router setup help");
    // The page moved on by itself: the camera waits for a tap (Safari's rule, kept everywhere).
    await guest.waitFor({ role: "button", name: "Turn on camera and microphone" });
    expect(await guest.evaluate(() => document.querySelector("video")?.srcObject ?? null)).toBeNull();
    await guest.click({ role: "button", name: "Turn on camera and microphone" });
    await guest.waitUntil(
      () => [...document.querySelectorAll("video")].some((video) => video.videoWidth > 0 && video.currentTime > 0),
      [],
      { what: "the camera preview playing" },
    );
    await guest.screenshot("call-prejoin");
    await guest.click({ role: "button", name: "Join", exact: true });
    await guest.waitFor({ role: "toolbar", name: "Call controls" });
    // Firefox's fake camera plays in the self view.
    await guest.waitUntil(
      () => [...document.querySelectorAll("video")].some((video) => video.videoWidth > 0 && video.currentTime > 0),
      [],
      { what: "the camera playing" },
    );
    await guest.screenshot("call-joined");
  });
});
