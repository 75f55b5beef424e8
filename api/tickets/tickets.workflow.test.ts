import { describe, expect, it } from "vitest";
import { type Actor, createTicket } from "../../test/fixtures.ts";
import { subscribe, type TestServer, untilSubscribed } from "../../test/harness.ts";
import {
  ASSIGN,
  SET_PRIORITY,
  type Status,
  say,
  setStatus,
  TICKET,
  withTicketServer,
} from "../../test/ticket-fixtures.ts";

let server: TestServer;
let admin: Actor;
let agent: Actor;
let customer: Actor;
let otherCustomer: Actor;
withTicketServer((running) => {
  ({ server, admin, agent, customer, otherCustomer } = running);
});

/** A fresh ticket of `customer`, brought to `status` through the API the way people would. */
async function ticketIn(status: Status): Promise<string> {
  const ticket = await createTicket(server, customer);
  if (status === "IN_PROGRESS" || status === "RESOLVED") await setStatus(server, agent, ticket.id, "IN_PROGRESS");
  if (status === "RESOLVED") await setStatus(server, agent, ticket.id, "RESOLVED");
  if (status === "CLOSED") await setStatus(server, customer, ticket.id, "CLOSED");
  const current = await server.app.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
  expect(current.status).toBe(status);
  return ticket.id;
}

describe("status workflow", () => {
  // Expected outcome of every change, per actor: "ok" or refused. Same table as docs/tickets.md.
  const table: [Status, Status, { agent: boolean; admin: boolean; requester: boolean }][] = [
    ["OPEN", "IN_PROGRESS", { agent: true, admin: true, requester: false }],
    ["OPEN", "RESOLVED", { agent: true, admin: true, requester: false }],
    ["OPEN", "CLOSED", { agent: false, admin: true, requester: true }],
    ["IN_PROGRESS", "OPEN", { agent: true, admin: true, requester: false }],
    ["IN_PROGRESS", "RESOLVED", { agent: true, admin: true, requester: false }],
    ["IN_PROGRESS", "CLOSED", { agent: false, admin: true, requester: true }],
    ["RESOLVED", "OPEN", { agent: true, admin: true, requester: true }],
    ["RESOLVED", "IN_PROGRESS", { agent: true, admin: true, requester: false }],
    ["RESOLVED", "CLOSED", { agent: true, admin: true, requester: true }],
    ["CLOSED", "OPEN", { agent: false, admin: false, requester: false }],
    ["CLOSED", "IN_PROGRESS", { agent: false, admin: false, requester: false }],
    ["CLOSED", "RESOLVED", { agent: false, admin: false, requester: false }],
  ];

  it.each(table)("%s → %s", async (from, to, allowed) => {
    for (const role of ["agent", "admin", "requester"] as const) {
      const actor = { agent, admin, requester: customer }[role];
      const id = await ticketIn(from);
      const result = (await setStatus(server, actor, id, to)).data?.updateTicketStatus;
      if (allowed[role]) {
        expect(result, role).toMatchObject({ __typename: "Ticket", status: to });
      } else {
        expect(result, role).toMatchObject({ __typename: "InvalidTransitionError", from, to });
        expect((await server.app.prisma.ticket.findUniqueOrThrow({ where: { id } })).status).toBe(from);
      }
    }
  });

  it("refuses a change to the same status and hides other customers' tickets", async () => {
    const id = await ticketIn("OPEN");
    expect((await setStatus(server, agent, id, "OPEN")).data?.updateTicketStatus).toMatchObject({
      __typename: "InvalidTransitionError",
      message: "Cannot change status from OPEN to OPEN: the ticket already has this status",
    });
    expect((await setStatus(server, otherCustomer, id, "CLOSED")).data?.updateTicketStatus.__typename).toBe(
      "NotFoundError",
    );
  });

  it("stamps resolvedAt and closedAt, and clears resolvedAt on reopening", async () => {
    const id = await ticketIn("IN_PROGRESS");
    server.clock.advance(1000);
    const resolvedAt = server.clock.now().toISOString();
    expect((await setStatus(server, agent, id, "RESOLVED")).data?.updateTicketStatus).toMatchObject({
      resolvedAt,
      closedAt: null,
    });
    expect((await setStatus(server, agent, id, "IN_PROGRESS")).data?.updateTicketStatus).toMatchObject({
      resolvedAt: null,
    });
    await setStatus(server, agent, id, "RESOLVED");
    server.clock.advance(1000);
    const closedAt = server.clock.now().toISOString();
    expect((await setStatus(server, customer, id, "CLOSED")).data?.updateTicketStatus).toMatchObject({
      status: "CLOSED",
      closedAt,
    });
  });

  it("reopens a resolved ticket when the requester replies, not when an agent does", async () => {
    const id = await ticketIn("RESOLVED");
    await say(server, agent, id, "Anything else?");
    expect((await server.gql(TICKET, { id }, agent.token)).data?.ticket.status).toBe("RESOLVED");
    await say(server, customer, id, "Yes, it broke again.");
    expect((await server.gql(TICKET, { id }, agent.token)).data?.ticket).toMatchObject({
      status: "OPEN",
      resolvedAt: null,
    });
  });

  it("keeps closed tickets final: no replies, no status changes", async () => {
    const id = await ticketIn("CLOSED");
    for (const actor of [customer, agent]) {
      expect((await say(server, actor, id, "One more thing")).data?.addTicketMessage).toMatchObject({
        __typename: "TicketClosedError",
        code: "TICKET_CLOSED",
      });
    }
    expect(await server.app.prisma.ticketMessage.count({ where: { ticketId: id } })).toBe(0);
  });

  it("lets exactly one of several concurrent changes win", async () => {
    const id = await ticketIn("OPEN");
    const feed = subscribe(
      server.wsClient(agent.token),
      `subscription($id: ID!) { ticketEvents(ticketId: $id) { kind } }`,
      {
        id,
      },
    );
    await untilSubscribed(server, `ticket:${id}`);
    const results = await Promise.all(
      [agent, admin, agent, admin, agent].map(
        async (actor) => (await setStatus(server, actor, id, "IN_PROGRESS")).data?.updateTicketStatus,
      ),
    );
    expect(results.filter((result) => result.__typename === "Ticket")).toHaveLength(1);
    expect(results.filter((result) => result.__typename === "InvalidTransitionError")).toHaveLength(4);
    expect(await feed.next()).toEqual({ data: { ticketEvents: { kind: "STATUS_CHANGED" } } });
    // Events arrive in order: the next one is the priority change, so the losers published nothing.
    await server.gql(SET_PRIORITY, { id, priority: "LOW" }, agent.token);
    expect(await feed.next()).toEqual({ data: { ticketEvents: { kind: "PRIORITY_CHANGED" } } });
    await feed.stop();
  });
});

