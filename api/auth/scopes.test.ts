import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast, invite } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { type Credentials, hostAction, join, sessionCallers } from "../../test/session-fixtures.ts";
import { type AuthScopes, builder, hasScopes } from "../builder.ts";
import type { Context } from "../context.ts";
import { forgetScopeResults, refusal } from "./scopes.ts";

/**
 * The scopes as the plugin runs them (per-request cache included), for callers the root-field matrices reach only
 * through the sessions schema: hosts, admins, and participant tokens admitted, waiting or of another session.
 */

let server: TestServer;
let host: Actor;
let sessionId: string;
/** The session's access link token. */
let sessionLink: string;
let credentials: Awaited<ReturnType<typeof sessionCallers>>["callers"];
let customerEmail: string;
type Caller = keyof typeof credentials;

beforeAll(async () => {
  server = await startTestServer();
  const { admin, agent, customer } = await createCast(server);
  host = agent;
  customerEmail = customer.email;
  const otherAgent = await invite(server, admin, "otto@example.com", "AGENT");
  const cast = await sessionCallers(server, { admin, agent, customer, otherAgent });
  sessionId = cast.session.id;
  sessionLink = cast.session.accessToken;
  credentials = cast.callers;
}, 300_000);
afterAll(async () => {
  await server?.close();
});

/** A fresh request context for the caller, built from its tokens as the app does. */
async function contextOf(caller: Caller): Promise<Context> {
  return contextWith(credentials[caller]);
}

async function contextWith({ accessToken, participantToken }: Credentials) {
  const { services, prisma, pubsub } = server.app;
  return {
    prisma,
    pubsub,
    services,
    viewer: accessToken ? await services.auth.authenticate(accessToken) : null,
    participant: participantToken ? await services.sessions.authenticateParticipant(participantToken) : null,
    authenticatedUserIds: new Set(),
    refreshCookie: { issue: () => {}, clear: () => {} },
    clientAddress: "127.0.0.1",
  } as Omit<Context, "env"> as Context;
}

type ScopeMap = Partial<AuthScopes> & { $all?: Partial<AuthScopes> };

/** "ok", or the code of the error the field would answer with. */
async function check(context: Context, scopes: ScopeMap): Promise<string> {
  try {
    await builder.runAuthScopes(context, scopes, (result) => refusal(context, result.failure));
    return "ok";
  } catch (error) {
    return String((error as { extensions?: { code?: string } }).extensions?.code ?? error);
  }
}

async function matrix(scopes: () => ScopeMap): Promise<Record<Caller, string>> {
  const outcomes = {} as Record<Caller, string>;
  for (const caller of Object.keys(credentials) as Caller[])
    outcomes[caller] = await check(await contextOf(caller), scopes());
  return outcomes;
}

const refusedAll = {
  anonymous: "UNAUTHENTICATED",
  customer: "FORBIDDEN",
  otherAgent: "FORBIDDEN",
  host: "FORBIDDEN",
  admin: "FORBIDDEN",
  admitted: "FORBIDDEN",
  waiting: "FORBIDDEN",
  foreign: "FORBIDDEN",
} satisfies Record<Caller, string>;

/** Participant-token scopes: signed-in callers without a participant token are unauthenticated for them. */
const refusedWithoutParticipantToken = {
  ...refusedAll,
  customer: "UNAUTHENTICATED",
  otherAgent: "UNAUTHENTICATED",
  host: "UNAUTHENTICATED",
  admin: "UNAUTHENTICATED",
} satisfies Record<Caller, string>;

describe("session scopes", () => {
  it("sessionManager: the host and admins, by id or by the loaded row", async () => {
    const expected = { ...refusedAll, host: "ok", admin: "ok" };
    expect(await matrix(() => ({ sessionManager: sessionId }))).toEqual(expected);
    const row = await server.app.prisma.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(await matrix(() => ({ sessionManager: row }))).toEqual(expected);
    expect(await check(await contextOf("admin"), { sessionManager: "missing" })).toBe("FORBIDDEN");
  });

  it("sessionParticipant: an admitted participant token of that session", async () => {
    expect(await matrix(() => ({ sessionParticipant: sessionId }))).toEqual({
      ...refusedWithoutParticipantToken,
      admitted: "ok",
    });
  });

  it("sessionParticipantToken: a participant token of that session, waiting room included", async () => {
    expect(await matrix(() => ({ sessionParticipantToken: sessionId }))).toEqual({
      ...refusedWithoutParticipantToken,
      admitted: "ok",
      waiting: "ok",
    });
  });

  it("participant: any participant token", async () => {
    expect(await matrix(() => ({ participant: true }))).toEqual({
      ...refusedWithoutParticipantToken,
      admitted: "ok",
      waiting: "ok",
      foreign: "ok",
    });
  });

  it("manager or admitted participant: either lets the caller through", async () => {
    expect(await matrix(() => ({ sessionManager: sessionId, sessionParticipant: sessionId }))).toEqual({
      ...refusedAll,
      host: "ok",
      admin: "ok",
      admitted: "ok",
    });
    const room = { sessionManager: sessionId, sessionParticipant: sessionId };
    expect(await hasScopes(await contextOf("admitted"), room)).toBe(true);
    expect(await hasScopes(await contextOf("waiting"), room)).toBe(false);
  });

  it("sessionInvitee: signed in as someone on the session's invite list, until removed from it", async () => {
    const invite = (people: { name: string; email: string }[]) =>
      server.gql(
        `mutation($id: ID!, $people: [InviteeInput!]) { updateLiveSession(id: $id, input: { invites: $people }) {
          __typename } }`,
        { id: sessionId, people },
        host.token,
      );
    await invite([{ name: "Customer", email: customerEmail }]);
    expect(await matrix(() => ({ sessionInvitee: sessionId }))).toEqual({ ...refusedAll, customer: "ok" });
    await invite([]);
    expect(await check(await contextOf("customer"), { sessionInvitee: sessionId })).toBe("FORBIDDEN");
  });

  it("caches a result for the request until forgetScopeResults (a subscription's next event)", async () => {
    const late = await join(server, sessionLink, "late@example.org");
    const context = await contextWith({ participantToken: late.participantToken });
    // The row read with the token serves the request (no second read); the next event reads it again.
    expect(context.participant?.snapshot?.row).toMatchObject({ id: late.participant.id, status: "WAITING" });
    expect(await check(context, { sessionParticipant: sessionId })).toBe("FORBIDDEN");
    await hostAction(server, host, "admitParticipant", { participantId: late.participant.id });
    expect(await check(context, { sessionParticipant: sessionId })).toBe("FORBIDDEN");
    forgetScopeResults(context);
    expect(context.participant).toEqual({ participantId: late.participant.id, sessionId });
    expect(await check(context, { sessionParticipant: sessionId })).toBe("ok");
  });
});
