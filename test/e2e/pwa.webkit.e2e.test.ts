import { describe, it } from "vitest";
import { engineAvailable } from "./engines.ts";
import { inboxFiltersFlow, liveTicketFlow, offlineFlow, signUpFlow, withAppIn } from "./pwa-flows.ts";

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
});
