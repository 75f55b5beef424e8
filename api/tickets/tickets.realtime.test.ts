import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast, createTicket } from "../../test/fixtures.ts";
import {
  type GraphQLResponse,
  startTestServer,
  subscribe,
  type TestServer,
  untilSubscribed,
} from "../../test/harness.ts";
import { sseSubscribe } from "../../test/sse.ts";

let server: TestServer;
let agent: Actor;
let customer: Actor;
let otherCustomer: Actor;

beforeAll(async () => {
  server = await startTestServer();
  ({ agent, customer, otherCustomer } = await createCast(server));
}, 300_000);
afterAll(async () => {
  await server?.close();
});

interface Subscription {
  next(timeoutMs?: number): Promise<GraphQLResponse>;
  stop(): Promise<void>;
}

/** The same subscription over either transport. */
const transports: Record<
  "graphql-ws" | "SSE",
  (actor: Actor | null, query: string, variables?: Record<string, unknown>) => Subscription
> = {
  "graphql-ws": (actor, query, variables) => subscribe(server.wsClient(actor?.token), query, variables),
  SSE: (actor, query, variables) => sseSubscribe(server.url, query, variables, actor?.token),
};

const FEED = `subscription { ticketFeed { kind ticketId message { body internal } } }`;
// `author` makes the message a relation selection, which events without a message must answer with null.
const EVENTS = `subscription($id: ID!) { ticketEvents(ticketId: $id) {
  kind ticketId ticket { status } message { body internal author { id } } } }`;
const say = (actor: Actor, ticketId: string, body: string, internal = false) =>
  server.gql(
    `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`,
    { input: { ticketId, body, internal } },
    actor.token,
  );

/** The next event's payload (ticketFeed or ticketEvents). */
async function nextEvent(subscription: Subscription) {
  const result = await subscription.next();
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data?.ticketFeed ?? result.data?.ticketEvents;
}

