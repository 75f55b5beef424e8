import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, AUTH_FIELDS, createTicket, signUp } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { type MailSink, startMailSink } from "../../test/mail-sink.ts";
import { expectEnded, logIn, TRANSPORTS, watchedTicket } from "../../test/realtime-auth.ts";
import { INVITE_TTL_MS } from "./team.service.ts";

/** The Team screen's API (issue 19, point 1) through GraphQL, with invitations read from a real SMTP server. */

let server: TestServer;
let sink: MailSink;
let admin: Actor;
let customer: Actor;

beforeAll(async () => {
  sink = await startMailSink();
  server = await startTestServer({
    env: {
      SMTP_URL: sink.url,
      PUBLIC_URL: "https://support.example.com",
      JOBS_WORKER: "off",
      // As in production: only the authChanged event can explain a prompt sign-out.
      AUTH_SESSION_CACHE: "10m",
      // Tokens outlive the week the clock jumps to expire an invitation.
      ACCESS_TOKEN_TTL: "30d",
      REFRESH_TOKEN_TTL: "60d",
    },
  });
  admin = await signUp(server, "boss@example.com", "Bea Boss");
  customer = await signUp(server, "carla@example.com", "Carla Customer");
}, 300_000);
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

const drain = () => server.app.services.jobs.drain();
/** The invitation link's token in the last email to `address` (text part, as sent). */
function inviteTokenIn(address: string): string {
  const mail = sink.to(address).at(-1) as ParsedMail;
  const match = /https:\/\/support\.example\.com\/invite\/([A-Za-z0-9_-]+)/.exec(mail?.text ?? "");
  if (!match) throw new Error(`no invitation link in the mail to ${address}: ${mail?.text}`);
  return match[1] as string;
}

const RESULT = `__typename ... on Error { code message }`;
const INVALID = `${RESULT} ... on ValidationError { fieldErrors { path message } }`;
const INVITE = `mutation($input: InviteUserInput!) { inviteUser(input: $input) { ${INVALID}
  ... on Invitation { url invitation { id email role expired } } } }`;
const ACCEPT = `mutation($input: AcceptInviteInput!) { acceptInvite(input: $input) { ${INVALID} ${AUTH_FIELDS} } }`;
const RESEND = `mutation($id: ID!) { resendInvitation(id: $id) { ${RESULT} ... on Invitation { url } } }`;
const REVOKE = `mutation($id: ID!) { revokeInvitation(id: $id) { ${RESULT} ... on TeamInvitation { id revokedAt } } }`;
const SET_ROLE = `mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { ${RESULT} ... on User { role } } }`;
const DEACTIVATE = `mutation($input: DeactivateUserInput!) { deactivateUser(input: $input) { ${INVALID}
  ... on DeactivateUserResult { movedTickets user { id status deactivatedAt } } } }`;
const REACTIVATE = `mutation($id: ID!) { reactivateUser(userId: $id) { ${RESULT} ... on User { status } } }`;
const TEAM = `query($audience: TeamAudience, $search: String, $first: Int, $after: String) { team {
  invitationsSent
  invitations(search: $search) { id email name role expired invitedBy { name } }
  members(audience: $audience, search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name email role status lastActiveAt openAssignedTickets } } } } }`;

async function invited(email: string, role: "AGENT" | "ADMIN" = "AGENT", name = email.split("@")[0]) {
  const result = await server.gql(INVITE, { input: { email, name, role } }, admin.token);
  expect(result.data?.inviteUser.__typename, JSON.stringify(result)).toBe("Invitation");
  return result.data?.inviteUser as { url: string; invitation: { id: string } };
}

async function accepted(token: string): Promise<Actor & { role: string }> {
  const result = await server.gql(ACCEPT, { input: { token, password: "correct horse battery" } });
  const payload = result.data?.acceptInvite;
  expect(payload?.__typename, JSON.stringify(result)).toBe("AuthPayload");
  return { ...payload.user, token: payload.accessToken, refreshToken: payload.refreshToken };
}

async function member(token: string, search: string, audience = "TEAM") {
  const result = await server.gql(TEAM, { search, audience }, token);
  return result.data?.team.members.edges.map((edge: { node: unknown }) => edge.node);
}

