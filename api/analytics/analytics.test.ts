import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Actor, createCast, createTicket, invite } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { createSession, hostAction, join, participantGql } from "../../test/session-fixtures.ts";
import { peakConcurrent } from "./analytics.service.ts";

// The machine is shared: give a slow start room without hiding real hangs.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let server: TestServer;
let admin: Actor;
let agent: Actor;
let otherAgent: Actor;
let customer: Actor;
let otherCustomer: Actor;
beforeAll(async () => {
  // Tests move the clock by more than the default 15 minutes.
  server = await startTestServer({ env: { ACCESS_TOKEN_TTL: "24h" } });
  ({ admin, agent, customer, otherCustomer } = await createCast(server));
  otherAgent = await invite(server, admin, "other-agent@example.com", "AGENT");
});
afterAll(async () => {
  await server?.close();
});

const minute = 60_000;
const ANALYTICS = `query($id: ID!) { sessionAnalytics(sessionId: $id) {
  sessionId actualStartAt actualEndAt durationSeconds totalParticipants peakConcurrent chatMessageCount
  recordingEnabled recording invitedCount attendedInviteCount
  participants { name email role totalSeconds visits { joinedAt leftAt } } } }`;
const LEAVE = `mutation { leaveSession { __typename } }`;

describe("session analytics", () => {
  it("computes visits, durations and the peak from a scripted timeline", async () => {
    const t0 = new Date(server.clock.now().getTime() + 10 * minute);
    const at = (minutes: number) => server.clock.set(new Date(t0.getTime() + minutes * minute));
    const iso = (minutes: number) => new Date(t0.getTime() + minutes * minute).toISOString();
    const session = await createSession(server, agent, {
      scheduledStartAt: t0.toISOString(),
      scheduledEndAt: iso(60),
      maxParticipants: 6,
      recordingEnabled: true,
      invites: [
        { name: "A", email: "a@example.com" },
        { name: "B", email: "b@example.com" },
      ],
    });
    at(-2);
    const d = await join(server, session.accessToken, "d@example.com");
    at(0);
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    at(1);
    const a = await join(server, session.accessToken, "a@example.com");
    at(2);
    await join(server, session.accessToken, "b@example.com");
    at(3);
    await participantGql(server, LEAVE, {}, d.participantToken);
    at(5);
    await participantGql(server, LEAVE, {}, a.participantToken);
    at(6);
    // Two arrive at the same instant.
    const [c, e] = await Promise.all([
      join(server, session.accessToken, "c@example.com"),
      join(server, session.accessToken, "e@example.com"),
    ]);
    at(7);
    const a2 = await join(server, session.accessToken, "a@example.com");
    expect(a2.participant.id).toBe(a.participant.id);
    await participantGql(
      server,
      `mutation($id: ID!) { sendSessionChatMessage(sessionId: $id, body: "hi") { __typename } }`,
      { id: session.id },
      a2.participantToken,
    );
    at(7.5);
    await participantGql(server, LEAVE, {}, e.participantToken);
    at(8);
    await hostAction(server, agent, "removeParticipant", { participantId: c.participant.id });
    at(10);
    await hostAction(server, agent, "endLiveSession", { id: session.id });

    const analytics = (await server.gql(ANALYTICS, { id: session.id }, agent.token)).data?.sessionAnalytics;
    expect(analytics).toMatchObject({
      actualStartAt: iso(0),
      actualEndAt: iso(10),
      durationSeconds: 600,
      totalParticipants: 5,
      peakConcurrent: 4,
      chatMessageCount: 1,
      recordingEnabled: true,
      recording: false,
      invitedCount: 2,
      attendedInviteCount: 2,
    });
    const byEmail = Object.fromEntries(
      analytics.participants.map((row: { email: string }) => [row.email, row]),
    ) as Record<string, { totalSeconds: number; visits: { joinedAt: string; leftAt: string }[]; role: string }>;
    expect(byEmail["a@example.com"]?.visits).toEqual([
      { joinedAt: iso(1), leftAt: iso(5) },
      { joinedAt: iso(7), leftAt: iso(10) },
    ]);
    expect(byEmail["a@example.com"]?.totalSeconds).toBe(420);
    expect(byEmail["b@example.com"]?.totalSeconds).toBe(480);
    expect(byEmail["c@example.com"]?.totalSeconds).toBe(120);
    // Joined before the start: counted from the start.
    expect(byEmail["d@example.com"]?.visits).toEqual([{ joinedAt: iso(0), leftAt: iso(3) }]);
    expect(byEmail["e@example.com"]?.totalSeconds).toBe(90);
    expect(byEmail[agent.email]).toMatchObject({ role: "HOST", totalSeconds: 600 });

    // A second held session with one invitee who never came; the summary averages both.
    at(20);
    const second = await createSession(server, agent, {
      scheduledStartAt: iso(20),
      scheduledEndAt: iso(50),
      invites: [{ name: "F", email: "f@example.com" }],
    });
    await hostAction(server, agent, "startLiveSession", { id: second.id });
    at(25);
    await hostAction(server, agent, "endLiveSession", { id: second.id });
    const summaryQuery = `query($from: DateTime!, $to: DateTime!, $hostId: ID) {
      sessionAnalyticsSummary(from: $from, to: $to, hostId: $hostId) {
        sessionsHeld totalParticipants averageDurationSeconds invitedCount attendedInviteCount attendanceRate } }`;
    const period = { from: iso(-60), to: iso(24 * 60) };
    const summary = (await server.gql(summaryQuery, period, agent.token)).data?.sessionAnalyticsSummary;
    expect(summary).toEqual({
      sessionsHeld: 2,
      totalParticipants: 5,
      averageDurationSeconds: 450,
      invitedCount: 3,
      attendedInviteCount: 2,
      attendanceRate: 2 / 3,
    });
    expect((await server.gql(summaryQuery, period, otherAgent.token)).data?.sessionAnalyticsSummary.sessionsHeld).toBe(
      0,
    );
    expect(
      (await server.gql(summaryQuery, { ...period, hostId: agent.id }, admin.token)).data?.sessionAnalyticsSummary
        .sessionsHeld,
    ).toBe(2);
    expect((await server.gql(summaryQuery, period, customer.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await server.gql(summaryQuery, period)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const backwards = await server.gql(summaryQuery, { from: period.to, to: period.from }, agent.token);
    expect(backwards.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");

    // Who may read one session's analytics.
    expect((await server.gql(ANALYTICS, { id: session.id }, admin.token)).data?.sessionAnalytics.peakConcurrent).toBe(
      4,
    );
    for (const [token, code] of [
      [otherAgent.token, "FORBIDDEN"],
      [customer.token, "FORBIDDEN"],
      [undefined, "UNAUTHENTICATED"],
    ] as const)
      expect((await server.gql(ANALYTICS, { id: session.id }, token)).errors?.[0]?.extensions?.code).toBe(code);
    const live = await createSession(server, agent);
    const p = await join(server, live.accessToken, "p@example.com");
    expect(
      (await participantGql(server, ANALYTICS, { id: live.id }, p.participantToken)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
  });

  it("counts a leave before a join at the same instant", () => {
    const t = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
    expect(
      peakConcurrent([
        { joinedAt: t(0), leftAt: t(5) },
        { joinedAt: t(5), leftAt: t(9) },
        { joinedAt: t(1), leftAt: t(6) },
      ]),
    ).toBe(2);
    expect(peakConcurrent([])).toBe(0);
  });
});

describe("escalation from tickets", () => {
  const TICKET_SESSIONS = `query($id: ID!) { ticket(id: $id) { sessions { id publicId type status scheduledStartAt
    host { id } } } }`;

  it("schedules one support call when a ticket is created urgent, announced on the thread", async () => {
    const ticket = await createTicket(server, customer, { priority: "URGENT", subject: "Production is down" });
    // The escalation is a job queued with the ticket; the worker is off in tests.
    expect(await server.app.prisma.liveSession.count({ where: { ticketId: ticket.id } })).toBe(0);
    await server.app.services.jobs.drain();
    const sessions = await server.app.prisma.liveSession.findMany({ where: { ticketId: ticket.id } });
    expect(sessions).toHaveLength(1);
    const [session] = sessions;
    expect(session).toMatchObject({
      type: "SUPPORT_CALL",
      status: "SCHEDULED",
      hostId: admin.id,
      escalationOfTicketId: ticket.id,
      title: "Urgent support: Production is down",
    });
    expect(session?.scheduledStartAt.getTime()).toBe(server.clock.now().getTime() + 15 * minute);
    const invites = await server.app.prisma.sessionInvite.findMany({ where: { sessionId: session?.id } });
    expect(invites.map((row) => row.email)).toEqual([customer.email]);
    const invitations = await server.app.prisma.job.findMany({ where: { kind: "email.sessionInvitation" } });
    expect(invitations.some((job) => (job.payload as { inviteId: string }).inviteId === invites[0]?.id)).toBe(true);

    const thread = await server.gql(
      `query($id: ID!) { ticket(id: $id) { lastMessage { body author { id } } } }`,
      { id: ticket.id },
      customer.token,
    );
    expect(thread.data?.ticket.lastMessage.body).toContain(session?.publicId);
    expect(thread.data?.ticket.lastMessage.author.id).toBe(admin.id);

    // The requester sees the session on the ticket, with the link (they are invited); not the invite list.
    const seen = await server.gql(
      `query($id: ID!) { ticket(id: $id) { sessions { publicId joinUrl } } }`,
      { id: ticket.id },
      customer.token,
    );
    expect(seen.data?.ticket.sessions).toEqual([
      { publicId: session?.publicId, joinUrl: expect.stringContaining("/session/join/") },
    ]);
    const invitesHidden = await server.gql(
      `query($id: ID!) { ticket(id: $id) { sessions { invites { email } } } }`,
      { id: ticket.id },
      customer.token,
    );
    expect(invitesHidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await server.gql(TICKET_SESSIONS, { id: ticket.id }, otherCustomer.token)).data?.ticket).toBeNull();
    expect((await server.gql(TICKET_SESSIONS, { id: ticket.id }, otherAgent.token)).data?.ticket.sessions).toHaveLength(
      1,
    );
    const joinUrlForAgent = await server.gql(
      `query($id: ID!) { ticket(id: $id) { sessions { joinUrl } } }`,
      { id: ticket.id },
      otherAgent.token,
    );
    expect(joinUrlForAgent.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("escalates when an agent raises a ticket to urgent, hosted by the assignee, exactly once", async () => {
    const ticket = await createTicket(server, customer, { priority: "HIGH" });
    expect(await server.app.prisma.liveSession.count({ where: { ticketId: ticket.id } })).toBe(0);
    await server.gql(
      `mutation($id: ID!, $a: ID) { assignTicket(ticketId: $id, assigneeId: $a) { __typename } }`,
      { id: ticket.id, a: otherAgent.id },
      agent.token,
    );
    const raise = (priority: string) =>
      server.gql(
        `mutation($id: ID!, $p: TicketPriority!) { updateTicketPriority(ticketId: $id, priority: $p) { __typename } }`,
        { id: ticket.id, p: priority },
        agent.token,
      );
    await raise("URGENT");
    await raise("HIGH");
    await Promise.all([raise("URGENT"), raise("URGENT")]);
    // Each raise to urgent queued an escalation; the worker runs them side by side and makes one call.
    const escalations = { kind: "ticket.escalate", payload: { path: ["ticketId"], equals: ticket.id } };
    expect(await server.app.prisma.job.count({ where: escalations })).toBeGreaterThan(1);
    await server.app.services.jobs.drain();
    const runs = await server.app.prisma.job.findMany({ where: escalations });
    expect(runs.map((job) => job.status)).toEqual(runs.map(() => "SUCCEEDED"));
    const sessions = await server.app.prisma.liveSession.findMany({ where: { ticketId: ticket.id } });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.hostId).toBe(otherAgent.id);
  });

  it("lets agents start a call from any ticket, listed on the ticket", async () => {
    const ticket = await createTicket(server, customer);
    const start = (token?: string, id = ticket.id) =>
      server.gql(
        `mutation($id: ID!) { startCallFromTicket(ticketId: $id) { __typename
          ... on LiveSession { id type status scheduledStartAt host { id } ticket { id } invites { email } }
          ... on Error { code } } }`,
        { id },
        token,
      );
    const call = (await start(agent.token)).data?.startCallFromTicket;
    expect(call).toMatchObject({
      __typename: "LiveSession",
      type: "SUPPORT_CALL",
      status: "SCHEDULED",
      scheduledStartAt: server.clock.now().toISOString(),
      host: { id: agent.id },
      ticket: { id: ticket.id },
      invites: [{ email: customer.email }],
    });
    expect((await start(agent.token, "missing")).data?.startCallFromTicket.code).toBe("NOT_FOUND");
    expect((await start(customer.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await start()).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const listed = await server.gql(TICKET_SESSIONS, { id: ticket.id }, customer.token);
    expect(listed.data?.ticket.sessions.map((row: { id: string }) => row.id)).toEqual([call.id]);
    // The call's announcement is the ticket's last message, but no agent answer: no first response, no reply email.
    const announced = await server.app.prisma.ticket.findUniqueOrThrow({
      where: { id: ticket.id },
      include: { lastMessage: true },
    });
    expect(announced.lastMessage?.body).toContain("A support call");
    expect(announced.firstResponseAt).toBeNull();
    const replies = await server.app.prisma.job.findMany({ where: { kind: "email.ticketReply" } });
    expect(replies.some((job) => (job.payload as { messageId: string }).messageId === announced.lastMessageId)).toBe(
      false,
    );
  });
});
