import { describe, expect, it } from "vitest";
import type { Actor } from "../../test/fixtures.ts";
import { createCast } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import {
  createSession,
  HOST_FIELDS,
  hostAction,
  jobsFor,
  join,
  minutes,
  sha256,
  withSessionServer,
} from "../../test/session-fixtures.ts";

let server: TestServer;
let admin: Actor;
let agent: Actor;
let otherAgent: Actor;
let customer: Actor;
withSessionServer((running) => {
  ({ server, admin, agent, otherAgent, customer } = running);
});

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

    const invitations = await jobsFor(server, session.id, "email.sessionInvitation");
    expect(invitations).toHaveLength(2);
    const reminders = await jobsFor(server, session.id, "session.reminder");
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
    const reminders = await jobsFor(server, session.id, "session.reminder");
    expect(reminders.map((job) => (job.payload as { offsetMinutes: number }).offsetMinutes)).toEqual([15]);
    expect((await createSession(server, agent, { type: "WEBINAR" })).maxParticipants).toBe(100);
    expect((await createSession(server, agent, { type: "SUPPORT_CALL" })).maxParticipants).toBe(4);
  });

  it("seats at most 100, and webinars up to WEBINAR_MAX_PARTICIPANTS where a media server carries them", async () => {
    const CREATE = `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
      __typename ... on LiveSession { maxParticipants } ... on ValidationError { fieldErrors { path message } } } }`;
    const start = new Date(server.clock.now().getTime() + minutes(60));
    const input = (type: string, maxParticipants: number) => ({
      input: {
        title: "Seats",
        type,
        maxParticipants,
        scheduledStartAt: start.toISOString(),
        scheduledEndAt: new Date(start.getTime() + minutes(60)).toISOString(),
      },
    });
    const refused = (await server.gql(CREATE, input("WEBINAR", 101), agent.token)).data?.createLiveSession;
    expect(refused.fieldErrors).toEqual([{ path: "input.maxParticipants", message: "must be at most 100" }]);
    const wide = await startTestServer({ env: { WEBINAR_MAX_PARTICIPANTS: "300" } });
    try {
      const host = (await createCast(wide)).agent;
      const webinar = (await wide.gql(CREATE, input("WEBINAR", 300), host.token)).data?.createLiveSession;
      expect(webinar).toEqual({ __typename: "LiveSession", maxParticipants: 300 });
      const training = (await wide.gql(CREATE, input("TRAINING", 101), host.token)).data?.createLiveSession;
      expect(training.fieldErrors).toEqual([{ path: "input.maxParticipants", message: "must be at most 100" }]);
      const over = (await wide.gql(CREATE, input("WEBINAR", 301), host.token)).data?.createLiveSession;
      expect(over.fieldErrors).toEqual([{ path: "input.maxParticipants", message: "must be at most 300" }]);
    } finally {
      await wide.close();
    }
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
          maxParticipants: 0,
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
    // Invitees follow the PWA's rules (shared/invitees.ts): a list typed as one person is refused, naming it.
    const lists = await server.gql(
      `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
        __typename ... on ValidationError { fieldErrors { path message } } } }`,
      {
        input: {
          title: "Lists",
          type: "SUPPORT_CALL",
          scheduledStartAt: new Date(now + minutes(60)).toISOString(),
          scheduledEndAt: new Date(now + minutes(90)).toISOString(),
          invites: [
            { name: "guest@example.com", email: "boss@example.org" },
            { name: "Two", email: "a@example.com, b@example.com" },
          ],
          inviteList: "Pat <pat@example.com>; nonsense\nJo <jo@example",
        },
      },
      agent.token,
    );
    expect(lists.data?.createLiveSession.fieldErrors).toEqual([
      {
        path: "input.invites.0.name",
        message: '"guest@example.com" is an email address, not a name: send each person as their own invitee',
      },
      {
        path: "input.invites.1.email",
        message: '"a@example.com, b@example.com" holds more than one address: send each person as their own invitee',
      },
      { path: "input.inviteList", message: '"nonsense" is not an email address' },
      { path: "input.inviteList", message: '"Jo <jo@example" is missing a < or >: write Name <email>' },
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
    const oldReminders = await jobsFor(server, session.id, "session.reminder");
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
    expect(await jobsFor(server, session.id, "email.sessionInvitation")).toHaveLength(4);
    const reminders = await jobsFor(server, session.id, "session.reminder");
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
    const cancelled = await jobsFor(server, session.id, "email.sessionCancelled");
    expect(cancelled.map((job) => job.payload)).toEqual([{ sessionId: session.id, inviteId: idOf("bob@example.com") }]);
    const invitations = await jobsFor(server, session.id, "email.sessionInvitation");
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
    expect((await jobsFor(server, session.id, "email.sessionCancelled")).map((job) => job.payload)).toHaveLength(1);
    expect((await jobsFor(server, session.id, "session.reminder")).every((job) => job.status === "CANCELLED")).toBe(
      true,
    );
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
    expect(await jobsFor(server, session.id, "email.sessionInvitation")).toHaveLength(2);
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