describe("invitations", () => {
  it("emails a link that expires; accepting makes an active agent who is assignable", async () => {
    sink.clear();
    const { invitation } = await invited("ines@example.com", "AGENT", "Ines Agent");
    expect(invitation).toMatchObject({ email: "ines@example.com", role: "AGENT", expired: false });
    const listed = await server.gql(TEAM, { search: "ines" }, admin.token);
    expect(listed.data?.team.invitations).toEqual([
      {
        id: invitation.id,
        email: "ines@example.com",
        name: "Ines Agent",
        role: "AGENT",
        expired: false,
        invitedBy: { name: "Bea Boss" },
      },
    ]);
    await drain();
    const [mail] = sink.to("ines@example.com");
    expect(mail?.subject).toBe("Bea Boss invited you to Live Support");
    expect(mail?.text).toContain("Hello Ines Agent,");
    // The job kept the token only sealed, and blanked it once sent.
    const job = await server.app.prisma.job.findFirstOrThrow({ where: { kind: "email.teamInvite" } });
    expect(job.payload).toMatchObject({ sealedToken: "" });

    const token = inviteTokenIn("ines@example.com");
    const preview = await server.gql(
      `query($t: String!) { invitationPreview(token: $t) { email name role invitedBy } }`,
      { t: token },
    );
    expect(preview.data?.invitationPreview).toEqual({
      email: "ines@example.com",
      name: "Ines Agent",
      role: "AGENT",
      invitedBy: "Bea Boss",
    });
    const ines = await accepted(token);
    expect(ines.role).toBe("AGENT");
    expect(await member(admin.token, "ines")).toMatchObject([{ name: "Ines Agent", role: "AGENT", status: "ACTIVE" }]);
    expect((await server.gql(TEAM, { search: "ines" }, admin.token)).data?.team.invitations).toEqual([]);
    const agents = await server.gql(`{ agents { id } }`, {}, admin.token);
    expect(agents.data?.agents).toContainEqual({ id: ines.id });
    // The link works once.
    const again = await server.gql(ACCEPT, { input: { token, password: "correct horse battery" } });
    expect(again.data?.acceptInvite.__typename).toBe("InvalidTokenError");
  });

  it("refuses a bad email, a customer's role and people already on the team, writing nothing", async () => {
    const before = await server.app.prisma.invite.count();
    const bad = await server.gql(INVITE, { input: { email: "not an address", name: "X", role: "AGENT" } }, admin.token);
    expect(bad.data?.inviteUser).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ path: "input.email", message: "enter a valid email address" }],
    });
    const asCustomer = await server.gql(
      INVITE,
      { input: { email: "c@example.com", name: "C", role: "CUSTOMER" } },
      admin.token,
    );
    expect(asCustomer.data?.inviteUser.fieldErrors).toEqual([
      { path: "input.role", message: "invite agents or admins; customers sign up themselves" },
    ]);
    const already = await server.gql(
      INVITE,
      { input: { email: "BOSS@example.com", name: "Bea", role: "AGENT" } },
      admin.token,
    );
    expect(already.data?.inviteUser.fieldErrors).toEqual([
      { path: "input.email", message: "Bea Boss is already on the team" },
    ]);
    expect(await server.app.prisma.invite.count()).toBe(before);
    await drain();
  });

  it("resend replaces the link (the old one stops working); revoke ends it; an expired link is refused", async () => {
    sink.clear();
    const { invitation } = await invited("remy@example.com");
    await drain();
    const first = inviteTokenIn("remy@example.com");
    const resent = await server.gql(RESEND, { id: invitation.id }, admin.token);
    expect(resent.data?.resendInvitation.__typename).toBe("Invitation");
    await drain();
    expect(sink.to("remy@example.com")).toHaveLength(2);
    const second = inviteTokenIn("remy@example.com");
    expect(second).not.toBe(first);
    const old = await server.gql(ACCEPT, { input: { token: first, password: "correct horse battery" } });
    expect(old.data?.acceptInvite.__typename).toBe("InvalidTokenError");

    const revoked = await server.gql(REVOKE, { id: invitation.id }, admin.token);
    expect(revoked.data?.revokeInvitation.revokedAt).toEqual(expect.any(String));
    const afterRevoke = await server.gql(ACCEPT, { input: { token: second, password: "correct horse battery" } });
    expect(afterRevoke.data?.acceptInvite.__typename).toBe("InvalidTokenError");
    expect((await server.gql(REVOKE, { id: invitation.id }, admin.token)).data?.revokeInvitation.__typename).toBe(
      "NotFoundError",
    );
    expect((await server.gql(RESEND, { id: invitation.id }, admin.token)).data?.resendInvitation.__typename).toBe(
      "NotFoundError",
    );
    expect(await server.app.prisma.user.findUnique({ where: { email: "remy@example.com" } })).toBeNull();

    // Past its expiry the link is refused, and the invitation shows as expired until resent.
    sink.clear();
    const late = await invited("late@example.com");
    await drain();
    const lateToken = inviteTokenIn("late@example.com");
    server.clock.advance(INVITE_TTL_MS + 1000);
    const expired = await server.gql(ACCEPT, { input: { token: lateToken, password: "correct horse battery" } });
    expect(expired.data?.acceptInvite.__typename).toBe("InvalidTokenError");
    const listed = await server.gql(TEAM, { search: "late@" }, admin.token);
    expect(listed.data?.team.invitations).toMatchObject([{ id: late.invitation.id, expired: true }]);
    await server.gql(RESEND, { id: late.invitation.id }, admin.token);
    await drain();
    expect((await accepted(inviteTokenIn("late@example.com"))).role).toBe("AGENT");
  });

  it("inviting the same address again replaces the open invitation", async () => {
    sink.clear();
    const first = await invited("twice@example.com");
    const second = await invited("twice@example.com", "ADMIN");
    const open = await server.app.prisma.invite.findMany({ where: { email: "twice@example.com", revokedAt: null } });
    expect(open.map((invite) => invite.id)).toEqual([second.invitation.id]);
    expect(first.invitation.id).not.toBe(second.invitation.id);
    // Only the newer link is emailed: the job of the replaced one sends nothing.
    await drain();
    expect(sink.to("twice@example.com")).toHaveLength(1);
    expect((await accepted(inviteTokenIn("twice@example.com"))).role).toBe("ADMIN");
  });
});