describe("priority and assignment", () => {
  it("lets agents change the priority, and refuses customers", async () => {
    const { id } = await createTicket(server, customer);
    expect((await server.gql(SET_PRIORITY, { id, priority: "HIGH" }, admin.token)).data?.updateTicketPriority).toEqual({
      __typename: "Ticket",
      priority: "HIGH",
    });
    const refused = await server.gql(SET_PRIORITY, { id, priority: "URGENT" }, customer.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await server.app.prisma.ticket.findUniqueOrThrow({ where: { id } })).priority).toBe("HIGH");
  });

  it("assigns to agents and admins only, and unassigns", async () => {
    const { id } = await createTicket(server, customer);
    const assign = async (assigneeId: string | null) =>
      (await server.gql(ASSIGN, { id, assigneeId }, agent.token)).data?.assignTicket;
    expect(await assign(agent.id)).toEqual({ __typename: "Ticket", assignee: { id: agent.id } });
    expect(await assign(admin.id)).toEqual({ __typename: "Ticket", assignee: { id: admin.id } });
    expect(await assign(customer.id)).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ path: "assigneeId", message: "tickets can only be assigned to agents" }],
    });
    expect(await assign("no-such-user")).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ path: "assigneeId", message: "no such user" }],
    });
    expect((await server.app.prisma.ticket.findUniqueOrThrow({ where: { id } })).assigneeId).toBe(admin.id);
    expect(await assign(null)).toEqual({ __typename: "Ticket", assignee: null });
    const refused = await server.gql(ASSIGN, { id, assigneeId: agent.id }, customer.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(
      (await server.gql(ASSIGN, { id: "no-such-ticket", assigneeId: agent.id }, agent.token)).data?.assignTicket,
    ).toEqual({ __typename: "NotFoundError", code: "NOT_FOUND" });
  });
});

