import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createTicket, signUp } from "../fixtures.ts";
import { eventually, startTestServer, TestClock, type TestServer } from "../harness.ts";
import { type MailSink, startMailSink } from "../mail-sink.ts";
import {
  axeViolations,
  buildApp,
  chromiumAvailable,
  launchChromium,
  phoneContext,
  screenshot,
  takePolicyViolations,
  watchSubscriptions,
} from "./browser.ts";

/**
 * Issue 19, the Team screen at phone size in real Chromium against the real API, the invitation read from a real SMTP
 * server: invite → accept → the new agent can be assigned a ticket; deactivate → the agent's open tab is signed out.
 */

let server: TestServer;
let sink: MailSink;
let browser: Browser;
let customer: Actor;
let ticket: { id: string; reference: string };
let outDir = "";

beforeAll(async () => {
  if (!chromiumAvailable) return;
  outDir = buildApp();
  sink = await startMailSink();
  const clock = new TestClock();
  clock.now = () => new Date();
  server = await startTestServer({ staticDir: outDir, clock, env: { SMTP_URL: sink.url } });
  browser = await launchChromium();
  await signUp(server, "admin@example.com", "Ada Admin");
  customer = await signUp(server, "carol@example.com", "Carol Customer");
  ticket = (await createTicket(server, customer, { subject: "Printer on fire" })) as typeof ticket;
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await sink?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function signIn(page: Page, email: string, password = "correct horse battery") {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Inbox" }).waitFor();
}

async function expectAccessible(page: Page, screen: string) {
  await screenshot(page, screen);
  expect(await axeViolations(page), `axe-core on ${screen}`).toEqual([]);
}

describe.skipIf(!chromiumAvailable)("the Team screen in Chromium (issue 19)", () => {
  afterEach(() => {
    expect(takePolicyViolations(), "Content-Security-Policy violations").toEqual([]);
  });

  it("invite → the emailed link → the new agent can be assigned a ticket; agents never see the screen", async () => {
    const adminContext = await phoneContext(browser, server.url);
    const admin = await adminContext.newPage();
    await signIn(admin, "admin@example.com");
    await admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
    await admin.getByRole("heading", { name: "People" }).waitFor();
    await admin.getByRole("list", { name: "Team members" }).getByText("Ada Admin").waitFor();
    await expectAccessible(admin, "team");

    await admin.getByRole("tab", { name: "Customers" }).click();
    await admin.getByRole("list", { name: "Customers" }).getByText("Carol Customer").waitFor();
    await admin.getByLabel("Search by name or email").fill("nobody-matches");
    await admin.getByText("Nobody matches “nobody-matches”").waitFor();
    await expectAccessible(admin, "team-customers-empty");
    await admin.getByLabel("Search by name or email").fill("");
    await admin.getByRole("tab", { name: "Team" }).click();

    await admin.getByRole("button", { name: "Invite" }).click();
    const sheet = admin.getByRole("dialog", { name: "Invite to the team" });
    await sheet.getByRole("button", { name: "Send invitation" }).click();
    await sheet.getByText("Enter the email address to invite").waitFor();
    await sheet.getByLabel("Email").fill("nia@example.com");
    await sheet.getByLabel("Name").fill("Nia Agent");
    await sheet.getByLabel(/Agent/).check();
    await expectAccessible(admin, "team-invite-sheet");
    await sheet.getByRole("button", { name: "Send invitation" }).click();
    await admin.getByRole("status").getByText("Invitation sent to nia@example.com.").waitFor();
    const invited = admin.getByRole("list", { name: "Open invitations" });
    await invited.getByText("nia@example.com").waitFor();
    await expectAccessible(admin, "team-invited");

    // The worker is off in tests: run the queued email job, as the worker would.
    await server.app.services.jobs.drain();
    const mail = sink.to("nia@example.com")[0];
    if (!mail) throw new Error("no invitation email reached the SMTP server");
    expect(mail.subject).toBe("Ada Admin invited you to Live Support");
    const path = /\/invite\/[A-Za-z0-9_-]+/.exec(mail.text ?? "")?.[0];
    expect(path).toBeDefined();

    const agentContext = await phoneContext(browser, server.url);
    const agent = await agentContext.newPage();
    await agent.goto(path as string);
    await agent.getByText("Ada Admin invited").waitFor();
    expect(await agent.getByLabel("Your name").inputValue()).toBe("Nia Agent");
    await expectAccessible(agent, "accept-invite");
    await agent.getByLabel("Choose a password").fill("nia's long passphrase");
    await agent.getByLabel("Repeat the password").fill("nia's long passphrase");
    await agent.getByRole("button", { name: "Join as agent" }).click();
    await agent.getByRole("heading", { name: "Inbox" }).waitFor();
    // Agents have no Team entry, and the route sends them home.
    expect(await agent.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).count()).toBe(0);
    await agent.goto("/team");
    await agent.waitForURL(/\/inbox$/);
    // The link worked once.
    await agent.goto(path as string);
    await agent.getByText("This invitation has expired, was already used").waitFor();
    await agentContext.close();

    // The admin assigns a ticket to the new agent from the inbox's ticket.
    await admin.goto("/inbox");
    await admin.getByRole("link", { name: /Printer on fire/ }).click();
    const assignee = admin.getByLabel("Assignee");
    await expect.poll(() => assignee.locator("option").allTextContents()).toContain("Nia Agent");
    await assignee.selectOption({ label: "Nia Agent" });
    await eventually(
      async () => (await server.app.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).assigneeId !== null,
      { what: "the ticket to be assigned" },
    );
    const nia = await server.app.prisma.user.findUniqueOrThrow({ where: { email: "nia@example.com" } });
    expect((await server.app.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).assigneeId).toBe(nia.id);
    await adminContext.close();
  });

  it("deactivating an agent signs out their open tab at once and hands their tickets on", async () => {
    const agentContext = await phoneContext(browser, server.url);
    const agent = await agentContext.newPage();
    const subscriptions = watchSubscriptions(agent);
    await signIn(agent, "nia@example.com", "nia's long passphrase");
    await subscriptions.until("ticketFeed");

    const adminContext = await phoneContext(browser, server.url);
    const admin = await adminContext.newPage();
    await signIn(admin, "admin@example.com");
    await admin.goto("/team");
    await admin.getByRole("link", { name: /Nia Agent/ }).click();
    await admin.getByRole("heading", { name: "Nia Agent" }).waitFor();
    await admin.getByText("Their 1 open ticket assigned").waitFor();
    await expectAccessible(admin, "team-member");
    await admin.getByLabel("Hand them all to someone").check();
    await admin.getByRole("button", { name: "Deactivate Nia Agent" }).click();
    await admin.getByRole("alert").getByText("Choose who takes their tickets, or unassign them.").waitFor();
    await admin.getByLabel("Who takes them").selectOption({ label: "Ada Admin" });
    await admin.getByRole("button", { name: "Deactivate Nia Agent" }).click();
    await admin.getByRole("heading", { name: "Reactivate" }).waitFor();
    await expectAccessible(admin, "team-member-deactivated");

    // The agent's tab, doing nothing, is told: its live connection ends and it signs out saying why.
    await agent.waitForURL(/\/signin/, { timeout: 30_000 });
    await agent.getByText("An admin deactivated your account").waitFor();
    await expectAccessible(agent, "signed-out-deactivated");
    const admin_ = await server.app.prisma.user.findUniqueOrThrow({ where: { email: "admin@example.com" } });
    expect((await server.app.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).assigneeId).toBe(admin_.id);

    await admin.getByRole("button", { name: "Reactivate Nia Agent" }).click();
    await admin.getByRole("heading", { name: "Deactivate" }).waitFor();
    await agent.getByLabel("Email").fill("nia@example.com");
    await agent.getByLabel("Password").fill("nia's long passphrase");
    await agent.getByRole("button", { name: "Sign in" }).click();
    await agent.getByRole("heading", { name: "Inbox" }).waitFor();
    await agentContext.close();
    await adminContext.close();
  });
});
