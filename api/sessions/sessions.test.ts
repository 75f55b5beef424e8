import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Actor, createCast, invite } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import {
  createSession,
  HOST_FIELDS,
  hostAction,
  JOIN,
  join,
  participantGql,
  SESSION_FIELDS,
} from "../../test/session-fixtures.ts";

// The machine is shared: give a slow start room without hiding real hangs.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let server: TestServer;
let admin: Actor;
let agent: Actor;
let otherAgent: Actor;
let customer: Actor;
beforeAll(async () => {
  server = await startTestServer({
    env: {
      // Tests move the clock by more than the default 15 minutes.
      ACCESS_TOKEN_TTL: "24h",
      SESSION_JOIN_RATE_LIMIT: "25",
      SESSION_PASSWORD_RATE_LIMIT: "4",
      SESSION_VERIFICATION_RATE_LIMIT: "5",
      SESSION_CHAT_RATE_LIMIT: "5",
    },
  });
  ({ admin, agent, customer } = await createCast(server));
  otherAgent = await invite(server, admin, "other-agent@example.com", "AGENT");
});
afterAll(async () => {
  await server?.close();
});

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
const minutes = (count: number) => count * 60_000;

async function jobsFor(sessionId: string, kind?: string) {
  const jobs = await server.app.prisma.job.findMany({
    where: kind ? { kind } : {},
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return jobs.filter((job) => (job.payload as { sessionId?: string }).sessionId === sessionId);
}

const MY_PARTICIPANT = `{ myParticipant { id status role peerId email } }`;

describe("scheduling", () => {
  it("creates a session with every option, a public id, a room id and a hashed, encrypted link", async () => {
    const start = new Date(server.clock.now().getTime() + minutes(120));
    const session = await createSession(server, agent, {
      title: "  Quarterly webinar ",
      description: "What is new",
      agenda: "1. Intro\n2. Demo",
      type: "WEBINAR",
      scheduledStartAt: start.toISOString(),
      scheduledEndAt: new Date(start.getTime() + minutes(90)).toISOString(),
      maxParticipants: 50,
      invites: [
        { name: "Ann", email: "Ann@Example.com" },
        { name: "Bob", email: "bob@example.com" },
        { name: "Ann again", email: "ann@example.com" },
      ],
      waitingRoom: true,
      requiresApproval: true,
      password: "open sesame",
      allowedEmailDomains: ["Example.com"],
      emailVerificationRequired: true,
      recordingEnabled: true,
      chatEnabled: false,
      screenShareEnabled: false,
      reminderOffsets: [1440, 60],
    });
    expect(session).toMatchObject({
      title: "Quarterly webinar",
      description: "What is new",
      agenda: "1. Intro\n2. Demo",
      type: "WEBINAR",
      status: "SCHEDULED",
      maxParticipants: 50,
      waitingRoom: true,
      requiresApproval: true,
      hasPassword: true,
      emailVerificationRequired: true,
      recordingEnabled: true,
      recording: false,
      chatEnabled: false,
      screenShareEnabled: false,
      locked: false,
      sequence: 0,
      reminderOffsets: [1440, 60],
      allowedEmailDomains: ["example.com"],
    });
    expect(session.publicId).toMatch(/^SES-[0-9A-Z]{8}$/);
    expect(session.roomId).toMatch(/^room_[0-9a-f]{32}$/);
    expect(session.accessToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.joinUrl).toBe(`http://localhost:0/session/join/${session.accessToken}`);
    expect(session.invites.map((row: { email: string }) => row.email).sort()).toEqual([
      "ann@example.com",
      "bob@example.com",
    ]);

    const row = await server.app.prisma.liveSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.linkTokenHash).toBe(sha256(session.accessToken));
    expect(row.linkTokenEncrypted).not.toContain(session.accessToken);
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    const host = await server.app.prisma.sessionParticipant.findFirstOrThrow({ where: { sessionId: session.id } });
    expect(host).toMatchObject({ role: "HOST", status: "ADMITTED", userId: agent.id, email: agent.email });
    expect(host.peerId).toMatch(/^[0-9a-f]{40}$/);

    const invitations = await jobsFor(session.id, "email.sessionInvitation");
    expect(invitations).toHaveLength(2);
    const reminders = await jobsFor(session.id, "session.reminder");
    expect(
      reminders.map((job) => ({ payload: job.payload, runAt: job.runAt.toISOString(), key: job.dedupeKey })),
    ).toEqual(
      [1440, 60]
        .map((offset) => ({
          payload: { sessionId: session.id, offsetMinutes: offset, startsAt: start.toISOString() },
          runAt: new Date(start.getTime() - minutes(offset)).toISOString(),
          key: `reminder:${session.id}:${offset}:${start.toISOString()}`,
        }))
        .filter((reminder) => reminder.runAt > server.clock.now().toISOString()),
    );
  });

  it("defaults capacity by type, reminders to 60 and 15 minutes, and skips reminders already past", async () => {
    const start = new Date(server.clock.now().getTime() + minutes(30));
    const session = await createSession(server, agent, {
      type: "TRAINING",
      scheduledStartAt: start.toISOString(),
      scheduledEndAt: new Date(start.getTime() + minutes(30)).toISOString(),
    });
    expect(session.maxParticipants).toBe(25);
    expect(session.reminderOffsets).toEqual([60, 15]);
    const reminders = await jobsFor(session.id, "session.reminder");
    expect(reminders.map((job) => (job.payload as { offsetMinutes: number }).offsetMinutes)).toEqual([15]);
    expect((await createSession(server, agent, { type: "WEBINAR" })).maxParticipants).toBe(100);
    expect((await createSession(server, agent, { type: "SUPPORT_CALL" })).maxParticipants).toBe(4);
  });

  it("names each invalid field and writes nothing", async () => {
    const before = await server.app.prisma.liveSession.count();
    const now = server.clock.now().getTime();
    const result = await server.gql(
      `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
        __typename ... on ValidationError { fieldErrors { path } } } }`,
      {
        input: {
          title: "x",
          type: "WEBINAR",
          scheduledStartAt: new Date(now + minutes(60)).toISOString(),
          scheduledEndAt: new Date(now + minutes(30)).toISOString(),
          maxParticipants: 101,
          invites: [{ name: "", email: "not-an-email" }],
          allowedEmailDomains: ["not a domain"],
          password: "abc",
          reminderOffsets: [0],
        },
      },
      agent.token,
    );
    expect(result.data?.createLiveSession.__typename).toBe("ValidationError");
    expect(result.data?.createLiveSession.fieldErrors.map((issue: { path: string }) => issue.path).sort()).toEqual([
      "input.allowedEmailDomains.0",
      "input.invites.0.email",
      "input.invites.0.name",
      "input.maxParticipants",
      "input.password",
      "input.reminderOffsets.0",
      "input.scheduledEndAt",
      "input.title",
    ]);
    const past = await server.gql(
      `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
        __typename ... on ValidationError { fieldErrors { path } } } }`,
      {
        input: {
          title: "Too late",
          type: "WEBINAR",
          scheduledStartAt: new Date(now - minutes(5)).toISOString(),
          scheduledEndAt: new Date(now + minutes(30)).toISOString(),
          maxParticipants: 0,
        },
      },
      agent.token,
    );
    expect(past.data?.createLiveSession.fieldErrors.map((issue: { path: string }) => issue.path)).toEqual([
      "input.maxParticipants",
    ]);
    const pastOnly = await server.gql(
      `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
        __typename ... on ValidationError { fieldErrors { path } } } }`,
      {
        input: {
          title: "Too late",
          type: "WEBINAR",
          scheduledStartAt: new Date(now - minutes(5)).toISOString(),
          scheduledEndAt: new Date(now + minutes(30)).toISOString(),
        },
      },
      agent.token,
    );
    expect(pastOnly.data?.createLiveSession.fieldErrors).toEqual([{ path: "input.scheduledStartAt" }]);
    expect(await server.app.prisma.liveSession.count()).toBe(before);
  });

  it("lets only agents and admins schedule", async () => {
    const input = {
      title: "Nope",
      type: "WEBINAR",
      scheduledStartAt: new Date(server.clock.now().getTime() + minutes(60)).toISOString(),
      scheduledEndAt: new Date(server.clock.now().getTime() + minutes(90)).toISOString(),
    };
    const query = `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) { __typename } }`;
    expect((await server.gql(query, { input }, customer.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await server.gql(query, { input })).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await server.gql(query, { input }, admin.token)).data?.createLiveSession.__typename).toBe("LiveSession");
  });

  it("moves a session: new sequence, invitations to everyone, reminders rescheduled; invite list replaced", async () => {
    const session = await createSession(server, agent, {
      scheduledStartAt: new Date(server.clock.now().getTime() + minutes(180)).toISOString(),
      scheduledEndAt: new Date(server.clock.now().getTime() + minutes(240)).toISOString(),
      invites: [
        { name: "Ann", email: "ann@example.com" },
        { name: "Bob", email: "bob@example.com" },
      ],
    });
    const oldReminders = await jobsFor(session.id, "session.reminder");
    expect(oldReminders).toHaveLength(2);
    const newStart = new Date(new Date(session.scheduledStartAt).getTime() + minutes(180));
    const update = (input: Record<string, unknown>, token = agent.token) =>
      server.gql(
        `mutation($id: ID!, $input: UpdateLiveSessionInput!) { updateLiveSession(id: $id, input: $input) {
          __typename ... on LiveSession { ${HOST_FIELDS} } ... on ValidationError { fieldErrors { path } } } }`,
        { id: session.id, input },
        token,
      );
    const moved = (
      await update({
        scheduledStartAt: newStart.toISOString(),
        scheduledEndAt: new Date(newStart.getTime() + minutes(60)).toISOString(),
      })
    ).data?.updateLiveSession;
    expect(moved.sequence).toBe(1);
    expect(await jobsFor(session.id, "email.sessionInvitation")).toHaveLength(4);
    const reminders = await jobsFor(session.id, "session.reminder");
    expect(reminders.filter((job) => job.status === "CANCELLED")).toHaveLength(2);
    const pending = reminders.filter((job) => job.status === "PENDING");
    expect(pending.map((job) => job.dedupeKey).sort()).toEqual(
      [15, 60].map((offset) => `reminder:${session.id}:${offset}:${newStart.toISOString()}`),
    );

    // Same times, new list: Bob is dropped (cancellation), Cid is new (invitation), Ann untouched.
    const relisted = (
      await update({
        title: "Renamed",
        invites: [
          { name: "Ann", email: "ann@example.com" },
          { name: "Cid", email: "cid@example.com" },
        ],
      })
    ).data?.updateLiveSession;
    expect(relisted.sequence).toBe(1);
    expect(relisted.title).toBe("Renamed");
    expect(relisted.invites.map((row: { email: string }) => row.email)).toEqual(["ann@example.com", "cid@example.com"]);
    const invites = await server.app.prisma.sessionInvite.findMany({ where: { sessionId: session.id } });
    const idOf = (address: string) => invites.find((row) => row.email === address)?.id;
    const cancelled = await jobsFor(session.id, "email.sessionCancelled");
    expect(cancelled.map((job) => job.payload)).toEqual([{ sessionId: session.id, inviteId: idOf("bob@example.com") }]);
    const invitations = await jobsFor(session.id, "email.sessionInvitation");
    expect(invitations.at(-1)?.payload).toEqual({ sessionId: session.id, inviteId: idOf("cid@example.com") });
    expect(invitations).toHaveLength(5);

    expect((await update({ scheduledEndAt: session.scheduledStartAt })).data?.updateLiveSession.fieldErrors).toEqual([
      { path: "input.scheduledEndAt" },
    ]);
    expect((await update({ title: "Mine now" }, otherAgent.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await update({ title: "Mine now" }, customer.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await update({ title: "Admin edit" }, admin.token)).data?.updateLiveSession.title).toBe("Admin edit");
  });

  it("cancels a scheduled session: invitees told, reminders cancelled, link closed", async () => {
    const session = await createSession(server, agent, { invites: [{ name: "Ann", email: "ann@example.com" }] });
    expect(
      (await hostAction(server, otherAgent, "cancelLiveSession", { id: session.id })).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    const result = await hostAction(
      server,
      agent,
      "cancelLiveSession",
      { id: session.id },
      "__typename ... on LiveSession { status }",
    );
    expect(result.data?.cancelLiveSession).toEqual({ __typename: "LiveSession", status: "CANCELLED" });
    expect((await jobsFor(session.id, "email.sessionCancelled")).map((job) => job.payload)).toHaveLength(1);
    expect((await jobsFor(session.id, "session.reminder")).every((job) => job.status === "CANCELLED")).toBe(true);
    expect(
      (await hostAction(server, agent, "cancelLiveSession", { id: session.id })).data?.cancelLiveSession.code,
    ).toBe("INVALID_TRANSITION");
    expect((await join(server, session.accessToken, "ann@example.com")).code).toBe("SESSION_ENDED");
  });

  it("rotates the link: the old one stops working, invitees get the new one", async () => {
    const session = await createSession(server, agent, { invites: [{ name: "Ann", email: "ann@example.com" }] });
    const rotated = (
      await hostAction(server, agent, "rotateSessionLink", { id: session.id }, "... on LiveSession { accessToken }")
    ).data?.rotateSessionLink;
    expect(rotated.accessToken).not.toBe(session.accessToken);
    const byLink = (token: string) =>
      server.gql(`query($t: String!) { sessionByLink(token: $t) { publicId } }`, { t: token });
    expect((await byLink(session.accessToken)).data?.sessionByLink).toBeNull();
    expect((await byLink(rotated.accessToken)).data?.sessionByLink.publicId).toBe(session.publicId);
    expect(await jobsFor(session.id, "email.sessionInvitation")).toHaveLength(2);
    expect(
      (await hostAction(server, otherAgent, "rotateSessionLink", { id: session.id })).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
  });

  it("lists sessions newest first with filters and pages; agents see theirs, admins all", async () => {
    const list = (token: string, variables: Record<string, unknown> = {}) =>
      server.gql(
        `query($filter: LiveSessionFilter, $first: Int, $after: String) {
          liveSessions(filter: $filter, first: $first, after: $after) {
            totalCount edges { node { id status scheduledStartAt host { id } } } pageInfo { hasNextPage endCursor } } }`,
        variables,
        token,
      );
    const mine = (await list(otherAgent.token)).data?.liveSessions;
    expect(mine.totalCount).toBe(0);
    const base = server.clock.now().getTime();
    const created = [];
    for (const offset of [60, 120, 180]) {
      created.push(
        await createSession(server, otherAgent, {
          scheduledStartAt: new Date(base + minutes(offset)).toISOString(),
          scheduledEndAt: new Date(base + minutes(offset + 30)).toISOString(),
        }),
      );
    }
    await hostAction(server, otherAgent, "cancelLiveSession", { id: created[0]?.id });
    const first = (await list(otherAgent.token, { first: 2 })).data?.liveSessions;
    expect(first.totalCount).toBe(3);
    expect(first.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([created[2]?.id, created[1]?.id]);
    const second = (await list(otherAgent.token, { first: 2, after: first.pageInfo.endCursor })).data?.liveSessions;
    expect(second.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([created[0]?.id]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const cancelled = (await list(otherAgent.token, { filter: { status: ["CANCELLED"] } })).data?.liveSessions;
    expect(cancelled.totalCount).toBe(1);
    expect((await list(otherAgent.token, { filter: { when: "UPCOMING" } })).data?.liveSessions.totalCount).toBe(2);
    expect((await list(otherAgent.token, { filter: { when: "PAST" } })).data?.liveSessions.totalCount).toBe(1);
    const byAdmin = (await list(admin.token, { filter: { hostId: otherAgent.id } })).data?.liveSessions;
    expect(byAdmin.totalCount).toBe(3);
    expect((await list(admin.token)).data?.liveSessions.totalCount).toBeGreaterThan(3);
    // An agent's hostId filter is ignored: they only ever see their own.
    expect((await list(agent.token, { filter: { hostId: otherAgent.id } })).data?.liveSessions.totalCount).toBe(
      (await list(agent.token)).data?.liveSessions.totalCount,
    );
    expect((await list(customer.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await server.gql(`{ liveSessions { totalCount } }`)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("public lookup and joining", () => {
  it("shows a stranger only the public facts of a link", async () => {
    const session = await createSession(server, agent, { password: "secret pw", emailVerificationRequired: true });
    const result = await server.gql(
      `query($t: String!) { sessionByLink(token: $t) { publicId title status scheduledStartAt scheduledEndAt hostName
        participantCount maxParticipants requiresPassword emailVerificationRequired waitingRoom locked } }`,
      { t: session.accessToken },
    );
    expect(result.data?.sessionByLink).toMatchObject({
      publicId: session.publicId,
      title: "Product demo",
      status: "SCHEDULED",
      hostName: "agent",
      participantCount: 0,
      maxParticipants: 4,
      requiresPassword: true,
      emailVerificationRequired: true,
      waitingRoom: false,
      locked: false,
    });
    const hidden = await server.gql(`query($t: String!) { sessionByLink(token: $t) { roomId } }`, {
      t: session.accessToken,
    });
    expect(hidden.errors?.[0]?.message).toMatch(/Cannot query field "roomId"/);
    expect((await server.gql(`{ sessionByLink(token: "nope") { title } }`)).data?.sessionByLink).toBeNull();
  });

  it("checks a join in order, with a distinct error for each refusal", async () => {
    const session = await createSession(server, agent, {
      allowedEmailDomains: ["example.com"],
      emailVerificationRequired: true,
      password: "right password",
      maxParticipants: 1,
    });
    const token = session.accessToken;
    const attempt = (email: string, extra: Record<string, unknown> = {}) => join(server, token, email, extra);

    expect((await join(server, "not-a-link", "a@example.com")).__typename).toBe("SessionNotFoundError");
    expect((await attempt("a@elsewhere.org", { password: "wrong" })).__typename).toBe("EmailDomainNotAllowedError");
    expect((await attempt("a@example.com", { password: "wrong" })).__typename).toBe("EmailVerificationRequiredError");

    const requestCode = (email: string, linkToken = token) =>
      server.gql(
        `mutation($t: String!, $e: String!) { requestSessionVerificationCode(token: $t, email: $e) {
          __typename ... on VerificationCodeSent { expiresAt } ... on Error { code } } }`,
        { t: linkToken, e: email },
      );
    const codeFor = async (email: string) => {
      const jobs = await server.app.prisma.job.findMany({ where: { kind: "email.verificationCode" } });
      const verification = await server.app.prisma.sessionEmailVerification.findFirstOrThrow({
        where: { sessionId: session.id, email },
        orderBy: { createdAt: "desc" },
      });
      const job = jobs.find((row) => (row.payload as { verificationId: string }).verificationId === verification.id);
      return String((job?.payload as { code?: string } | undefined)?.code);
    };
    expect((await requestCode("a@elsewhere.org")).data?.requestSessionVerificationCode.code).toBe(
      "EMAIL_DOMAIN_NOT_ALLOWED",
    );
    const sent = (await requestCode("a@example.com")).data?.requestSessionVerificationCode;
    expect(new Date(sent.expiresAt).getTime()).toBe(server.clock.now().getTime() + minutes(10));
    const code = await codeFor("a@example.com");
    expect(code).toMatch(/^\d{6}$/);
    const stored = await server.app.prisma.sessionEmailVerification.findFirstOrThrow({
      where: { sessionId: session.id, email: "a@example.com" },
    });
    expect(stored.codeHash).not.toContain(code);
    const wrongCode = code === "000000" ? "111111" : "000000";
    const wrong = await attempt("a@example.com", { verificationCode: wrongCode, password: "wrong" });
    expect(wrong).toMatchObject({ __typename: "InvalidVerificationCodeError", attemptsLeft: 4 });
    expect((await attempt("a@example.com", { verificationCode: code, password: "wrong" })).__typename).toBe(
      "WrongPasswordError",
    );
    // Verified once is enough for this address.
    const joined = await attempt("a@example.com", { password: "right password" });
    expect(joined.__typename).toBe("JoinSessionPayload");
    expect(joined.participant).toMatchObject({ status: "ADMITTED", role: "ATTENDEE", email: "a@example.com" });

    await requestCode("b@example.com");
    const full = await attempt("b@example.com", {
      verificationCode: await codeFor("b@example.com"),
      password: "right password",
    });
    expect(full).toMatchObject({ __typename: "SessionFullError", maxParticipants: 1 });

    await hostAction(server, agent, "setSessionLocked", { id: session.id, locked: true });
    expect((await attempt("b@example.com", { password: "right password" })).__typename).toBe("SessionLockedError");
    // An admitted participant may come back into a locked room.
    expect((await attempt("a@example.com", { password: "right password" })).__typename).toBe("JoinSessionPayload");
    await hostAction(server, agent, "setSessionLocked", { id: session.id, locked: false });

    await hostAction(server, agent, "removeParticipant", { participantId: joined.participant.id });
    const removed = await attempt("a@example.com", { password: "right password" });
    expect(removed).toMatchObject({ __typename: "ParticipantRemovedError", reason: "REMOVED" });
    // Removal comes after the password check: a wrong password still says so.
    expect((await attempt("a@example.com", { password: "wrong" })).__typename).toBe("WrongPasswordError");

    await hostAction(server, agent, "startLiveSession", { id: session.id });
    await hostAction(server, agent, "endLiveSession", { id: session.id });
    expect((await attempt("a@elsewhere.org")).__typename).toBe("SessionEndedError");
  });

  it("limits verification codes: short-lived, attempts counted in the database", async () => {
    const session = await createSession(server, agent, { emailVerificationRequired: true });
    const request = () =>
      server.gql(
        `mutation($t: String!) { requestSessionVerificationCode(token: $t, email: "v@example.com") {
          __typename ... on RateLimitedError { retryAfterSeconds } } }`,
        { t: session.accessToken },
      );
    await request();
    for (let attempt = 4; attempt >= 1; attempt--) {
      const result = await join(server, session.accessToken, "v@example.com", { verificationCode: "999999" });
      // A one-in-a-million real code would make this flaky only in theory; the code is random per run.
      if (result.__typename === "JoinSessionPayload") return;
      expect(result).toMatchObject({ __typename: "InvalidVerificationCodeError", attemptsLeft: attempt });
    }
    expect((await join(server, session.accessToken, "v@example.com", { verificationCode: "999999" })).__typename).toBe(
      "TooManyAttemptsError",
    );
    const row = await server.app.prisma.sessionEmailVerification.findFirstOrThrow({
      where: { sessionId: session.id },
    });
    expect(row.attempts).toBe(5);
    // Even the right code is refused once attempts are used up.
    const job = (await server.app.prisma.job.findMany({ where: { kind: "email.verificationCode" } })).find(
      (candidate) => (candidate.payload as { verificationId: string }).verificationId === row.id,
    );
    const code = String((job?.payload as { code?: string } | undefined)?.code);
    expect((await join(server, session.accessToken, "v@example.com", { verificationCode: code })).__typename).toBe(
      "TooManyAttemptsError",
    );

    // A fresh code expires after its lifetime.
    await request();
    const fresh = await server.app.prisma.sessionEmailVerification.findFirstOrThrow({
      where: { sessionId: session.id },
      orderBy: { createdAt: "desc" },
    });
    const freshJob = (await server.app.prisma.job.findMany({ where: { kind: "email.verificationCode" } })).find(
      (candidate) => (candidate.payload as { verificationId: string }).verificationId === fresh.id,
    );
    server.clock.advance(minutes(11));
    const expired = await join(server, session.accessToken, "v@example.com", {
      verificationCode: String((freshJob?.payload as { code?: string } | undefined)?.code),
    });
    expect(expired.__typename).toBe("EmailVerificationRequiredError");
    server.clock.advance(-minutes(11));

    // Requests per address and link are limited.
    await request();
    await request();
    await request();
    const limited = (await request()).data?.requestSessionVerificationCode;
    expect(limited.__typename).toBe("RateLimitedError");
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
  });

  it("rate-limits password guesses and join attempts per link and address, with retry-after", async () => {
    const session = await createSession(server, agent, { password: "the password" });
    for (let guess = 0; guess < 4; guess++)
      expect(
        (await join(server, session.accessToken, "g@example.com", { password: `guess ${guess}` })).__typename,
      ).toBe("WrongPasswordError");
    const limited = await join(server, session.accessToken, "g@example.com", { password: "the password" });
    expect(limited.__typename).toBe("RateLimitedError");
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);
    server.clock.advance(minutes(16));
    expect((await join(server, session.accessToken, "g@example.com", { password: "the password" })).__typename).toBe(
      "JoinSessionPayload",
    );

    const open = await createSession(server, agent, { maxParticipants: 1 });
    let last: Record<string, any> = {};
    for (let attempt = 0; attempt < 26; attempt++)
      last = await join(server, open.accessToken, `r${attempt}@example.com`);
    expect(last.__typename).toBe("RateLimitedError");
    server.clock.advance(minutes(10));
    expect((await join(server, open.accessToken, "late@example.com")).__typename).toBe("SessionFullError");
    server.clock.advance(-minutes(26));
  });

  it("never over-admits when joins race for the last seats", async () => {
    for (const [seats, joiners] of [
      [1, 2],
      [3, 8],
    ] as const) {
      const session = await createSession(server, agent, { maxParticipants: seats });
      const results = await Promise.all(
        Array.from({ length: joiners }, (_, index) =>
          server.gql(JOIN, {
            input: { token: session.accessToken, name: `Racer ${index}`, email: `racer${index}@example.com` },
          }),
        ),
      );
      const kinds = results.map((result) => result.data?.joinSession.__typename);
      expect(kinds.filter((kind) => kind === "JoinSessionPayload")).toHaveLength(seats);
      expect(kinds.filter((kind) => kind === "SessionFullError")).toHaveLength(joiners - seats);
      expect(
        await server.app.prisma.sessionParticipant.count({
          where: { sessionId: session.id, status: "ADMITTED", role: "ATTENDEE" },
        }),
      ).toBe(seats);
    }
  });

  it("resumes the same participant on rejoin with a new token; the old token stops working", async () => {
    const session = await createSession(server, agent);
    const first = await join(server, session.accessToken, "again@example.com");
    await participantGql(
      server,
      `mutation { leaveSession { ... on SessionParticipant { status } } }`,
      {},
      first.participantToken,
    );
    const second = await join(server, session.accessToken, "AGAIN@example.com", { name: "Again" });
    expect(second.participant.id).toBe(first.participant.id);
    expect(second.participant.peerId).toBe(first.participant.peerId);
    expect((await participantGql(server, MY_PARTICIPANT, {}, second.participantToken)).data?.myParticipant.status).toBe(
      "ADMITTED",
    );
    expect((await participantGql(server, MY_PARTICIPANT, {}, first.participantToken)).data?.myParticipant).toBeNull();
    const row = await server.app.prisma.sessionParticipant.findUniqueOrThrow({ where: { id: first.participant.id } });
    expect(row.tokenHash).toBe(sha256(second.participantToken));
    expect(await server.app.prisma.sessionVisit.count({ where: { participantId: row.id } })).toBe(2);
    // The host's address cannot take the host's row through the link.
    expect((await join(server, session.accessToken, agent.email)).__typename).toBe("ValidationError");
  });
});

describe("waiting room and host controls", () => {
  it("queues joiners for the host, who admits or denies one or all within capacity", async () => {
    const session = await createSession(server, agent, { waitingRoom: true, maxParticipants: 2 });
    const joiners = [];
    for (const name of ["w1", "w2", "w3", "w4"])
      joiners.push(await join(server, session.accessToken, `${name}@example.com`));
    expect(joiners.map((row) => row.participant.status)).toEqual(["WAITING", "WAITING", "WAITING", "WAITING"]);
    expect(joiners[0]?.participant.peerId).toBeNull();
    const waiting = await server.gql(
      `query($id: ID!) { liveSession(id: $id) { waitingList { id } } }`,
      { id: session.id },
      agent.token,
    );
    expect(waiting.data?.liveSession.waitingList.map((row: { id: string }) => row.id)).toEqual(
      joiners.map((row) => row.participant.id),
    );
    const [w1, w2, w3, w4] = joiners.map((row) => row.participant.id as string);
    const admitted = await hostAction(
      server,
      agent,
      "admitParticipant",
      { participantId: w2 },
      "... on SessionParticipant { status peerId }",
    );
    expect(admitted.data?.admitParticipant.status).toBe("ADMITTED");
    expect(admitted.data?.admitParticipant.peerId).toMatch(/^[0-9a-f]{40}$/);
    const all = await server.gql(
      `mutation($id: ID!) { admitAllParticipants(sessionId: $id) { __typename
        ... on MutationAdmitAllParticipantsSuccess { data { id } } } }`,
      { id: session.id },
      agent.token,
    );
    expect(all.data?.admitAllParticipants.data.map((row: { id: string }) => row.id)).toEqual([w1]);
    const full = await hostAction(server, agent, "admitParticipant", { participantId: w3 }, "__typename");
    expect(full.data?.admitParticipant.__typename).toBe("SessionFullError");
    const denied = await hostAction(
      server,
      agent,
      "denyParticipant",
      { participantId: w3 },
      "... on SessionParticipant { status }",
    );
    expect(denied.data?.denyParticipant.status).toBe("DENIED");
    expect(
      (await participantGql(server, MY_PARTICIPANT, {}, joiners[2]?.participantToken)).data?.myParticipant,
    ).toBeNull();
    expect((await join(server, session.accessToken, "w3@example.com")).reason).toBe("DENIED");
    const denyAll = await server.gql(
      `mutation($id: ID!) { denyAllParticipants(sessionId: $id) { ... on MutationDenyAllParticipantsSuccess { data { id status } } } }`,
      { id: session.id },
      agent.token,
    );
    expect(denyAll.data?.denyAllParticipants.data).toEqual([{ id: w4, status: "DENIED" }]);
    for (const [actor, code] of [
      [otherAgent, "FORBIDDEN"],
      [customer, "FORBIDDEN"],
    ] as const) {
      expect(
        (await hostAction(server, actor, "admitParticipant", { participantId: w3 })).errors?.[0]?.extensions?.code,
      ).toBe(code);
      expect(
        (await hostAction(server, actor, "removeParticipant", { participantId: w1 })).errors?.[0]?.extensions?.code,
      ).toBe(code);
    }
    // Admins may act for the host: letting a denied participant back in allows them to join again.
    expect(
      (
        await hostAction(
          server,
          admin,
          "admitParticipant",
          { participantId: w3 },
          "... on SessionParticipant { status }",
        )
      ).data?.admitParticipant.status,
    ).toBe("LEFT");
  });

  it("removes a participant: token and peer revoked, rejoin refused until re-admitted", async () => {
    const session = await createSession(server, agent);
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const joined = await join(server, session.accessToken, "rm@example.com");
    const peers = server.app.services.sessions;
    expect(await peers.resolvePeer(joined.participant.peerId, joined.participantToken)).toEqual({
      sessionId: session.id,
      participantId: joined.participant.id,
    });
    const revoked = server.app.pubsub.subscribe("peerRevoked")[Symbol.asyncIterator]();
    const nextRevocation = revoked.next();
    const removed = await hostAction(
      server,
      agent,
      "removeParticipant",
      { participantId: joined.participant.id },
      "... on SessionParticipant { status }",
    );
    expect(removed.data?.removeParticipant.status).toBe("REMOVED");
    expect((await nextRevocation).value).toEqual({ sessionId: session.id, peerIds: [joined.participant.peerId] });
    await revoked.return?.();
    expect(await peers.resolvePeer(joined.participant.peerId, joined.participantToken)).toBeNull();
    expect((await participantGql(server, MY_PARTICIPANT, {}, joined.participantToken)).data?.myParticipant).toBeNull();
    expect((await join(server, session.accessToken, "rm@example.com")).__typename).toBe("ParticipantRemovedError");
    await hostAction(server, agent, "admitParticipant", { participantId: joined.participant.id });
    const back = await join(server, session.accessToken, "rm@example.com");
    expect(back.participant).toMatchObject({ id: joined.participant.id, status: "ADMITTED" });
  });

  it("resolves peers only for admitted participants of live sessions with the matching token", async () => {
    const session = await createSession(server, agent, { type: "WEBINAR" });
    const a = await join(server, session.accessToken, "peer-a@example.com");
    const b = await join(server, session.accessToken, "peer-b@example.com");
    const peers = server.app.services.sessions;
    const hostRow = await server.app.prisma.sessionParticipant.findFirstOrThrow({
      where: { sessionId: session.id, role: "HOST" },
    });
    expect(await peers.resolvePeer(a.participant.peerId, a.participantToken)).toBeNull();
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    expect(await peers.resolvePeer(a.participant.peerId, a.participantToken)).toEqual({
      sessionId: session.id,
      participantId: a.participant.id,
    });
    expect(await peers.resolvePeer(a.participant.peerId, b.participantToken)).toBeNull();
    expect(await peers.resolvePeer("f".repeat(40), a.participantToken)).toBeNull();
    // What the signaling server checks before `peer` may queue a message for a peer that is not connected.
    expect(await peers.sessionOfPeer(a.participant.peerId)).toBe(session.id);
    expect(await peers.sessionOfPeer("f".repeat(40))).toBeNull();
    expect(await peers.resolvePeer(hostRow.peerId, agent.token)).toEqual({
      sessionId: session.id,
      participantId: hostRow.id,
    });
    expect(await peers.resolvePeer(hostRow.peerId, otherAgent.token)).toBeNull();
    expect(await peers.resolvePeer(a.participant.peerId, agent.token)).toBeNull();

    const promoted = await hostAction(
      server,
      agent,
      "setParticipantRole",
      { participantId: a.participant.id, role: "PRESENTER" },
      "... on SessionParticipant { role }",
    );
    expect(promoted.data?.setParticipantRole.role).toBe("PRESENTER");
    const toHost = await hostAction(
      server,
      agent,
      "setParticipantRole",
      { participantId: a.participant.id, role: "HOST" },
      "__typename",
    );
    expect(toHost.data?.setParticipantRole.__typename).toBe("ValidationError");

    await participantGql(
      server,
      `mutation { leaveSession { ... on SessionParticipant { status } } }`,
      {},
      b.participantToken,
    );
    expect(await peers.resolvePeer(b.participant.peerId, b.participantToken)).toBeNull();
    await hostAction(server, agent, "endLiveSession", { id: session.id });
    expect(await peers.resolvePeer(a.participant.peerId, a.participantToken)).toBeNull();
    expect(await peers.resolvePeer(hostRow.peerId, agent.token)).toBeNull();
  });

  it("starts and ends: status and times, started email, tokens stop working at the end", async () => {
    const session = await createSession(server, agent);
    const joined = await join(server, session.accessToken, "end@example.com");
    const started = await hostAction(
      server,
      agent,
      "startLiveSession",
      { id: session.id },
      "... on LiveSession { status actualStartAt }",
    );
    expect(started.data?.startLiveSession).toEqual({ status: "LIVE", actualStartAt: server.clock.now().toISOString() });
    expect((await jobsFor(session.id, "email.sessionStarted")).map((job) => job.payload)).toEqual([
      { sessionId: session.id },
    ]);
    expect((await jobsFor(session.id, "session.reminder")).every((job) => job.status === "CANCELLED")).toBe(true);
    expect((await hostAction(server, agent, "startLiveSession", { id: session.id })).data?.startLiveSession.code).toBe(
      "INVALID_TRANSITION",
    );
    expect(
      (await hostAction(server, otherAgent, "endLiveSession", { id: session.id })).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    server.clock.advance(minutes(5));
    const ended = await hostAction(
      server,
      agent,
      "endLiveSession",
      { id: session.id },
      "... on LiveSession { status actualEndAt }",
    );
    expect(ended.data?.endLiveSession).toEqual({ status: "ENDED", actualEndAt: server.clock.now().toISOString() });
    expect((await participantGql(server, MY_PARTICIPANT, {}, joined.participantToken)).data?.myParticipant).toBeNull();
    expect(await server.app.prisma.sessionVisit.count({ where: { sessionId: session.id, leftAt: null } })).toBe(0);
    expect((await hostAction(server, agent, "endLiveSession", { id: session.id })).data?.endLiveSession.code).toBe(
      "INVALID_TRANSITION",
    );
    server.clock.advance(-minutes(5));
  });

  it("records only with every present participant's consent; joiners must consent while recording", async () => {
    const plain = await createSession(server, agent);
    await hostAction(server, agent, "startLiveSession", { id: plain.id });
    const disabled = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: plain.id, recording: true },
      "__typename ... on SessionOptionDisabledError { option }",
    );
    expect(disabled.data?.setSessionRecording).toEqual({
      __typename: "SessionOptionDisabledError",
      option: "RECORDING",
    });

    const session = await createSession(server, agent, { recordingEnabled: true });
    const notLive = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: session.id, recording: true },
      "__typename",
    );
    expect(notLive.data?.setSessionRecording.__typename).toBe("InvalidTransitionError");
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const a = await join(server, session.accessToken, "rec-a@example.com", { recordingConsent: true });
    const b = await join(server, session.accessToken, "rec-b@example.com");
    const missing = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: session.id, recording: true },
      "__typename ... on RecordingConsentMissingError { participantIds }",
    );
    expect(missing.data?.setSessionRecording).toEqual({
      __typename: "RecordingConsentMissingError",
      participantIds: [b.participant.id],
    });
    const consent = await participantGql(
      server,
      `mutation { giveRecordingConsent { recordingConsent } }`,
      {},
      b.participantToken,
    );
    expect(consent.data?.giveRecordingConsent.recordingConsent).toBe(true);
    const on = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: session.id, recording: true },
      "... on LiveSession { recording }",
    );
    expect(on.data?.setSessionRecording.recording).toBe(true);
    expect((await join(server, session.accessToken, "rec-c@example.com")).__typename).toBe(
      "RecordingConsentRequiredError",
    );
    expect(
      (await join(server, session.accessToken, "rec-c@example.com", { recordingConsent: true })).participant.status,
    ).toBe("ADMITTED");
    expect(
      (await hostAction(server, otherAgent, "setSessionRecording", { id: session.id, recording: false })).errors?.[0]
        ?.extensions?.code,
    ).toBe("FORBIDDEN");
    const off = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: session.id, recording: false },
      "... on LiveSession { recording }",
    );
    expect(off.data?.setSessionRecording.recording).toBe(false);
    void a;
  });
});

describe("chat", () => {
  const SEND = `mutation($id: ID!, $body: String!) { sendSessionChatMessage(sessionId: $id, body: $body) {
    __typename ... on SessionChatMessage { id body author { name role } } ... on Error { code }
    ... on ValidationError { fieldErrors { path } } } }`;

  it("carries messages from participants and the host, with limits", async () => {
    const session = await createSession(server, agent, { waitingRoom: true });
    const a = await join(server, session.accessToken, "chat-a@example.com");
    const waitingSend = await participantGql(server, SEND, { id: session.id, body: "hi" }, a.participantToken);
    expect(waitingSend.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    await hostAction(server, agent, "admitParticipant", { participantId: a.participant.id });
    const sent = await participantGql(server, SEND, { id: session.id, body: "  hello all  " }, a.participantToken);
    expect(sent.data?.sendSessionChatMessage).toMatchObject({
      body: "hello all",
      author: { name: "chat-a", role: "ATTENDEE" },
    });
    const fromHost = await server.gql(SEND, { id: session.id, body: "welcome" }, agent.token);
    expect(fromHost.data?.sendSessionChatMessage.author.role).toBe("HOST");
    const tooLong = await participantGql(server, SEND, { id: session.id, body: "x".repeat(2001) }, a.participantToken);
    expect(tooLong.data?.sendSessionChatMessage.fieldErrors).toEqual([{ path: "body" }]);
    const empty = await participantGql(server, SEND, { id: session.id, body: "   " }, a.participantToken);
    expect(empty.data?.sendSessionChatMessage.__typename).toBe("ValidationError");
    for (let index = 0; index < 4; index++)
      await participantGql(server, SEND, { id: session.id, body: `spam ${index}` }, a.participantToken);
    const limited = await participantGql(server, SEND, { id: session.id, body: "one more" }, a.participantToken);
    expect(limited.data?.sendSessionChatMessage.code).toBe("RATE_LIMITED");
    const history = await participantGql(
      server,
      `query($id: ID!) { liveSession(id: $id) { chatMessages(first: 3) { totalCount edges { node { body } } } } }`,
      { id: session.id },
      a.participantToken,
    );
    expect(history.data?.liveSession.chatMessages.totalCount).toBe(6);
    expect(
      history.data?.liveSession.chatMessages.edges.map((edge: { node: { body: string } }) => edge.node.body),
    ).toEqual(["hello all", "welcome", "spam 0"]);
    expect(
      (await server.gql(SEND, { id: session.id, body: "intruder" }, otherAgent.token)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    expect((await server.gql(SEND, { id: session.id, body: "intruder" })).errors?.[0]?.extensions?.code).toBe(
      "UNAUTHENTICATED",
    );

    const quiet = await createSession(server, agent, { chatEnabled: false });
    const q = await join(server, quiet.accessToken, "quiet@example.com");
    const off = await participantGql(server, SEND, { id: quiet.id, body: "hello?" }, q.participantToken);
    expect(off.data?.sendSessionChatMessage.code).toBe("OPTION_DISABLED");
  });
});

describe("field visibility", () => {
  it("shows each field to its audience only", async () => {
    const session = await createSession(server, agent, { invites: [{ name: "Carol", email: customer.email }] });
    const p = await join(server, session.accessToken, "vis@example.com");
    const other = await createSession(server, agent);
    const q = await join(server, other.accessToken, "vis-other@example.com");
    const ask = (fields: string, participantToken: string | null, accessToken?: string) =>
      participantGql(
        server,
        `query($id: ID!) { liveSession(id: $id) { ${fields} } }`,
        { id: session.id },
        participantToken,
        accessToken,
      );

    // Host and admin see everything.
    for (const token of [agent.token, admin.token]) {
      const result = await ask(`${HOST_FIELDS} participants { email peerId } waitingList { id }`, null, token);
      expect(result.errors).toBeUndefined();
      expect(result.data?.liveSession.participants).toHaveLength(2);
    }
    // A participant sees the room and who is in it, but not emails of others, invites or the link.
    const asParticipant = await ask(`${SESSION_FIELDS} roomId participants { name peerId }`, p.participantToken);
    expect(asParticipant.errors).toBeUndefined();
    expect(
      asParticipant.data?.liveSession.participants.every((row: { peerId: string }) =>
        /^[0-9a-f]{40}$/.test(row.peerId),
      ),
    ).toBe(true);
    for (const field of ["invites { id }", "accessToken", "participants { email }", "waitingList { id }", "sequence"])
      expect((await ask(field, p.participantToken)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await participantGql(server, MY_PARTICIPANT, {}, p.participantToken)).data?.myParticipant.email).toBe(
      "vis@example.com",
    );
    // Others get nothing: another session's participant, another agent, a customer, anonymous.
    for (const [participantToken, accessToken] of [
      [q.participantToken, undefined],
      [null, otherAgent.token],
      [null, customer.token],
      [null, undefined],
    ] as const)
      expect((await ask("id", participantToken, accessToken)).data?.liveSession).toBeNull();
    // An invited customer (e.g. a ticket's requester) may read the link through a ticket; here through the field rule.
    const tickets = server.app.services.sessions;
    expect(await tickets.byLink(session.accessToken)).not.toBeNull();
  });
});
