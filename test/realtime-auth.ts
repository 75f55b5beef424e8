import { expect } from "vitest";
import { WS_FORBIDDEN, WS_TOKEN_EXPIRED } from "../api/app.ts";
import { type Actor, AUTH_FIELDS, createTicket, invite, signUp } from "./fixtures.ts";
import { eventually, type GraphQLResponse, subscribe, type TestServer, untilSubscribed } from "./harness.ts";
import { sseSubscribe } from "./sse.ts";

/** Shared by test/realtime-auth.test.ts (one instance, both transports) and its two-instance twin. */
export type Transport = "graphql-ws" | "sse";
export const TRANSPORTS: Transport[] = ["graphql-ws", "sse"];

export const TICKET_EVENTS = `subscription($ticketId: ID!) {
  ticketEvents(ticketId: $ticketId) { kind message { id body internal } }
}`;

/** An open subscription on either transport, and how it ended. */
export interface OpenSubscription {
  next(timeoutMs?: number): Promise<GraphQLResponse>;
  pending(): GraphQLResponse[];
  readonly done: boolean;
  readonly error: unknown;
  stop(): Promise<void>;
}

export function openSubscription(
  transport: Transport,
  server: TestServer,
  token: string,
  query: string,
  variables: Record<string, unknown>,
): OpenSubscription {
  return transport === "graphql-ws"
    ? subscribe(server.wsClient(token), query, variables)
    : sseSubscribe(server.url, query, variables, token);
}

/**
 * A ticket with an agent's subscription on it, shown to be live and staff-authenticated: an internal note posted
 * on `publisher` reached it.
 */
export async function watchedTicket(
  transport: Transport,
  subscriber: TestServer,
  publisher: TestServer,
  cast: { agent: Actor; customer: Actor },
  /** Resolves once events published on `publisher` reach the subscriber's instance (Redis, across instances). */
  attached: (topic: string) => Promise<void> = (topic) => untilSubscribed(subscriber, topic),
) {
  const ticket = await createTicket(publisher, cast.customer, { subject: `Watched over ${transport}` });
  const events = openSubscription(transport, subscriber, cast.agent.token, TICKET_EVENTS, { ticketId: ticket.id });
  await attached(`ticket:${ticket.id}`);
  await postNote(publisher, cast.agent, ticket.id, "Before the change");
  expect((await events.next()).data?.ticketEvents).toMatchObject({ message: { body: "Before the change" } });
  return { ticket, events };
}

/** An admin makes the user a customer (a demoted agent); asserts it took. */
export async function demote(server: Pick<TestServer, "gql">, admin: Actor, userId: string): Promise<void> {
  const demoted = await server.gql(
    `mutation($id: ID!) { setUserRole(userId: $id, role: CUSTOMER) { __typename } }`,
    { id: userId },
    admin.token,
  );
  expect(demoted.data?.setUserRole.__typename).toBe("User");
}

export const postNote = async (server: TestServer, author: Actor, ticketId: string, body: string) => {
  const posted = await server.gql(
    `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`,
    { input: { ticketId, body, internal: true } },
    author.token,
  );
  expect(posted.data?.addTicketMessage.__typename).toBe("TicketMessage");
};

/**
 * Waits (at most 1 s) until the subscription was ended the documented way: graphql-ws closes the socket with
 * `closeCode`; SSE sends a last event with UNAUTHENTICATED and `reason`, then completes.
 */
export async function expectEnded(
  transport: Transport,
  events: OpenSubscription,
  why: "expired" | "changed",
): Promise<void> {
  await eventually(() => events.done, { timeoutMs: 1000, what: `the ${transport} subscription to end` });
  if (transport === "graphql-ws") {
    expect(events.error).toMatchObject({ code: why === "expired" ? WS_TOKEN_EXPIRED : WS_FORBIDDEN });
    return;
  }
  const last = events.pending().at(-1);
  expect(last?.errors?.[0]?.extensions).toMatchObject({
    code: "UNAUTHENTICATED",
    reason: why === "expired" ? "TOKEN_EXPIRED" : "SIGN_IN_CHANGED",
  });
}

/** A fresh agent (invited by the admin, signed in anew) and customer, so no test leans on another's sign-ins. */
export async function freshCast(server: TestServer, adminEmail: string, label: string) {
  const admin = await logIn(server, adminEmail);
  const agent = await invite(server, admin, `agent-${label}@example.com`, "AGENT");
  const customer = await signUp(server, `customer-${label}@example.com`);
  return { admin, agent, customer };
}

export async function logIn(server: Pick<TestServer, "gql">, email: string): Promise<Actor> {
  const result = await server.gql(
    `mutation($input: LogInInput!) { logIn(input: $input) { __typename ${AUTH_FIELDS} } }`,
    { input: { email, password: "correct horse battery" } },
  );
  const payload = result.data?.logIn;
  if (payload?.__typename !== "AuthPayload") throw new Error(`log-in failed: ${JSON.stringify(result)}`);
  return { id: payload.user.id, email, token: payload.accessToken, refreshToken: payload.refreshToken };
}
