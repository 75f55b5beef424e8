import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { resumableSubscription } from "../app/graphql/resumable.ts";
import { type Actor, createCast, createTicket } from "./fixtures.ts";
import { eventually, startTestServer, type TestServer, untilSubscribed } from "./harness.ts";

let server: TestServer;
let agent: Actor;
let customer: Actor;
beforeAll(async () => {
  server = await startTestServer();
  ({ agent, customer } = await createCast(server));
}, 300_000);
afterAll(async () => {
  await server?.close();
});

// The PWA's own document shape: `$after` declared, `cursor` selected.
const EVENTS = `subscription TicketEvents($ticketId: ID!, $after: String) {
  ticketEvents(ticketId: $ticketId, after: $after) { cursor message { body } } }`;

describe("the PWA's subscription transport (app/graphql/resumable.ts)", () => {
  it("resubscribes after a dropped socket with the last cursor and misses nothing written meanwhile", async () => {
    const ticket = await createTicket(server, customer);
    // Reconnecting waits for the test, so messages are written while the phone has no socket.
    let reconnect = () => {};
    let connections = 0;
    const ws = createClient({
      url: `${server.url.replace("http", "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${customer.token}` },
      retryAttempts: 5,
      shouldRetry: () => true,
      retryWait: () =>
        new Promise<void>((resolve) => {
          reconnect = resolve;
        }),
      on: {
        connected: () => {
          connections += 1;
        },
      },
    });
    const bodies: string[] = [];
    const errors: unknown[] = [];
    const stop = resumableSubscription<{ data?: { ticketEvents: { message: { body: string } } } }>(
      ws,
      { query: EVENTS, variables: { ticketId: ticket.id } },
      {
        next: (result) => void bodies.push(result.data?.ticketEvents.message.body ?? "?"),
        error: (error) => void errors.push(error),
        complete: () => {},
      },
    );
    const say = (body: string) =>
      server.gql(
        `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`,
        { input: { ticketId: ticket.id, body } },
        agent.token,
      );
    try {
      await untilSubscribed(server, `ticket:${ticket.id}`);
      await say("one");
      await eventually(() => bodies.length === 1);

      ws.terminate();
      await eventually(() => server.app.pubsub.listenerCount(`ticket:${ticket.id}`) === 0);
      await say("two");
      await say("three");
      reconnect();
      await eventually(() => bodies.length >= 3, { what: "the missed messages" });
      await untilSubscribed(server, `ticket:${ticket.id}`);
      await say("four");
      await eventually(() => bodies.length >= 4);
      expect(bodies).toEqual(["one", "two", "three", "four"]);
      expect(connections).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      stop();
      await ws.dispose();
    }
  });
});
