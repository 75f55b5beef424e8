import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast, createTicket } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { type MailSink, startMailSink } from "../../test/mail-sink.ts";

const PUBLIC_URL = "https://support.example.com";
let sink: MailSink;
let server: TestServer;
let cast: Awaited<ReturnType<typeof createCast>>;

beforeAll(async () => {
  sink = await startMailSink();
  server = await startTestServer({
    env: {
      SMTP_URL: sink.url,
      MAIL_FROM: "Acme Support <support@example.com>",
      PUBLIC_URL,
      JOBS_BACKOFF_BASE: "10s",
      JOBS_BACKOFF_MAX: "10m",
      ACCESS_TOKEN_TTL: "30d",
    },
  });
  cast = await createCast(server);
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

const drain = () => server.app.services.jobs.drain();

/** Runs the due jobs and returns what arrived meanwhile. */
async function deliver(): Promise<ParsedMail[]> {
  const before = sink.messages.length;
  await drain();
  return sink.messages.slice(before);
}

function expectWellFormed(mail: ParsedMail, to: string, link: string) {
  expect(mail.to && [mail.to].flat()[0]?.value[0]?.address).toBe(to);
  expect(mail.from?.value[0]).toEqual({ address: "support@example.com", name: "Acme Support" });
  expect(mail.messageId).toMatch(/^<[0-9a-f-]{36}@support\.example\.com>$/);
  expect(mail.date?.toISOString()).toBe(server.clock.now().toISOString());
  expect(mail.html).toContain(`href="${link}"`);
  expect(mail.text).toContain(link);
  expect(mail.text).toContain(`${PUBLIC_URL}/settings/notifications`);
}

const addMessage = (actor: Actor, ticketId: string, body: string, internal = false) =>
  server.gql(
    `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename ... on TicketMessage { id } } }`,
    { input: { ticketId, body, internal } },
    actor.token,
  );

describe("ticket emails", () => {
  let ticket: Record<string, any>;

  it("confirms a new ticket to its requester, and queues the email with the ticket", async () => {
    ticket = await createTicket(server, cast.customer, { subject: "Printer <on fire>" });
    const job = await server.app.prisma.job.findFirstOrThrow({ where: { kind: "email.ticketCreated" } });
    expect(job.payload).toEqual({ ticketId: ticket.id });
    const [mail, ...rest] = await deliver();
    expect(rest).toEqual([]);
    expect(mail?.subject).toBe(`[${ticket.reference}] We received your request: Printer <on fire>`);
    expectWellFormed(mail as ParsedMail, cast.customer.email, `${PUBLIC_URL}/tickets/${ticket.id}`);
    expect(mail?.html).toContain("Printer &#60;on fire&#62;");
    expect(mail?.text).toContain("The login page says my password is wrong.");
    expect(await server.app.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "SUCCEEDED",
    });
  });

  it("tells the assignee, then the requester about an agent reply, never about internal notes", async () => {
    const assigned = await server.gql(
      `mutation($t: ID!, $a: ID) { assignTicket(ticketId: $t, assigneeId: $a) { __typename } }`,
      { t: ticket.id, a: cast.agent.id },
      cast.admin.token,
    );
    expect(assigned.data?.assignTicket.__typename).toBe("Ticket");
    const [assignedMail, ...more] = await deliver();
    expect(more).toEqual([]);
    expect(assignedMail?.subject).toBe(`[${ticket.reference}] Assigned to you: Printer <on fire>`);
    expectWellFormed(assignedMail as ParsedMail, cast.agent.email, `${PUBLIC_URL}/tickets/${ticket.id}`);

    expect((await addMessage(cast.agent, ticket.id, "Only for agents", true)).data?.addTicketMessage.__typename).toBe(
      "TicketMessage",
    );
    expect(await deliver()).toEqual([]);
    expect(await server.app.prisma.job.count({ where: { kind: { in: ["email.ticketReply"] } } })).toBe(0);

    await addMessage(cast.agent, ticket.id, "Please unplug it.\nThen wait.");
    const [reply, ...others] = await deliver();
    expect(others).toEqual([]);
    expect(reply?.subject).toBe(`[${ticket.reference}] New reply: Printer <on fire>`);
    expectWellFormed(reply as ParsedMail, cast.customer.email, `${PUBLIC_URL}/tickets/${ticket.id}`);
    expect(reply?.text).toContain("> Please unplug it.\n> Then wait.");
    expect(reply?.html).not.toContain("Only for agents");
  });

  it("tells the assignee when the customer writes", async () => {
    await addMessage(cast.customer, ticket.id, "Unplugged. Smoke stopped.");
    const [mail, ...rest] = await deliver();
    expect(rest).toEqual([]);
    expect(mail?.subject).toBe(`[${ticket.reference}] Customer replied: Printer <on fire>`);
    expectWellFormed(mail as ParsedMail, cast.agent.email, `${PUBLIC_URL}/tickets/${ticket.id}`);
    expect(mail?.text).toContain("Unplugged. Smoke stopped.");
  });

  it("tells the requester when an agent resolves the ticket", async () => {
    const resolved = await server.gql(
      `mutation($t: ID!) { updateTicketStatus(ticketId: $t, status: RESOLVED) { __typename } }`,
      { t: ticket.id },
      cast.agent.token,
    );
    expect(resolved.data?.updateTicketStatus.__typename).toBe("Ticket");
    const [mail, ...rest] = await deliver();
    expect(rest).toEqual([]);
    expect(mail?.subject).toBe(`[${ticket.reference}] Resolved: Printer <on fire>`);
    expectWellFormed(mail as ParsedMail, cast.customer.email, `${PUBLIC_URL}/tickets/${ticket.id}`);
  });

  it("lets a user turn a kind of email off; the choice applies to jobs already queued", async () => {
    const me = `{ me { notificationPreferences { ticketCreated ticketReply ticketCustomerMessage ticketAssigned ticketResolved } } }`;
    expect((await server.gql(me, {}, cast.customer.token)).data?.me.notificationPreferences).toEqual({
      ticketCreated: true,
      ticketReply: true,
      ticketCustomerMessage: true,
      ticketAssigned: true,
      ticketResolved: true,
    });
    const other = await createTicket(server, cast.customer, { subject: "Second problem" });
    await addMessage(cast.agent, other.id, "Looking into it");
    // Turned off after the reply was queued but before it is sent.
    const updated = await server.gql(
      `mutation($input: NotificationPreferencesInput!) { updateNotificationPreferences(input: $input) {
        __typename ... on NotificationPreferences { ticketReply ticketCreated } } }`,
      { input: { ticketReply: false } },
      cast.customer.token,
    );
    expect(updated.data?.updateNotificationPreferences).toEqual({
      __typename: "NotificationPreferences",
      ticketReply: false,
      ticketCreated: true,
    });
    const delivered = await deliver();
    expect(delivered.map((mail) => mail.subject)).toEqual([
      `[${other.reference}] We received your request: Second problem`,
    ]);
    expect(await server.app.prisma.job.count({ where: { kind: "email.ticketReply", status: "SUCCEEDED" } })).toBe(2);
    expect((await server.gql(me, {}, cast.customer.token)).data?.me.notificationPreferences.ticketReply).toBe(false);
  });

  it("shows preferences to their owner only and needs a signed-in user to change them", async () => {
    const others = await server.gql(
      `query($id: ID!) { ticket(id: $id) { requester { notificationPreferences { ticketReply } } } }`,
      { id: (await server.app.prisma.ticket.findFirstOrThrow()).id },
      cast.agent.token,
    );
    expect(others.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const anonymous = await server.gql(
      `mutation { updateNotificationPreferences(input: { ticketReply: true }) { __typename } }`,
    );
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("when the SMTP server refuses", () => {
  it("retries with backoff and delivers once it accepts again, without duplicates", async () => {
    sink.refuse = true;
    const ticket = await createTicket(server, cast.otherCustomer, { subject: "Flaky mail" });
    const job = await server.app.prisma.job.findFirstOrThrow({
      where: { kind: "email.ticketCreated", payload: { equals: { ticketId: ticket.id } } },
    });
    expect(await deliver()).toEqual([]);
    let row = await server.app.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(row.lastError).toContain("Mailbox temporarily unavailable");
    expect(row.runAt.getTime()).toBeGreaterThan(server.clock.now().getTime());

    server.clock.set(row.runAt);
    expect(await deliver()).toEqual([]);
    row = await server.app.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row).toMatchObject({ status: "PENDING", attempts: 2 });

    sink.refuse = false;
    server.clock.set(row.runAt);
    const delivered = await deliver();
    expect(delivered.map((mail) => mail.subject)).toEqual([
      `[${ticket.reference}] We received your request: Flaky mail`,
    ]);
    expect(await server.app.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "SUCCEEDED",
      attempts: 3,
    });
    server.clock.advance(3_600_000);
    expect(await deliver()).toEqual([]);
  });

  it("gives up after the last attempt and shows the job as failed to admins", async () => {
    sink.refuse = true;
    const ticket = await createTicket(server, cast.otherCustomer, { subject: "Never delivered" });
    const job = await server.app.prisma.job.findFirstOrThrow({
      where: { kind: "email.ticketCreated", payload: { equals: { ticketId: ticket.id } } },
    });
    for (let attempt = 1; attempt <= job.maxAttempts; attempt++) {
      await drain();
      const row = await server.app.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.attempts).toBe(attempt);
      if (attempt < job.maxAttempts) server.clock.set(row.runAt);
      else expect(row.status).toBe("FAILED");
    }
    const failed = await server.gql(`{ failedJobs { id kind } jobStats { kind failed } }`, {}, cast.admin.token);
    expect(failed.data?.failedJobs).toEqual([{ id: job.id, kind: "email.ticketCreated" }]);
    expect(failed.data?.jobStats).toContainEqual({ kind: "email.ticketCreated", failed: 1 });
    sink.refuse = false;
    await server.gql(`mutation($id: ID!) { retryJob(id: $id) { __typename } }`, { id: job.id }, cast.admin.token);
    expect((await deliver()).map((mail) => mail.subject)).toEqual([
      `[${ticket.reference}] We received your request: Never delivered`,
    ]);
  });
});
