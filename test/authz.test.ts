import { createECDH, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema } from "../api/schema.ts";
import { authzCoverage } from "./authz-coverage.ts";
import { type Actor, createCast, createTicket, signUp } from "./fixtures.ts";
import { eventually, type GraphQLResponse, startTestServer, subscribe, type TestServer } from "./harness.ts";
import { TRANSPORTS, type Transport } from "./realtime-auth.ts";
import { sseSubscribe } from "./sse.ts";

/**
 * Who may call what: every root field of the schema × anonymous, customer (the requester), another customer,
 * agent and admin, with the exact outcome. A new query, mutation or subscription fails the completeness check
 * until it has a row here.
 */

type Role = "anonymous" | "customer" | "other" | "agent" | "admin";
const roles: Role[] = ["anonymous", "customer", "other", "agent", "admin"];

let server: TestServer;
let actors: Record<Role, Actor | null>;
/** A ticket of `customer` that the read-only rows share. */
let ticket: { id: string; reference: string };

beforeAll(async () => {
  server = await startTestServer();
  const cast = await createCast(server);
  actors = {
    anonymous: null,
    customer: cast.customer,
    other: cast.otherCustomer,
    agent: cast.agent,
    admin: cast.admin,
  };
  ticket = (await createTicket(server, cast.customer)) as { id: string; reference: string };
  await server.gql(
    `mutation($id: ID!, $to: ID) { assignTicket(ticketId: $id, assigneeId: $to) { __typename } }`,
    { id: ticket.id, to: cast.agent.id },
    cast.agent.token,
  );
}, 300_000);
afterAll(async () => {
  await server?.close();
});

/**
 * What a response means for the matrix: the error code of a top-level error, `null`, the `__typename` of a
 * result, a count, or `true`.
 */
function outcome(result: GraphQLResponse, field: string): string {
  const code = result.errors?.[0]?.extensions?.code;
  if (code) return String(code);
  if (result.errors) return `error: ${result.errors[0]?.message}`;
  const value = result.data?.[field];
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    if ("totalCount" in record) return `${record.totalCount} found`;
    return String(record.__typename);
  }
  return String(value);
}

const unique = () => Math.random().toString(36).slice(2, 10);

/** Valid browser keys for push subscription rows (a P-256 point and a 16-byte secret). */
const pushKeys = (() => {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") };
})();

const sessionTimes = () => {
  const start = new Date(server.clock.now().getTime() + 3_600_000);
  return { s: start.toISOString(), e: new Date(start.getTime() + 3_600_000).toISOString() };
};

/** A fresh session hosted by the agent: its id and access-link token. */
async function liveSessionOfAgent(options: { start?: boolean; emailVerificationRequired?: boolean } = {}) {
  const created = await server.gql(
    `mutation($s: DateTime!, $e: DateTime!, $v: Boolean) { createLiveSession(input: { title: "Matrix", type: WEBINAR,
      scheduledStartAt: $s, scheduledEndAt: $e, emailVerificationRequired: $v }) {
      ... on LiveSession { id accessToken } } }`,
    { ...sessionTimes(), v: options.emailVerificationRequired ?? false },
    actors.agent?.token,
  );
  const session = created.data?.createLiveSession as { id: string; accessToken: string };
  if (options.start)
    await server.gql(
      `mutation($id: ID!) { startLiveSession(id: $id) { __typename } }`,
      { id: session.id },
      actors.agent?.token,
    );
  return { id: session.id, token: session.accessToken };
}
/** An open invitation the admin just sent: its id. */
async function openInvitation(): Promise<string> {
  const sent = await server.gql(
    `mutation($e: String!) { inviteUser(input: { email: $e, name: "Invitee", role: AGENT }) {
      ... on Invitation { invitation { id } } } }`,
    { e: `open-${unique()}@example.com` },
    actors.admin?.token,
  );
  return sent.data?.inviteUser.invitation.id as string;
}
const fresh = async () => (await createTicket(server, actors.customer as Actor)).id as string;

interface Row {
  field: string;
  run(actor: Actor | null, role: Role): Promise<string>;
  expected: Record<Role, string>;
}

const gql = async (field: string, actor: Actor | null, query: string, variables: Record<string, unknown> = {}) =>
  outcome(await server.gql(query, variables, actor?.token), field);

/**
 * Opens a subscription over graphql-ws or SSE: "event" when, once it is attached, what `trigger` does reaches it;
 * else the error code it was refused with.
 */
