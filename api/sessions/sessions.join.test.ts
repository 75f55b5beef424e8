import { describe, expect, it, vi } from "vitest";
import type { Actor } from "../../test/fixtures.ts";
import type { TestServer } from "../../test/harness.ts";
import {
  createSession,
  HOST_FIELDS,
  hostAction,
  JOIN,
  join,
  MY_PARTICIPANT,
  minutes,
  participantGql,
  SESSION_FIELDS,
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

/** The code a verification job carries sealed, as the mailer opens it. */
const openCode = (payload: unknown) =>
  server.app.services.sessions.openVerificationCode(String((payload as { sealedCode?: string }).sealedCode));

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
      return openCode(job?.payload);
    };
    expect((await requestCode("a@elsewhere.org")).data?.requestSessionVerificationCode.code).toBe(
      "EMAIL_DOMAIN_NOT_ALLOWED",
    );
    const sent = (await requestCode("a@example.com")).data?.requestSessionVerificationCode;
    expect(new Date(sent.expiresAt).getTime()).toBe(server.clock.now().getTime() + minutes(10));
    // The queued job does not hold the code in the clear.
    const pending = await server.app.prisma.job.findMany({ where: { kind: "email.verificationCode" } });
    expect(JSON.stringify(pending.map((job) => job.payload))).not.toMatch(/"\d{6}"/);
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
    // An admitted participant may come back into a locked room, also after leaving it.
    const back = await attempt("a@example.com", { password: "right password" });
    expect(back.__typename).toBe("JoinSessionPayload");
    await participantGql(server, `mutation { leaveSession { __typename } }`, {}, back.participantToken);
    const returned = await attempt("a@example.com", { password: "right password" });
    expect(returned).toMatchObject({ __typename: "JoinSessionPayload", participant: { status: "ADMITTED" } });
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
    const code = openCode(job?.payload);
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
      verificationCode: openCode(freshJob?.payload),
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

  it("seats joins that arrive together in batches: each joiner gets their own token or typed error, no seat too many", async () => {
    const session = await createSession(server, agent, { maxParticipants: 5 });
    const joining = server.app.services.sessions.joining as unknown as {
      joinBatch: (...args: unknown[]) => Promise<unknown>;
      joins: { queued(key: string): number };
    };
    const emails = [
      ...Array.from({ length: 10 }, (_, index) => `batch${index}@example.com`),
      "batch0@example.com", // the same person twice (a double click): their second join resumes the first's row
      agent.email, // the host's own address: a validation error
    ];
    // The first join's batch waits (before its transaction) until every other join queued behind it: they make the
    // next batch, together.
    const batches: number[] = [];
    const seat = joining.joinBatch.bind(joining);
    const spy = vi.spyOn(joining, "joinBatch").mockImplementation(async (...args: unknown[]) => {
      batches.push((args[1] as unknown[]).length);
      if (batches.length === 1)
        await vi.waitFor(() => expect(joining.joins.queued(session.id)).toBe(emails.length - 1), { timeout: 10_000 });
      return seat(...args);
    });
    try {
      const results = await Promise.all(
        emails.map((email, index) =>
          server.gql(JOIN, { input: { token: session.accessToken, name: `Batch ${index}`, email } }),
        ),
      );
      const joins = results.map((result) => result.data?.joinSession);
      expect(batches).toEqual([1, emails.length - 1]);
      expect(joins.at(-1)?.__typename).toBe("ValidationError");
      const seated = joins.filter((join) => join?.__typename === "JoinSessionPayload");
      const full = joins.filter((join) => join?.__typename === "SessionFullError");
      // batch0 twice holds one seat: 5 seats for 10 people, the 11th join resumes batch0's row.
      expect(new Set(seated.map((join) => join.participant.email)).size).toBe(5);
      expect(full).toHaveLength(11 - seated.length);
      expect(full.every((join) => join.maxParticipants === 5)).toBe(true);
      expect(
        await server.app.prisma.sessionParticipant.count({
          where: { sessionId: session.id, status: "ADMITTED", role: "ATTENDEE" },
        }),
      ).toBe(5);
      // Every seated joiner's token is their own (for the email joined twice, the later token replaced the earlier).
      const tokens = new Set(seated.map((join) => join.participantToken));
      expect(tokens.size).toBe(seated.length);
      const latest = new Map(seated.map((join) => [join.participant.email, join]));
      for (const join of latest.values()) {
        const me = await participantGql(server, MY_PARTICIPANT, {}, join.participantToken);
        expect(me.data?.myParticipant).toMatchObject({ id: join.participant.id, status: "ADMITTED" });
      }
      // One open visit per seated participant, and each seat's PARTICIPANT_JOINED in the session's stream log.
      const ids = [...latest.values()].map((join) => join.participant.id);
      expect(await server.app.prisma.sessionVisit.count({ where: { participantId: { in: ids }, leftAt: null } })).toBe(
        5,
      );
      const logged = await server.app.prisma.streamEvent.findMany({
        where: { stream: `session:${session.id}` },
        orderBy: { seq: "asc" },
      });
      const joinedEvents = logged.filter((event) => (event.payload as { kind?: string }).kind === "PARTICIPANT_JOINED");
      expect(new Set(joinedEvents.map((event) => (event.payload as { participantId: string }).participantId))).toEqual(
        new Set(ids),
      );
      expect(logged.map((event) => event.seq)).toEqual(logged.map((_, index) => (logged[0]?.seq ?? 0) + index));
    } finally {
      spy.mockRestore();
    }
  });

  it("gives a waiting joiner its token with session { roomId } selected: the room id stays null until admitted", async () => {
    const session = await createSession(server, agent, { waitingRoom: true });
    const joined = await server.gql(
      `mutation($input: JoinSessionInput!) { joinSession(input: $input) {
        ... on JoinSessionPayload { participantToken participant { status } session { id roomId } } } }`,
      { input: { token: session.accessToken, name: "Wait", email: "wait@example.com" } },
    );
    expect(joined.errors).toBeUndefined();
    expect(joined.data?.joinSession).toMatchObject({
      participantToken: expect.any(String),
      participant: { status: "WAITING" },
      session: { id: session.id, roomId: null },
    });
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
    expect(await tickets.joining.byLink(session.accessToken)).not.toBeNull();
  });
});
