import type { TestServer } from "./harness.ts";

export interface Actor {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
}

export const AUTH_FIELDS = `... on AuthPayload { accessToken refreshToken user { id email role } }`;

export async function signUp(
  server: Pick<TestServer, "gql">,
  email: string,
  name = email.split("@")[0] ?? "user",
): Promise<Actor> {
  const result = await server.gql(
    `mutation($input: SignUpInput!) { signUp(input: $input) { __typename ${AUTH_FIELDS} } }`,
    { input: { email, name, password: "correct horse battery" } },
  );
  const payload = result.data?.signUp;
  if (payload?.__typename !== "AuthPayload") throw new Error(`sign-up failed: ${JSON.stringify(result)}`);
  return { id: payload.user.id, email, token: payload.accessToken, refreshToken: payload.refreshToken };
}

/** Brings in a team member the way an admin does: invitation, then the invitee accepts. */
export async function invite(server: TestServer, admin: Actor, email: string, role: "AGENT" | "ADMIN"): Promise<Actor> {
  const invited = await server.gql(
    `mutation($input: InviteUserInput!) { inviteUser(input: $input) { __typename ... on Invitation { url } } }`,
    { input: { email, name: email.split("@")[0], role } },
    admin.token,
  );
  const url = invited.data?.inviteUser?.url as string | undefined;
  if (!url) throw new Error(`invite failed: ${JSON.stringify(invited)}`);
  const token = url.split("/invite/")[1];
  const accepted = await server.gql(
    `mutation($input: AcceptInviteInput!) { acceptInvite(input: $input) { __typename ${AUTH_FIELDS} } }`,
    { input: { token, password: "correct horse battery" } },
  );
  const payload = accepted.data?.acceptInvite;
  if (payload?.__typename !== "AuthPayload") throw new Error(`accept failed: ${JSON.stringify(accepted)}`);
  return { id: payload.user.id, email, token: payload.accessToken, refreshToken: payload.refreshToken };
}

/** The cast of most tests: an admin (first account), an agent, and two customers. */
export async function createCast(server: TestServer) {
  const admin = await signUp(server, "admin@example.com");
  const agent = await invite(server, admin, "agent@example.com", "AGENT");
  const customer = await signUp(server, "carol@example.com");
  const otherCustomer = await signUp(server, "dave@example.com");
  return { admin, agent, customer, otherCustomer };
}

export const TICKET_FIELDS = `id number reference subject description status priority category
  requester { id } assignee { id } firstResponseAt resolvedAt closedAt createdAt updatedAt`;

export async function createTicket(
  server: Pick<TestServer, "gql">,
  actor: Actor,
  input: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const result = await server.gql(
    `mutation($input: CreateTicketInput!) { createTicket(input: $input) { __typename ... on Ticket { ${TICKET_FIELDS} } } }`,
    { input: { subject: "Cannot log in", description: "The login page says my password is wrong.", ...input } },
    actor.token,
  );
  if (result.data?.createTicket?.__typename !== "Ticket")
    throw new Error(`createTicket failed: ${JSON.stringify(result)}`);
  return result.data.createTicket;
}