async function subscription(
  transport: Transport,
  actor: Actor | null,
  topic: () => string,
  query: string,
  variables: Record<string, unknown>,
  trigger: () => Promise<unknown>,
) {
  const before = server.app.pubsub.listenerCount(topic());
  const sub =
    transport === "graphql-ws"
      ? subscribe(server.wsClient(actor?.token), query, variables)
      : sseSubscribe(server.url, query, variables, actor?.token);
  const attached = () => server.app.pubsub.listenerCount(topic()) > before;
  const answered = await eventually(() => attached() || sub.pending().length > 0 || sub.done, {
    timeoutMs: 30_000,
  }).catch(() => false);
  const listening = attached();
  if (listening) await trigger();
  const verdict = answered
    ? await sub.next(10_000).then(
        (result) => (result.errors ? outcome(result, "") : "event"),
        (error: unknown) => String((error as { extensions?: { code?: string } }[])[0]?.extensions?.code ?? "no event"),
      )
    : "timeout";
  await sub.stop();
  // The server detaches it a moment later; the next row counts from a settled state.
  if (listening) await eventually(() => !attached(), { timeoutMs: 30_000, what: "the detach" });
  return verdict;
}

/** One row per transport (`ticketFeed over sse`): subscriptions must be refused and allowed alike on both. */
function overBothTransports(row: {
  field: string;
  run(transport: Transport, actor: Actor | null, role: Role): Promise<string>;
  expected: Record<Role, string>;
}): Row[] {
  return TRANSPORTS.map((transport) => ({
    field: `${row.field} over ${transport}`,
    run: (actor, role) => row.run(transport, actor, role),
    expected: row.expected,
  }));
}

const all = (value: string): Record<Role, string> => ({
  anonymous: value,
  customer: value,
  other: value,
  agent: value,
  admin: value,
});
const signedIn = (value: string, overrides: Partial<Record<Role, string>> = {}): Record<Role, string> => ({
  ...all(value),
  anonymous: "UNAUTHENTICATED",
  ...overrides,
});
const adminOnly = (value: string): Record<Role, string> => ({
  anonymous: "UNAUTHENTICATED",
  customer: "FORBIDDEN",
  other: "FORBIDDEN",
  agent: "FORBIDDEN",
  admin: value,
});
const staffOnly = (value: string): Record<Role, string> => ({
  anonymous: "UNAUTHENTICATED",
  customer: "FORBIDDEN",
  other: "FORBIDDEN",
  agent: value,
  admin: value,
});

