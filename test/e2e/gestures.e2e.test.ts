import type { Browser } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import type { Actor } from "../fixtures.ts";
import type { TestServer } from "../harness.ts";
import { createSession, hostAction } from "../session-fixtures.ts";
import { chromiumAvailable, openContext, screenshot, takePolicyViolations, withAppInChromium } from "./browser.ts";

/**
 * Raised hands and reactions in the built PWA, through the API's subscriptions: a participant on a phone raises a
 * hand and reacts, the host sees both over the call and lowers the hand from the participants sheet.
 */

let server: TestServer;
let browser: Browser;
let agent: Actor;
withAppInChromium((running) => {
  ({ server, browser, agent } = running);
});

describe.skipIf(!chromiumAvailable)("hands and reactions in Chromium", () => {
  afterEach(() => {
    expect(takePolicyViolations(), "Content-Security-Policy violations").toEqual([]);
  });

  it("a participant raises a hand and reacts; the host sees both, lowers the hand, mutes and asks to unmute", async () => {
    const session = await createSession(server, agent, { title: "Hands up", waitingRoom: false });
    await hostAction(server, agent, "startLiveSession", { id: session.id });

    const hostContext = await openContext(browser, { viewport: { width: 390, height: 844 }, baseURL: server.url });
    await hostContext.grantPermissions(["camera", "microphone"]);
    const host = await hostContext.newPage();
    await host.goto(`/signin?next=/sessions/${session.id}`);
    await host.getByLabel("Email").fill("agent@example.com");
    await host.getByLabel("Password").fill("correct horse battery");
    await host.getByRole("button", { name: "Sign in" }).click();
    await host.getByRole("button", { name: "Join call" }).click();
    await host.getByRole("button", { name: "Join", exact: true }).click();
    await host.getByRole("toolbar", { name: "Call controls" }).waitFor();

    const guestContext = await openContext(browser, { viewport: { width: 390, height: 844 }, baseURL: server.url });
    await guestContext.grantPermissions(["camera", "microphone"]);
    const guest = await guestContext.newPage();
    for (const page of [host, guest]) page.on("pageerror", (error) => console.warn(`page error: ${error.message}`));
    await guest.goto(`/session/join/${session.accessToken}`);
    await guest.getByLabel("Your name").fill("Pat Doe");
    await guest.getByLabel("Email").fill("pat@example.com");
    await guest.getByRole("button", { name: "Join", exact: true }).click();
    await guest.getByRole("region", { name: "Call" }).waitFor();
    await guest.getByRole("button", { name: "Join", exact: true }).click();
    await guest.getByRole("toolbar", { name: "Call controls" }).waitFor();

    // The participant raises a hand: the host's tile of them shows it, through the API.
    await guest.getByRole("button", { name: "Raise your hand" }).click();
    await guest.getByRole("button", { name: "Lower your hand" }).waitFor();
    await host.getByRole("img", { name: "Hand raised" }).waitFor();
    expect(
      (await server.app.prisma.sessionParticipant.findFirstOrThrow({ where: { email: "pat@example.com" } }))
        .handRaisedAt,
    ).not.toBeNull();

    // A reaction floats over the sender's tile on both screens.
    await guest.getByRole("button", { name: "Reactions" }).click();
    await guest.getByRole("button", { name: "React 🎉" }).click();
    await host.getByRole("img", { name: "Pat Doe reacted 🎉" }).waitFor();
    await guest.getByRole("img", { name: "Pat Doe reacted 🎉" }).waitFor();
    await screenshot(host, "call-host-hand-and-reaction");

    // The host lowers the hand from the participants sheet; the participant's button follows.
    await host.getByRole("button", { name: "Participants" }).click();
    await host.getByText("hand raised").waitFor();
    await host.getByRole("button", { name: "Lower Pat Doe's hand" }).click();
    await guest.getByRole("button", { name: "Raise your hand" }).waitFor();
    await expect.poll(() => host.getByRole("button", { name: "Lower Pat Doe's hand" }).count()).toBe(0);

    // The host mutes the participant (their own client turns the microphone off), then asks them to unmute.
    await guest.getByRole("button", { name: "Mute microphone" }).waitFor();
    await host.getByRole("button", { name: "Mute Pat Doe" }).click();
    await guest.getByRole("button", { name: "Unmute microphone" }).waitFor();
    await host.getByRole("button", { name: "Ask Pat Doe to unmute" }).click();
    const prompt = guest.getByRole("status").filter({ hasText: "The host asks you to unmute." });
    await prompt.getByRole("button", { name: "Unmute", exact: true }).click();
    await guest.getByRole("button", { name: "Mute microphone" }).waitFor();
    await expect.poll(() => prompt.count()).toBe(0);

    const counts = await server.app.prisma.liveSession.findUniqueOrThrow({ where: { id: session.id } });
    expect([counts.handsRaisedCount, counts.reactionsCount]).toEqual([1, 1]);
    await guestContext.close();
    await hostContext.close();
  });
});
