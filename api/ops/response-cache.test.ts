import { defaultBuildResponseCacheKey } from "@envelop/response-cache";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast, createTicket, signUp } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { responseCacheKey } from "./response-cache.ts";

let server: TestServer;
let admin: Actor;
let agent: Actor;
let customer: Actor;
let otherCustomer: Actor;

beforeAll(async () => {
  server = await startTestServer();
  ({ admin, agent, customer, otherCustomer } = await createCast(server));
}, 300_000);
afterAll(async () => {
  await server?.close();
});

const LIST = `query Inbox { tickets(first: 50) { totalCount edges { node { id subject lastMessage { body } } } } }`;
const ADD_MESSAGE = `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`;

async function hits(): Promise<number> {
  const metric = await server.app.metrics.responseCacheHits.get();
  return metric.values[0]?.value ?? 0;
}

const inbox = (actor: Actor) => server.gql(LIST, {}, actor.token);

const ids = (result: Awaited<ReturnType<typeof inbox>>): string[] =>
  result.data?.tickets.edges.map((edge: { node: { id: string } }) => edge.node.id) ?? [];

describe("ticket-list response cache", () => {
  it("answers a repeated list from the cache, per viewer, and never shares lists between viewers", async () => {
    const mine = await createTicket(server, customer, { subject: "Mine" });
    const theirs = await createTicket(server, otherCustomer, { subject: "Theirs" });
    expect(ids(await inbox(customer))).toEqual([mine.id]);
    const before = await hits();
    expect(ids(await inbox(customer))).toEqual([mine.id]);
    expect(await hits()).toBe(before + 1);
    // Another customer with the same query gets their own answer, not the cached one.
    expect(ids(await inbox(otherCustomer))).toEqual([theirs.id]);
    expect(ids(await inbox(agent)).slice(0, 2)).toEqual([theirs.id, mine.id]);
  });

  it("shows a change to any ticket at once: new tickets, new messages and their order", async () => {
    const empty = await signUp(server, "erin@example.com");
    expect((await inbox(empty)).data?.tickets.totalCount).toBe(0);
    expect((await inbox(empty)).data?.tickets.totalCount).toBe(0); // cached empty list
    const first = await createTicket(server, empty, { subject: "First" });
    expect(ids(await inbox(empty))).toEqual([first.id]);
    server.clock.advance(60_000);
    const second = await createTicket(server, empty, { subject: "Second" });
    expect(ids(await inbox(empty))).toEqual([second.id, first.id]);
    // An agent's reply moves the older ticket to the top and becomes its last message.
    server.clock.advance(60_000);
    await server.gql(ADD_MESSAGE, { input: { ticketId: first.id, body: "On it" } }, agent.token);
    const after = await inbox(empty);
    expect(ids(after)).toEqual([first.id, second.id]);
    expect(after.data?.tickets.edges[0].node.lastMessage.body).toBe("On it");
  });

  it("refuses a signed-out token at once, though its list was cached", async () => {
    const leaving = await signUp(server, "frank@example.com");
    await createTicket(server, leaving);
    await inbox(leaving);
    expect((await inbox(leaving)).data?.tickets.totalCount).toBe(1);
    expect((await server.gql(`mutation { logOut }`, {}, leaving.token)).data?.logOut).toBe(true);
    const refused = await inbox(leaving);
    expect(refused.data?.tickets ?? null).toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("applies a role change at once: a demoted agent sees only their own tickets", async () => {
    const temp = await signUp(server, "gina@example.com");
    const promoted = await server.gql(
      `mutation($id: ID!) { setUserRole(userId: $id, role: AGENT) { __typename } }`,
      { id: temp.id },
      admin.token,
    );
    expect(promoted.data?.setUserRole.__typename).toBe("User");
    const asAgent = ids(await inbox(temp));
    expect(asAgent.length).toBeGreaterThan(1);
    expect(ids(await inbox(temp))).toEqual(asAgent);
    await server.gql(
      `mutation($id: ID!) { setUserRole(userId: $id, role: CUSTOMER) { __typename } }`,
      { id: temp.id },
      admin.token,
    );
    expect(ids(await inbox(temp))).toEqual([]);
  });

  it("sends a cached answer exactly as it sent the first: same body and headers", async () => {
    const ivy = await signUp(server, "ivy@example.com");
    await createTicket(server, ivy, { subject: "Bytes" });
    const post = () =>
      fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ivy.token}` },
        body: JSON.stringify({ query: LIST }),
      });
    const first = await post();
    const before = await hits();
    const second = await post();
    expect(await hits()).toBe(before + 1);
    expect(second.status).toBe(first.status);
    expect(second.headers.get("content-type")).toBe(first.headers.get("content-type"));
    const text = await first.text();
    expect(await second.text()).toBe(text);
    expect(JSON.parse(text).data.tickets.edges[0].node.subject).toBe("Bytes");
  });

  it("runs concurrent misses for the same list once; the others get its answer", async () => {
    const busy = await signUp(server, "hank@example.com");
    await createTicket(server, busy, { subject: "Concurrent" });
    const before = await hits();
    const answers = await Promise.all(Array.from({ length: 12 }, () => inbox(busy)));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(ids(answers[0] as Awaited<ReturnType<typeof inbox>>)).toHaveLength(1);
    // One executed; eleven were answered with its result (or from the cache it filled).
    expect(await hits()).toBe(before + 11);
    // A change while lists are being computed: every answer after it has the change.
    const during = Promise.all(Array.from({ length: 6 }, () => inbox(busy)));
    const second = await createTicket(server, busy, { subject: "During" });
    await during;
    expect(ids(await inbox(busy))).toContain(second.id);
  });

  it("leaves queries over graphql-ws alone: answered, never from the cache", async () => {
    const client = server.wsClient(customer.token);
    const query = (text: string) =>
      new Promise<{ data?: { tickets?: { totalCount: number } } | null; errors?: unknown }>((resolve, reject) => {
        let last: { data?: { tickets?: { totalCount: number } } | null; errors?: unknown } = {};
        client.subscribe(
          { query: text },
          {
            next: (value) => {
              last = value as typeof last;
            },
            error: reject,
            complete: () => resolve(last),
          },
        );
      });
    try {
      const expected = (await inbox(customer)).data?.tickets.totalCount;
      const before = await hits();
      for (let i = 0; i < 2; i++) {
        const answer = await query(`{ tickets(first: 5) { totalCount } }`);
        expect(answer.errors).toBeUndefined();
        expect(answer.data?.tickets?.totalCount).toBe(expected);
      }
      expect(await hits()).toBe(before);
    } finally {
      await client.dispose();
    }
  });

  it("never caches other queries", async () => {
    const before = await hits();
    const ME = `{ me { id role } }`;
    await Promise.all([server.gql(ME, {}, customer.token), server.gql(ME, {}, customer.token)]);
    await server.gql(ME, {}, customer.token);
    // A list beside another root field is executed every time too.
    await server.gql(`{ me { id } tickets(first: 1) { totalCount } }`, {}, customer.token);
    await server.gql(`{ me { id } tickets(first: 1) { totalCount } }`, {}, customer.token);
    expect(await hits()).toBe(before);
  });
});

describe("cache key", () => {
  it("is the library's key, computed synchronously", async () => {
    const cases = [
      {
        documentString: LIST,
        operationName: "Inbox",
        variableValues: { b: [1, 2], a: { y: 1, x: "é" } },
        sessionId: "u1:AGENT",
      },
      { documentString: LIST, variableValues: {}, sessionId: undefined },
    ];
    for (const params of cases) {
      const library = await defaultBuildResponseCacheKey(params as Parameters<typeof defaultBuildResponseCacheKey>[0]);
      expect(responseCacheKey(params as Parameters<typeof responseCacheKey>[0])).toBe(library);
    }
    // Variables in another order are the same request.
    expect(responseCacheKey({ documentString: LIST, variableValues: { a: 1, b: 2 } } as never)).toBe(
      responseCacheKey({ documentString: LIST, variableValues: { b: 2, a: 1 } } as never),
    );
  });
});
