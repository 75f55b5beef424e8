import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast, createTicket } from "../../test/fixtures.ts";
import { startTestServer, subscribe, type TestServer, untilSubscribed } from "../../test/harness.ts";

/** PostgreSQL tier only (vitest.config.ts): replies racing on one ticket, as a customer and agents typing at once. */
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

const IN_FLIGHT = 8;
const REPLIES_EACH = 40;
const ADD_MESSAGE = `mutation($input: AddTicketMessageInput!) {
  addTicketMessage(input: $input) { __typename ... on TicketMessage { id } } }`;
const EVENTS = `subscription($id: ID!) { ticketEvents(ticketId: $id) { kind message { body } } }`;
const bodyOf = (writer: number, reply: number) => `writer ${writer} reply ${reply}`;
const everyBody = Array.from({ length: IN_FLIGHT }, (_, writer) =>
  Array.from({ length: REPLIES_EACH }, (_, reply) => bodyOf(writer, reply)),
)
  .flat()
  .sort();

describe("concurrent replies on one ticket", () => {
  it(`stores and delivers ${IN_FLIGHT} × ${REPLIES_EACH} simultaneous replies once each, none failing`, async () => {
    const ticket = await createTicket(server, customer, { subject: "Replies racing" });
    const events = subscribe(server.wsClient(agent.token), EVENTS, { id: ticket.id });
    await untilSubscribed(server, `ticket:${ticket.id}`);

    // Customer, agent replies and internal notes mixed, as on a busy ticket; each writer waits for its own answer.
    const writers = Array.from({ length: IN_FLIGHT }, async (_, writer) => {
      const answers = [];
      for (let reply = 0; reply < REPLIES_EACH; reply++) {
        const actor = writer % 2 === 0 ? customer : agent;
        const internal = actor === agent && reply % 3 === 0;
        const result = await server.gql(
          ADD_MESSAGE,
          { input: { ticketId: ticket.id, body: bodyOf(writer, reply), internal } },
          actor.token,
        );
        answers.push(result.data?.addTicketMessage?.__typename ?? result.errors?.[0]?.message);
      }
      return answers;
    });
    const answers = (await Promise.all(writers)).flat();
    expect(answers.filter((answer) => answer !== "TicketMessage")).toEqual([]);

    const stored = await server.app.prisma.ticketMessage.findMany({
      where: { ticketId: ticket.id },
      select: { body: true },
    });
    expect(stored.map((message) => message.body).sort()).toEqual(everyBody);

    const delivered: string[] = [];
    for (const _ of everyBody) {
      const result = await events.next();
      expect(result.data?.ticketEvents).toMatchObject({ kind: "MESSAGE_ADDED" });
      delivered.push(result.data?.ticketEvents.message.body);
    }
    expect(delivered.sort()).toEqual(everyBody);
    expect(events.pending()).toEqual([]);
    await events.stop();

    // The ticket's last message is one of the public replies, whichever committed last.
    const saved = await server.app.prisma.ticket.findUniqueOrThrow({
      where: { id: ticket.id },
      include: { lastMessage: true },
    });
    expect(saved.lastMessage?.internal).toBe(false);
    expect(saved.firstResponseAt).not.toBeNull();
  }, 180_000);
});