const rows: Row[] = [
  // Queries
  {
    field: "me",
    run: (actor) => gql("me", actor, `{ me { __typename id } }`),
    expected: { ...all("User"), anonymous: "null" },
  },
  {
    // Participants may ask too, with their participant token; this matrix covers account roles.
    field: "iceServers",
    run: (actor) => gql("iceServers", actor, `{ iceServers { urls } }`),
    expected: signedIn("list"),
  },
  {
    field: "callCapacity",
    run: (actor) => gql("callCapacity", actor, `{ callCapacity { __typename mediaServer meshSize } }`),
    expected: staffOnly("CallCapacity"),
  },
  {
    field: "agents",
    run: (actor) => gql("agents", actor, `{ agents { id email } }`),
    expected: staffOnly("list"),
  },
  {
    field: "tickets",
    run: (actor) =>
      gql("tickets", actor, `query($s: String) { tickets(filter: { search: $s }) { totalCount } }`, {
        s: ticket.reference,
      }),
    expected: signedIn("1 found", { other: "0 found" }),
  },
  {
    field: "ticket",
    run: (actor) => gql("ticket", actor, `query($id: ID!) { ticket(id: $id) { __typename } }`, { id: ticket.id }),
    expected: signedIn("Ticket", { other: "null" }),
  },
  {
    field: "ticket.assignee.email",
    run: (actor) =>
      gql("ticket", actor, `query($id: ID!) { ticket(id: $id) { __typename assignee { email } } }`, { id: ticket.id }),
    // The requester sees who works on the ticket, not the agent's email address.
    expected: signedIn("Ticket", { customer: "FORBIDDEN", other: "null" }),
  },
  // Mutations
  {
    field: "signUp",
    run: (actor) =>
      gql(
        "signUp",
        actor,
        `mutation($e: String!) { signUp(input: { email: $e, name: "New", password: "long enough" }) { __typename } }`,
        { e: `new-${unique()}@example.com` },
      ),
    expected: all("AuthPayload"),
  },
  {
    field: "logIn",
    run: (actor) =>
      gql(
        "logIn",
        actor,
        `mutation { logIn(input: { email: "carol@example.com", password: "wrong" }) { __typename } }`,
      ),
    expected: all("InvalidCredentialsError"),
  },
  {
    field: "refreshSession",
    run: (actor) => gql("refreshSession", actor, `mutation { refreshSession(refreshToken: "bogus") { __typename } }`),
    expected: all("InvalidTokenError"),
  },
  {
    field: "acceptInvite",
    run: (actor) =>
      gql(
        "acceptInvite",
        actor,
        `mutation { acceptInvite(input: { token: "bogus", password: "long enough" }) { __typename } }`,
      ),
    expected: all("InvalidTokenError"),
  },
  {
    field: "logOut",
    // A session of its own, so the actor's token stays valid for the other rows.
    run: async (actor) => {
      let token: string | undefined;
      if (actor) {
        const login = await server.gql(
          `mutation($e: String!) { logIn(input: { email: $e, password: "correct horse battery" }) {
            ... on AuthPayload { accessToken } } }`,
          { e: actor.email },
        );
        token = login.data?.logIn.accessToken;
      }
      return outcome(await server.gql(`mutation { logOut }`, {}, token), "logOut");
    },
    expected: signedIn("true"),
  },
  // Account essentials: a user's own account (api/auth/account.schema.ts).
  {
    field: "mySignIns",
    run: (actor) => gql("mySignIns", actor, `{ mySignIns { id current } }`),
    expected: signedIn("list"),
  },
  {
    field: "requestPasswordReset",
    run: (actor) =>
      gql("requestPasswordReset", actor, `mutation($e: String!) { requestPasswordReset(email: $e) { __typename } }`, {
        e: `nobody-${unique()}@example.com`,
      }),
    expected: all("PasswordResetRequested"),
  },
  {
    field: "resetPassword",
    run: (actor) =>
      gql(
        "resetPassword",
        actor,
        `mutation { resetPassword(input: { token: "not-a-link", password: "long enough password" }) { __typename } }`,
      ),
    expected: all("InvalidTokenError"),
  },
  {
    field: "confirmEmailChange",
    run: (actor) =>
      gql("confirmEmailChange", actor, `mutation { confirmEmailChange(token: "not-a-link") { __typename } }`),
    expected: all("InvalidTokenError"),
  },
  {
    // A wrong current password: the actor's password (and sign-ins) must stay for the other rows.
    field: "changePassword",
    run: (actor) =>
      gql(
        "changePassword",
        actor,
        `mutation { changePassword(input: { currentPassword: "wrong", newPassword: "long enough password" }) { __typename } }`,
      ),
    expected: signedIn("InvalidCredentialsError"),
  },
  {
    field: "requestEmailChange",
    run: (actor) =>
      gql(
        "requestEmailChange",
        actor,
        `mutation { requestEmailChange(input: { newEmail: "new@example.com", currentPassword: "wrong" }) { __typename } }`,
      ),
    expected: signedIn("InvalidCredentialsError"),
  },
  {
    // It ends every sign-in of the caller, so a fresh account stands in for each signed-in role: the field asks only for a
    // signed-in user, whatever the role..
    field: "signOutEverywhere",
    run: async (actor) => {
      const someone = actor ? await signUp(server, `everywhere-${unique()}@example.com`) : null;
      return gql("signOutEverywhere", someone, `mutation { signOutEverywhere }`);
    },
    expected: signedIn("1"),
  },
  {
    field: "inviteUser",
    run: (actor) =>
      gql(
        "inviteUser",
        actor,
        `mutation($e: String!) { inviteUser(input: { email: $e, name: "Invitee", role: AGENT }) { __typename } }`,
        { e: `invitee-${unique()}@example.com` },
      ),
    expected: { ...staffOnly("Invitation"), agent: "FORBIDDEN" },
  },
  {
    field: "setUserRole",
    run: async (actor) => {
      const target = await signUp(server, `target-${unique()}@example.com`);
      return gql("setUserRole", actor, `mutation($id: ID!) { setUserRole(userId: $id, role: AGENT) { __typename } }`, {
        id: target.id,
      });
    },
    expected: { ...staffOnly("User"), agent: "FORBIDDEN" },
  },
  {
    field: "team",
    run: (actor) => gql("team", actor, `{ team { __typename invitationsSent } }`),
    expected: adminOnly("Team"),
  },
  {
    field: "invitationPreview",
    run: (actor) => gql("invitationPreview", actor, `{ invitationPreview(token: "not-a-link") { email } }`),
    expected: all("null"),
  },
  {
    field: "resendInvitation",
    run: async (actor) => {
      const id = await openInvitation();
      return gql("resendInvitation", actor, `mutation($id: ID!) { resendInvitation(id: $id) { __typename } }`, { id });
    },
    expected: adminOnly("Invitation"),
  },
  {
    field: "revokeInvitation",
    run: async (actor) => {
      const id = await openInvitation();
      return gql("revokeInvitation", actor, `mutation($id: ID!) { revokeInvitation(id: $id) { __typename } }`, { id });
    },
    expected: adminOnly("TeamInvitation"),
  },
  {
    field: "deactivateUser",
    run: async (actor) => {
      const target = await signUp(server, `leaving-${unique()}@example.com`);
      return gql(
        "deactivateUser",
        actor,
        `mutation($id: ID!) { deactivateUser(input: { userId: $id }) { __typename } }`,
        { id: target.id },
      );
    },
    expected: adminOnly("DeactivateUserResult"),
  },
  {
    field: "reactivateUser",
    run: async (actor) => {
      const target = await signUp(server, `back-${unique()}@example.com`);
      return gql("reactivateUser", actor, `mutation($id: ID!) { reactivateUser(userId: $id) { __typename } }`, {
        id: target.id,
      });
    },
    expected: adminOnly("User"),
  },
  {
    field: "createTicket",
    run: (actor) =>
      gql(
        "createTicket",
        actor,
        `mutation { createTicket(input: { subject: "Matrix", description: "Who may open tickets" }) { __typename } }`,
      ),
    expected: signedIn("Ticket"),
  },
  {
    field: "addTicketMessage",
    run: (actor) =>
      gql(
        "addTicketMessage",
        actor,
        `mutation($id: ID!) { addTicketMessage(input: { ticketId: $id, body: "Hello" }) { __typename } }`,
        { id: ticket.id },
      ),
    expected: signedIn("TicketMessage", { other: "NotFoundError" }),
  },
  {
    field: "addTicketMessage (internal note)",
    run: (actor) =>
      gql(
        "addTicketMessage",
        actor,
        `mutation($id: ID!) { addTicketMessage(input: { ticketId: $id, body: "Note", internal: true }) { __typename } }`,
        { id: ticket.id },
      ),
    expected: signedIn("TicketMessage", { customer: "FORBIDDEN", other: "NotFoundError" }),
  },
  {
    field: "updateTicketStatus",
    run: async (actor) =>
      gql(
        "updateTicketStatus",
        actor,
        `mutation($id: ID!) { updateTicketStatus(ticketId: $id, status: IN_PROGRESS) { __typename } }`,
        { id: await fresh() },
      ),
    expected: signedIn("Ticket", { customer: "InvalidTransitionError", other: "NotFoundError" }),
  },
  {
    field: "updateTicketStatus (close)",
    run: async (actor) =>
      gql(
        "updateTicketStatus",
        actor,
        `mutation($id: ID!) { updateTicketStatus(ticketId: $id, status: CLOSED) { __typename } }`,
        { id: await fresh() },
      ),
    expected: signedIn("Ticket", { other: "NotFoundError", agent: "InvalidTransitionError" }),
  },
  {
    field: "updateTicketPriority",
    run: (actor) =>
      gql(
        "updateTicketPriority",
        actor,
        `mutation($id: ID!) { updateTicketPriority(ticketId: $id, priority: HIGH) { __typename } }`,
        { id: ticket.id },
      ),
    expected: staffOnly("Ticket"),
  },
  {
    field: "assignTicket",
    run: (actor) =>
      gql(
        "assignTicket",
        actor,
        `mutation($id: ID!, $to: ID) { assignTicket(ticketId: $id, assigneeId: $to) { __typename } }`,
        { id: ticket.id, to: actors.agent?.id },
      ),
    expected: staffOnly("Ticket"),
  },
  // Recordings (the full host/admin/participant rules are in api/recordings/recordings.test.ts)
  {
    field: "startSessionRecording",
    run: (actor) =>
      gql(
        "startSessionRecording",
        actor,
        `mutation { startSessionRecording(sessionId: "missing", mimeType: "video/webm") { __typename } }`,
      ),
    expected: staffOnly("NotFoundError"),
  },
  {
    field: "finishSessionRecording",
    run: (actor) =>
      gql(
        "finishSessionRecording",
        actor,
        `mutation { finishSessionRecording(recordingId: "missing") { __typename } }`,
      ),
    expected: staffOnly("NotFoundError"),
  },
  // Live sessions: fields whose callers are all roles of this matrix (participant-token matrices: authz-coverage.ts)
  {
    field: "createLiveSession",
    run: (actor) =>
      gql(
        "createLiveSession",
        actor,
        `mutation($s: DateTime!, $e: DateTime!) { createLiveSession(input: { title: "Matrix", type: WEBINAR,
          scheduledStartAt: $s, scheduledEndAt: $e }) { __typename } }`,
        sessionTimes(),
      ),
    expected: staffOnly("LiveSession"),
  },
  {
    field: "endLiveSession",
    run: async (actor) => {
      const session = await liveSessionOfAgent({ start: true });
      return gql("endLiveSession", actor, `mutation($id: ID!) { endLiveSession(id: $id) { __typename } }`, {
        id: session.id,
      });
    },
    // Host (the agent) and admins only.
    expected: { ...staffOnly("LiveSession") },
  },
  {
    field: "joinSession",
    run: async (actor) => {
      const session = await liveSessionOfAgent();
      return gql(
        "joinSession",
        actor,
        `mutation($t: String!, $e: String!) { joinSession(input: { token: $t, name: "M", email: $e }) { __typename } }`,
        { t: session.token, e: `join-${unique()}@example.org` },
      );
    },
    expected: all("JoinSessionPayload"),
  },
  {
    field: "requestSessionVerificationCode",
    run: async (actor) => {
      const session = await liveSessionOfAgent({ emailVerificationRequired: true });
      return gql(
        "requestSessionVerificationCode",
        actor,
        `mutation($t: String!, $e: String!) { requestSessionVerificationCode(token: $t, email: $e) { __typename } }`,
        { t: session.token, e: `code-${unique()}@example.org` },
      );
    },
    expected: all("VerificationCodeSent"),
  },
  {
    field: "leaveSession",
    // Only a participant token says who leaves; an access token is not one.
    run: (actor) => gql("leaveSession", actor, `mutation { leaveSession { __typename } }`),
    expected: all("UNAUTHENTICATED"),
  },
  {
    field: "startCallFromTicket",
    run: async (actor) =>
      gql("startCallFromTicket", actor, `mutation($id: ID!) { startCallFromTicket(ticketId: $id) { __typename } }`, {
        id: await fresh(),
      }),
    expected: staffOnly("LiveSession"),
  },
  {
    field: "registerSessionPushSubscription",
    run: (actor) =>
      gql(
        "registerSessionPushSubscription",
        actor,
        `mutation($e: String!, $k: PushSubscriptionKeysInput!) {
          registerSessionPushSubscription(endpoint: $e, keys: $k) { __typename } }`,
        { e: `https://push.example.net/${unique()}`, k: pushKeys },
      ),
    // Participants only (by participant token; see api/sessions/session-notifications.test.ts).
    expected: all("UNAUTHENTICATED"),
  },
  {
    field: "unregisterSessionPushSubscription",
    run: (actor) =>
      gql(
        "unregisterSessionPushSubscription",
        actor,
        `mutation($e: String!) { unregisterSessionPushSubscription(endpoint: $e) }`,
        { e: "https://push.example.net/none" },
      ),
    expected: all("UNAUTHENTICATED"),
  },
  {
    field: "uploadLimits",
    run: async (actor) => {
      const result = await server.gql(`{ uploadLimits { maxBytes maxFiles } }`, {}, actor?.token);
      return result.data?.uploadLimits?.maxBytes > 0 ? "limits" : outcome(result, "uploadLimits");
    },
    expected: all("limits"),
  },
  // Notifications
  {
    field: "vapidPublicKey",
    run: async (actor) => {
      const result = await server.gql(`{ vapidPublicKey }`, {}, actor?.token);
      const key = result.data?.vapidPublicKey as string | undefined;
      return key && Buffer.from(key, "base64url").length === 65 ? "key" : outcome(result, "vapidPublicKey");
    },
    expected: all("key"),
  },
  {
    field: "updateNotificationPreferences",
    run: (actor) =>
      gql(
        "updateNotificationPreferences",
        actor,
        `mutation { updateNotificationPreferences(input: { ticketReply: true }) { __typename } }`,
      ),
    expected: signedIn("NotificationPreferences"),
  },
  {
    field: "registerPushSubscription",
    run: (actor) =>
      gql(
        "registerPushSubscription",
        actor,
        `mutation($e: String!, $k: PushSubscriptionKeysInput!) {
          registerPushSubscription(endpoint: $e, keys: $k) { __typename } }`,
        { e: `https://push.example.net/${unique()}`, k: pushKeys },
      ),
    expected: signedIn("PushSubscription"),
  },
  {
    field: "unregisterPushSubscription",
    // The customer's own endpoint: only the customer removes it.
    run: async (actor) => {
      const endpoint = `https://push.example.net/${unique()}`;
      await server.gql(
        `mutation($e: String!, $k: PushSubscriptionKeysInput!) {
          registerPushSubscription(endpoint: $e, keys: $k) { __typename } }`,
        { e: endpoint, k: pushKeys },
        actors.customer?.token,
      );
      return gql(
        "unregisterPushSubscription",
        actor,
        `mutation($e: String!) { unregisterPushSubscription(endpoint: $e) }`,
        { e: endpoint },
      );
    },
    expected: signedIn("false", { customer: "true" }),
  },
  // Jobs (admins)
  {
    field: "jobStats",
    run: (actor) => gql("jobStats", actor, `{ jobStats { kind } }`),
    expected: adminOnly("list"),
  },
  {
    field: "failedJobs",
    run: (actor) => gql("failedJobs", actor, `{ failedJobs { id } }`),
    expected: adminOnly("list"),
  },
  {
    field: "retryJob",
    run: (actor) => gql("retryJob", actor, `mutation { retryJob(id: "missing") { __typename } }`),
    expected: adminOnly("NotFoundError"),
  },
  {
    // Issue 15: asking for the chat of a session the caller may not see answered INTERNAL_SERVER_ERROR.
    field: "liveSession.chatMessages",
    run: async (actor) =>
      gql("liveSession", actor, `query($id: ID!) { liveSession(id: $id) { __typename chatMessages { totalCount } } }`, {
        id: (await liveSessionOfAgent()).id,
      }),
    expected: { anonymous: "null", customer: "null", other: "null", agent: "LiveSession", admin: "LiveSession" },
  },
  // Subscriptions, over both transports
  ...overBothTransports({
    field: "ticketFeed",
    // A new ticket of the caller's own (customers see only theirs), or of the customer for staff.
    run: (transport, actor, role) =>
      subscription(
        transport,
        actor,
        () => "ticketFeed",
        `subscription { ticketFeed { kind } }`,
        {},
        () => createTicket(server, (role === "other" ? actor : actors.customer) as Actor),
      ),
    expected: signedIn("event"),
  }),
  ...overBothTransports({
    field: "ticketEvents",
    run: (transport, actor) =>
      subscription(
        transport,
        actor,
        () => `ticket:${ticket.id}`,
        `subscription($id: ID!) { ticketEvents(ticketId: $id) { kind } }`,
        { id: ticket.id },
        () =>
          server.gql(
            `mutation($id: ID!) { addTicketMessage(input: { ticketId: $id, body: "Matrix" }) { __typename } }`,
            { id: ticket.id },
            actors.agent?.token,
          ),
      ),
    expected: signedIn("event", { other: "NOT_FOUND" }),
  }),
];

describe("authorization matrix", () => {
  it("has a row for every query, mutation and subscription", () => {
    const rootFields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) =>
      Object.keys(type?.getFields() ?? {}),
    );
    // This file's rows, and the matrices of other files (each checks its entry against what it runs).
    const elsewhere = Object.values(authzCoverage).flat();
    const covered = new Set([...rows.map((row) => row.field.split(/[ .]/)[0]), ...elsewhere]);
    expect(rootFields.filter((field) => !covered.has(field))).toEqual([]);
    // No stale entries: every declared field exists.
    expect(elsewhere.filter((field) => !rootFields.includes(field))).toEqual([]);
  });

  for (const row of rows) {
    it(row.field, async () => {
      const actual: Partial<Record<Role, string>> = {};
      for (const role of roles) actual[role] = await row.run(actors[role], role);
      expect(actual).toEqual(row.expected);
    }, 120_000);
  }
});