describe("a ticket from creation to closed, live on both sides", () => {
  it("delivers every change to the other side's subscription", async () => {
    const EVENT = `kind ticketId ticket { status priority assignee { id } firstResponseAt resolvedAt closedAt }
      message { body internal author { id } }`;
    const inbox = subscribe(server.wsClient(agent.token), `subscription { ticketFeed { ${EVENT} } }`);
    const customerFeed = subscribe(server.wsClient(customer.token), `subscription { ticketFeed { ${EVENT} } }`);
    await untilSubscribed(server, "ticketFeed", 2);

    // The customer opens a ticket; the agent's inbox shows it.
    const ticket = await createTicket(server, customer, { subject: "Video call drops", priority: "HIGH" });
    const created = (await inbox.next()).data?.ticketFeed;
    expect(created).toMatchObject({ kind: "CREATED", ticketId: ticket.id, ticket: { status: "OPEN" } });
    expect((await customerFeed.next()).data?.ticketFeed.kind).toBe("CREATED");

    const customerSide = subscribe(
      server.wsClient(customer.token),
      `subscription($id: ID!) { ticketEvents(ticketId: $id) { ${EVENT} } }`,
      { id: ticket.id },
    );
    const agentSide = subscribe(
      server.wsClient(agent.token),
      `subscription($id: ID!) { ticketEvents(ticketId: $id) { ${EVENT} } }`,
      { id: ticket.id },
    );
    await untilSubscribed(server, `ticket:${ticket.id}`, 2);
    const both = async () => [
      (await customerSide.next()).data?.ticketEvents,
      (await agentSide.next()).data?.ticketEvents,
    ];

    // The agent takes it.
    await server.gql(ASSIGN, { id: ticket.id, assigneeId: agent.id }, agent.token);
    for (const event of await both()) {
      expect(event).toMatchObject({ kind: "ASSIGNED", ticket: { assignee: { id: agent.id } } });
    }
    await setStatus(server, agent, ticket.id, "IN_PROGRESS");
    for (const event of await both())
      expect(event).toMatchObject({ kind: "STATUS_CHANGED", ticket: { status: "IN_PROGRESS" } });

    // An internal note reaches the agent only; the reply reaches both.
    await say(server, agent, ticket.id, "Probably the TURN server.", true);
    expect((await agentSide.next()).data?.ticketEvents).toMatchObject({
      kind: "MESSAGE_ADDED",
      message: { body: "Probably the TURN server.", internal: true },
    });
    await say(server, agent, ticket.id, "Please try again now.");
    for (const event of await both()) {
      expect(event).toMatchObject({
        kind: "MESSAGE_ADDED",
        message: { body: "Please try again now.", internal: false, author: { id: agent.id } },
      });
      expect(event?.ticket.firstResponseAt).not.toBeNull();
    }
    await server.gql(SET_PRIORITY, { id: ticket.id, priority: "LOW" }, agent.token);
    for (const event of await both())
      expect(event).toMatchObject({ kind: "PRIORITY_CHANGED", ticket: { priority: "LOW" } });

    await setStatus(server, agent, ticket.id, "RESOLVED");
    for (const event of await both())
      expect(event).toMatchObject({ kind: "STATUS_CHANGED", ticket: { status: "RESOLVED" } });

    // The customer replies (reopening it), the agent resolves again, the customer closes it.
    await say(server, customer, ticket.id, "Works now, thanks!");
    for (const event of await both()) {
      expect(event).toMatchObject({ kind: "MESSAGE_ADDED", ticket: { status: "OPEN", resolvedAt: null } });
    }
    await setStatus(server, agent, ticket.id, "RESOLVED");
    await both();
    await setStatus(server, customer, ticket.id, "CLOSED");
    for (const event of await both()) {
      expect(event).toMatchObject({ kind: "STATUS_CHANGED", ticket: { status: "CLOSED" } });
      expect(event?.ticket.closedAt).not.toBeNull();
    }

    // The feeds saw the same story; the customer's without the internal note.
    const kinds = async (feed: typeof inbox, count: number) => {
      const received: string[] = [];
      while (received.length < count) received.push((await feed.next()).data?.ticketFeed.kind);
      return received;
    };
    expect(await kinds(inbox, 9)).toEqual([
      "ASSIGNED",
      "STATUS_CHANGED",
      "MESSAGE_ADDED",
      "MESSAGE_ADDED",
      "PRIORITY_CHANGED",
      "STATUS_CHANGED",
      "MESSAGE_ADDED",
      "STATUS_CHANGED",
      "STATUS_CHANGED",
    ]);
    expect(await kinds(customerFeed, 8)).toEqual([
      "ASSIGNED",
      "STATUS_CHANGED",
      "MESSAGE_ADDED",
      "PRIORITY_CHANGED",
      "STATUS_CHANGED",
      "MESSAGE_ADDED",
      "STATUS_CHANGED",
      "STATUS_CHANGED",
    ]);
    expect(customerSide.pending()).toEqual([]);
    for (const feed of [inbox, customerFeed, customerSide, agentSide]) await feed.stop();
  });
});