describe("the team list", () => {
  it("lists the team and customers apart, searchable and paged, with status and last activity", async () => {
    const page = await server.gql(TEAM, { audience: "TEAM", first: 1 }, admin.token);
    const members = page.data?.team.members;
    expect(members.totalCount).toBeGreaterThan(1);
    expect(members.edges).toHaveLength(1);
    expect(members.pageInfo.hasNextPage).toBe(true);
    const next = await server.gql(TEAM, { audience: "TEAM", first: 1, after: members.pageInfo.endCursor }, admin.token);
    expect(next.data?.team.members.edges[0].node.id).not.toBe(members.edges[0].node.id);
    expect(page.data?.team.invitationsSent).toBeGreaterThan(0);
    const customers = await member(admin.token, "carla", "CUSTOMERS");
    expect(customers).toEqual([
      expect.objectContaining({
        name: "Carla Customer",
        role: "CUSTOMER",
        status: "ACTIVE",
        lastActiveAt: expect.any(String),
      }),
    ]);
    expect(await member(admin.token, "carla", "TEAM")).toEqual([]);
    const one = await server.gql(
      `query($id: ID!) { team { member(id: $id) { name } } }`,
      { id: customer.id },
      admin.token,
    );
    expect(one.data?.team.member).toEqual({ name: "Carla Customer" });
    const tooLong = await server.gql(TEAM, { search: "x".repeat(101) }, admin.token);
    expect(tooLong.errors?.[0]?.message).toContain("search: must be at most 100 characters");
  });

  it("is for admins only, as are the fields of a person an admin sees", async () => {
    const agent = await invitedAgent("nosy@example.com");
    for (const token of [agent.token, customer.token, undefined]) {
      const result = await server.gql(`{ team { invitationsSent } }`, {}, token);
      expect(result.errors?.[0]?.extensions?.code).toBe(token ? "FORBIDDEN" : "UNAUTHENTICATED");
    }
    const agents = await server.gql(`{ agents { id status } }`, {}, agent.token);
    expect(agents.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    for (const [mutation, variables] of [
      [INVITE, { input: { email: "x@example.com", name: "X", role: "AGENT" } }],
      [SET_ROLE, { id: customer.id, role: "ADMIN" }],
      [DEACTIVATE, { input: { userId: customer.id } }],
      [REACTIVATE, { id: customer.id }],
      [RESEND, { id: "any" }],
      [REVOKE, { id: "any" }],
    ] as const) {
      const result = await server.gql(mutation, variables, agent.token);
      expect(result.errors?.[0]?.extensions?.code, mutation).toBe("FORBIDDEN");
    }
  });
});

async function invitedAgent(email: string, role: "AGENT" | "ADMIN" = "AGENT") {
  sink.clear();
  await invited(email, role);
  await drain();
  return accepted(inviteTokenIn(email));
}

describe("roles", () => {
  it("the last active admin cannot step down or deactivate themselves; with another admin they can", async () => {
    const boss = await logIn(server, "boss@example.com");
    const otherAdmins = await server.app.prisma.user.findMany({ where: { role: "ADMIN", id: { not: boss.id } } });
    for (const other of otherAdmins)
      await server.app.prisma.user.update({ where: { id: other.id }, data: { role: "AGENT" } });
    const demote = await server.gql(SET_ROLE, { id: boss.id, role: "AGENT" }, boss.token);
    expect(demote.data?.setUserRole).toMatchObject({ __typename: "LastAdminError", code: "LAST_ADMIN" });
    const leave = await server.gql(DEACTIVATE, { input: { userId: boss.id } }, boss.token);
    expect(leave.data?.deactivateUser.__typename).toBe("LastAdminError");
    expect(await server.app.prisma.user.findUniqueOrThrow({ where: { id: boss.id } })).toMatchObject({
      role: "ADMIN",
      deactivatedAt: null,
    });

    const second = await invitedAgent("second-admin@example.com", "ADMIN");
    const self = await server.gql(DEACTIVATE, { input: { userId: boss.id } }, boss.token);
    expect(self.data?.deactivateUser.fieldErrors).toEqual([
      { path: "input.userId", message: "you cannot deactivate yourself; ask another admin" },
    ]);
    // The second admin steps down; then the first is the last again.
    const stepDown = await server.gql(SET_ROLE, { id: second.id, role: "AGENT" }, second.token);
    expect(stepDown.data?.setUserRole).toEqual({ __typename: "User", role: "AGENT" });
    expect((await server.gql(SET_ROLE, { id: boss.id, role: "AGENT" }, boss.token)).data?.setUserRole.__typename).toBe(
      "LastAdminError",
    );
    expect((await server.gql(SET_ROLE, { id: "nobody", role: "AGENT" }, boss.token)).data?.setUserRole.__typename).toBe(
      "NotFoundError",
    );
    const promoted = await server.gql(SET_ROLE, { id: customer.id, role: "AGENT" }, boss.token);
    expect(promoted.data?.setUserRole.role).toBe("AGENT");
    await server.gql(SET_ROLE, { id: customer.id, role: "CUSTOMER" }, boss.token);
  });
});

describe.each(TRANSPORTS)("deactivating (subscription over %s)", (transport) => {
  it("signs them out everywhere at once, hands their open tickets on in one go, and can be undone", async () => {
    const label = `${transport}-${Math.random().toString(36).slice(2, 8)}`;
    const agent = await invitedAgent(`leaving-${label}@example.com`);
    const taker = await invitedAgent(`taker-${label}@example.com`);
    const requester = await signUp(server, `requester-${label}@example.com`);
    const { ticket, events } = await watchedTicket(transport, server, server, { agent, customer: requester });
    const closed = await createTicket(server, requester, { subject: "Done already" });
    const assign = `mutation($id: ID!, $to: ID) { assignTicket(ticketId: $id, assigneeId: $to) { __typename } }`;
    for (const id of [ticket.id, closed.id]) await server.gql(assign, { id, to: agent.id }, agent.token);
    await server.app.prisma.ticket.update({ where: { id: closed.id }, data: { status: "CLOSED" } });
    expect(await member(admin.token, `leaving-${label}`)).toMatchObject([{ openAssignedTickets: 1 }]);

    // Refusals first: nothing changes.
    for (const [reassignToId, message] of [
      [agent.id, "choose someone other than the person leaving"],
      [requester.id, "choose an agent or admin"],
      ["nobody", "choose an agent or admin"],
    ]) {
      const refused = await server.gql(DEACTIVATE, { input: { userId: agent.id, reassignToId } }, admin.token);
      expect(refused.data?.deactivateUser.fieldErrors).toEqual([{ path: "input.reassignToId", message }]);
    }
    expect(await server.app.prisma.user.findUniqueOrThrow({ where: { id: agent.id } })).toMatchObject({
      deactivatedAt: null,
    });
    expect(events.done).toBe(false);

    const result = await server.gql(DEACTIVATE, { input: { userId: agent.id, reassignToId: taker.id } }, admin.token);
    expect(result.data?.deactivateUser).toMatchObject({
      movedTickets: 1,
      user: { id: agent.id, status: "DEACTIVATED" },
    });
    await expectEnded(transport, events, "changed");
    expect((await server.gql(`{ me { id } }`, {}, agent.token)).data?.me).toBeNull();
    const refresh = await server.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { ${RESULT} } }`, {
      t: agent.refreshToken,
    });
    expect(refresh.data?.refreshSession).toMatchObject({
      __typename: "AccountDeactivatedError",
      code: "ACCOUNT_DEACTIVATED",
    });
    const signIn = await server.gql(`mutation($input: LogInInput!) { logIn(input: $input) { __typename } }`, {
      input: { email: agent.email, password: "correct horse battery" },
    });
    expect(signIn.data?.logIn.__typename).toBe("AccountDeactivatedError");
    // The open ticket went to the taker; the closed one keeps its history (and its assignee).
    const tickets = await server.app.prisma.ticket.findMany({ where: { id: { in: [ticket.id, closed.id] } } });
    expect(Object.fromEntries(tickets.map((row) => [row.id, row.assigneeId]))).toEqual({
      [ticket.id]: taker.id,
      [closed.id]: agent.id,
    });
    expect(await server.app.prisma.ticketMessage.count({ where: { authorId: agent.id } })).toBeGreaterThan(0);
    const agents = await server.gql(`{ agents { id } }`, {}, admin.token);
    expect(agents.data?.agents).not.toContainEqual({ id: agent.id });
    const assignGone = await server.gql(
      `mutation($id: ID!, $to: ID) { assignTicket(ticketId: $id, assigneeId: $to) { __typename
        ... on ValidationError { fieldErrors { message } } } }`,
      { id: ticket.id, to: agent.id },
      admin.token,
    );
    expect(assignGone.data?.assignTicket.fieldErrors).toEqual([{ message: "this agent was deactivated" }]);
    const assignToGone = await server.gql(
      DEACTIVATE,
      { input: { userId: taker.id, reassignToId: agent.id } },
      admin.token,
    );
    expect(assignToGone.data?.deactivateUser.fieldErrors?.[0]?.message).toMatch(/is deactivated$/);
    const invite = await server.gql(
      INVITE,
      { input: { email: agent.email, name: "Again", role: "AGENT" } },
      admin.token,
    );
    expect(invite.data?.inviteUser.fieldErrors).toEqual([
      { path: "input.email", message: "this account is deactivated: reactivate it instead" },
    ]);

    const back = await server.gql(REACTIVATE, { id: agent.id }, admin.token);
    expect(back.data?.reactivateUser.status).toBe("ACTIVE");
    expect((await logIn(server, agent.email)).id).toBe(agent.id);
  });
});

describe("deactivating without a taker", () => {
  it("unassigns their open tickets", async () => {
    const agent = await invitedAgent("solo@example.com");
    const ticket = await createTicket(server, customer, { subject: "Orphaned" });
    await server.gql(
      `mutation($id: ID!, $to: ID) { assignTicket(ticketId: $id, assigneeId: $to) { __typename } }`,
      { id: ticket.id, to: agent.id },
      agent.token,
    );
    const result = await server.gql(DEACTIVATE, { input: { userId: agent.id } }, admin.token);
    expect(result.data?.deactivateUser.movedTickets).toBe(1);
    expect((await server.app.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).assigneeId).toBeNull();
    expect((await server.gql(REACTIVATE, { id: "nobody" }, admin.token)).data?.reactivateUser.__typename).toBe(
      "NotFoundError",
    );
  });
});
