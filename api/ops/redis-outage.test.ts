import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast, createTicket } from "../../test/fixtures.ts";
import { startTestServer, subscribe, type TestServer, untilSubscribed } from "../../test/harness.ts";
import { sseSubscribe } from "../../test/sse.ts";

let server: TestServer;
let customer: Actor;
let agent: Actor;
beforeAll(async () => {
  // Server mode with its Redis down from the start (nothing listens on port 1); rate limits on, as in production.
  server = await startTestServer({ env: { REDIS_URL: "redis://127.0.0.1:1", RATE_LIMITS: "on" } });
  ({ customer, agent } = await createCast(server));
}, 300_000);
afterAll(async () => {
  await server?.close();
});

describe("with Redis down", () => {
  it("stays ready, degraded: the database takes writes, and Redis is shared, so every instance would go out", async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ready: true, status: "degraded", database: true, redis: false });
  });

  it("still signs in and stores replies at once: rate limits count in this instance's memory meanwhile", async () => {
    const ticket = await createTicket(server, customer);
    const started = performance.now();
    const logIn = await server.gql(`mutation($input: LogInInput!) { logIn(input: $input) { __typename } }`, {
      input: { email: agent.email, password: "correct horse battery" },
    });
    const reply = await server.gql(
      `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`,
      { input: { ticketId: ticket.id, body: "We are on it." } },
      agent.token,
    );
    const elapsedMs = performance.now() - started;
    expect(logIn.errors).toBeUndefined();
    expect(logIn.data?.logIn.__typename).toBe("AuthPayload");
    expect(reply.errors).toBeUndefined();
    expect(reply.data?.addTicketMessage.__typename).toBe("TicketMessage");
    expect(elapsedMs).toBeLessThan(1500);
  });

  it("delivers events to this instance's subscribers at once and keeps them in the stream log for the others", async () => {
    const ticket = await createTicket(server, customer);
    const EVENTS = `subscription($id: ID!, $after: String) { ticketEvents(ticketId: $id, after: $after) {
      cursor message { body } } }`;
    const overWs = subscribe(server.wsClient(customer.token), EVENTS, { id: ticket.id });
    const overSse = sseSubscribe(server.url, EVENTS, { id: ticket.id }, customer.token);
    await untilSubscribed(server, `ticket:${ticket.id}`, 2);
    const say = (body: string) =>
      server.gql(
        `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`,
        { input: { ticketId: ticket.id, body } },
        agent.token,
      );
    await say("one");
    await say("two");
    for (const subscription of [overWs, overSse]) {
      const one = await subscription.next();
      expect(one.data?.ticketEvents.message.body).toBe("one");
      expect((await subscription.next()).data?.ticketEvents.message.body).toBe("two");
      // The log has them too: resuming after "one" (as a client of another instance would) gives "two".
      const resumed = sseSubscribe(
        server.url,
        EVENTS,
        { id: ticket.id, after: one.data?.ticketEvents.cursor },
        customer.token,
      );
      expect((await resumed.next()).data?.ticketEvents.message.body).toBe("two");
      await resumed.stop();
      await subscription.stop();
    }
  });
});