describe.each(Object.keys(transports) as (keyof typeof transports)[])("over %s", (transport) => {
  const open = transports[transport];

  it("sends each viewer only the feed events they may see", async () => {
    const before = server.app.pubsub.listenerCount("ticketFeed");
    const agentFeed = open(agent, FEED);
    const customerFeed = open(customer, FEED);
    const otherFeed = open(otherCustomer, FEED);
    await untilSubscribed(server, "ticketFeed", before + 3);

    const mine = await createTicket(server, customer, { subject: `Mine over ${transport}` });
    await say(agent, mine.id, "Check the invoice history first.", true);
    await say(agent, mine.id, "Could you send a screenshot?");
    const theirs = await createTicket(server, otherCustomer, { subject: `Theirs over ${transport}` });
    await say(customer, mine.id, "Here it is.");

    expect(await nextEvent(agentFeed)).toMatchObject({ kind: "CREATED", ticketId: mine.id });
    expect(await nextEvent(agentFeed)).toMatchObject({ kind: "MESSAGE_ADDED", message: { internal: true } });
    expect(await nextEvent(agentFeed)).toMatchObject({ kind: "MESSAGE_ADDED", message: { internal: false } });
    expect(await nextEvent(agentFeed)).toMatchObject({ kind: "CREATED", ticketId: theirs.id });
    expect(await nextEvent(agentFeed)).toMatchObject({ kind: "MESSAGE_ADDED", message: { body: "Here it is." } });

    // Events arrive in order, so what follows proves what was left out.
    expect(await nextEvent(customerFeed)).toMatchObject({ kind: "CREATED", ticketId: mine.id });
    expect(await nextEvent(customerFeed)).toEqual({
      kind: "MESSAGE_ADDED",
      ticketId: mine.id,
      message: { body: "Could you send a screenshot?", internal: false },
    });
    expect(await nextEvent(customerFeed)).toMatchObject({ kind: "MESSAGE_ADDED", message: { body: "Here it is." } });
    expect(await nextEvent(otherFeed)).toMatchObject({ kind: "CREATED", ticketId: theirs.id });

    for (const feed of [agentFeed, customerFeed, otherFeed]) await feed.stop();
  });

  it("streams one ticket's changes to the people who may see it, internal notes to agents only", async () => {
    const ticket = await createTicket(server, customer);
    const agentSide = open(agent, EVENTS, { id: ticket.id });
    const customerSide = open(customer, EVENTS, { id: ticket.id });
    await untilSubscribed(server, `ticket:${ticket.id}`, 2);

    await say(agent, ticket.id, "Internal: refund approved.", true);
    await server.gql(
      `mutation($id: ID!) { updateTicketStatus(ticketId: $id, status: RESOLVED) { __typename } }`,
      { id: ticket.id },
      agent.token,
    );
    expect(await nextEvent(agentSide)).toMatchObject({ kind: "MESSAGE_ADDED", message: { internal: true } });
    // The event is published after the commit: the subscriber already reads the new status.
    expect(await nextEvent(agentSide)).toEqual({
      kind: "STATUS_CHANGED",
      ticketId: ticket.id,
      ticket: { status: "RESOLVED" },
      message: null,
    });
    expect(await nextEvent(customerSide)).toMatchObject({ kind: "STATUS_CHANGED", ticket: { status: "RESOLVED" } });
    for (const side of [agentSide, customerSide]) await side.stop();
  });

  it("publishes nothing for a change that failed", async () => {
    const ticket = await createTicket(server, customer);
    const events = open(agent, EVENTS, { id: ticket.id });
    await untilSubscribed(server, `ticket:${ticket.id}`);
    const refused = await server.gql(
      `mutation($id: ID!) { updateTicketStatus(ticketId: $id, status: CLOSED) { __typename } }`,
      { id: ticket.id },
      agent.token,
    );
    expect(refused.data?.updateTicketStatus.__typename).toBe("InvalidTransitionError");
    expect((await say(agent, ticket.id, " ")).data?.addTicketMessage.__typename).toBe("ValidationError");
    await say(agent, ticket.id, "The real reply");
    expect(await nextEvent(events)).toMatchObject({ kind: "MESSAGE_ADDED", message: { body: "The real reply" } });
    await events.stop();
  });

  it("refuses another customer's ticket and anonymous viewers", async () => {
    const ticket = await createTicket(server, customer);
    const stranger = open(otherCustomer, EVENTS, { id: ticket.id });
    const strangerResult = await stranger.next().catch((error: unknown) => error);
    expect(JSON.stringify(strangerResult)).toContain("NOT_FOUND");
    const anonymous = open(null, FEED);
    const anonymousResult = await anonymous.next().catch((error: unknown) => error);
    expect(JSON.stringify(anonymousResult)).toContain("UNAUTHENTICATED");
    for (const subscription of [stranger, anonymous]) await subscription.stop();
  });
});

describe("graphql-ws authentication", () => {
  it("closes the connection with 4403 when the token is refused", async () => {
    const client = server.wsClient("not-a-valid-token");
    const closed = new Promise<{ code: number }>((resolve) => client.on("closed", (event) => resolve(event as never)));
    const feed = subscribe(client, FEED);
    expect((await closed).code).toBe(4403);
    await feed.stop();
    expect(feed.error).toMatchObject({ code: 4403 });
  });

  it("closes with 4403 for a token that was revoked by logging out", async () => {
    const login = await server.gql(
      `mutation { logIn(input: { email: "carol@example.com", password: "correct horse battery" }) {
        ... on AuthPayload { accessToken } } }`,
    );
    const token = login.data?.logIn.accessToken as string;
    await server.gql(`mutation { logOut }`, {}, token);
    const client = server.wsClient(token);
    const closed = new Promise<{ code: number }>((resolve) => client.on("closed", (event) => resolve(event as never)));
    subscribe(client, FEED);
    expect((await closed).code).toBe(4403);
  });
});
