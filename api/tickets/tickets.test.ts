import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast, createTicket, signUp, TICKET_FIELDS } from "../../test/fixtures.ts";
import { startTestServer, subscribe, type TestServer, untilSubscribed } from "../../test/harness.ts";

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

type Status = "OPEN" | "IN_PROGRESS" | "RESOLVED" | "CLOSED";

const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) {
  __typename ... on Ticket { ${TICKET_FIELDS} } ... on ValidationError { code fieldErrors { path message } } } }`;
const ADD_MESSAGE = `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) {
  __typename ... on TicketMessage { id body internal author { id } }
  ... on Error { code message } ... on ValidationError { fieldErrors { path } } } }`;
const SET_STATUS = `mutation($id: ID!, $status: TicketStatus!) { updateTicketStatus(ticketId: $id, status: $status) {
  __typename ... on Ticket { status resolvedAt closedAt updatedAt } ... on InvalidTransitionError { from to message } } }`;
const SET_PRIORITY = `mutation($id: ID!, $priority: TicketPriority!) { updateTicketPriority(ticketId: $id, priority: $priority) {
  __typename ... on Ticket { priority } ... on Error { code } } }`;
const ASSIGN = `mutation($id: ID!, $assigneeId: ID) { assignTicket(ticketId: $id, assigneeId: $assigneeId) {
  __typename ... on Ticket { assignee { id } } ... on ValidationError { fieldErrors { path message } } ... on Error { code } } }`;
const TICKET = `query($id: ID!) { ticket(id: $id) { id status firstResponseAt resolvedAt
  lastMessage { body internal } attachments { id }
  messages(first: 50) { totalCount edges { node { body internal author { id } } } } } }`;
const LIST = `query($filter: TicketFilter, $orderBy: TicketOrder, $first: Int, $after: String) {
  tickets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id subject } } } }`;

const say = (actor: Actor, ticketId: string, body: string, internal = false) =>
  server.gql(ADD_MESSAGE, { input: { ticketId, body, internal } }, actor.token);
const setStatus = (actor: Actor, id: string, status: Status) => server.gql(SET_STATUS, { id, status }, actor.token);

/** Ids of the listed tickets, in order. */
async function listIds(actor: Actor, variables: Record<string, unknown>): Promise<string[]> {
  const result = await server.gql(LIST, { first: 50, ...variables }, actor.token);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data?.tickets.edges.map((edge: { node: { id: string } }) => edge.node.id);
}

/** A fresh ticket of `customer`, brought to `status` through the API the way people would. */
async function ticketIn(status: Status): Promise<string> {
  const ticket = await createTicket(server, customer);
  if (status === "IN_PROGRESS" || status === "RESOLVED") await setStatus(agent, ticket.id, "IN_PROGRESS");
  if (status === "RESOLVED") await setStatus(agent, ticket.id, "RESOLVED");
  if (status === "CLOSED") await setStatus(customer, ticket.id, "CLOSED");
  const current = await server.app.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
  expect(current.status).toBe(status);
  return ticket.id;
}

describe("createTicket", () => {
  it("creates an open ticket with defaults and a human-readable number", async () => {
    await server.app.prisma.$executeRawUnsafe(`SELECT setval('"Ticket_number_seq"', 122)`);
    const ticket = await createTicket(server, customer, { subject: "  Cannot log in  " });
    expect(ticket).toMatchObject({
      number: 123,
      reference: "TKT-000123",
      subject: "Cannot log in",
      status: "OPEN",
      priority: "MEDIUM",
      category: "GENERAL",
      requester: { id: customer.id },
      assignee: null,
      firstResponseAt: null,
      resolvedAt: null,
      closedAt: null,
      createdAt: server.clock.now().toISOString(),
    });
    const next = await createTicket(server, customer, { category: "BILLING", priority: "URGENT" });
    expect(next).toMatchObject({ number: 124, reference: "TKT-000124", category: "BILLING", priority: "URGENT" });
  });

  it("names every invalid field and stores nothing", async () => {
    const before = await server.app.prisma.ticket.count();
    const result = await server.gql(CREATE, { input: { subject: "Hi", description: "   " } }, customer.token);
    expect(result.data?.createTicket.__typename).toBe("ValidationError");
    expect(result.data?.createTicket.code).toBe("VALIDATION_FAILED");
    expect(result.data?.createTicket.fieldErrors).toEqual([
      { path: "input.subject", message: "must be at least 3 characters" },
      { path: "input.description", message: "describe the problem" },
    ]);
    const long = await server.gql(CREATE, { input: { subject: "x".repeat(201), description: "ok" } }, customer.token);
    expect(long.data?.createTicket.fieldErrors).toEqual([
      { path: "input.subject", message: "must be at most 200 characters" },
    ]);
    expect(await server.app.prisma.ticket.count()).toBe(before);
  });

  it("refuses unknown enum values before anything runs", async () => {
    const result = await server.gql(
      CREATE,
      { input: { subject: "Valid subject", description: "ok", priority: "SOMEDAY" } },
      customer.token,
    );
    expect(result.errors?.[0]?.message).toMatch(/"SOMEDAY" at "input.priority"/);
    expect(result.data ?? null).toBeNull();
  });
});

describe("ticket list", () => {
  // Lena's four tickets, built at known instants (one second apart) so every ordering is exact.
  let lena: Actor;
  let printer: string;
  let invoice: string;
  let password: string;
  let darkMode: string;
  const step = () => server.clock.advance(1000);

  beforeAll(async () => {
    lena = await signUp(server, "lena@example.com");
    const make = async (input: Record<string, unknown>) => {
      step();
      return (await createTicket(server, lena, input)).id as string;
    };
    printer = await make({ subject: "Printer jams on page two", priority: "LOW", category: "TECHNICAL" });
    invoice = await make({
      subject: "Invoice shows wrong amount",
      description: "I was charged twice in October.",
      priority: "URGENT",
      category: "BILLING",
    });
    password = await make({ subject: "Password reset mail never arrives", priority: "HIGH", category: "ACCOUNT" });
    darkMode = await make({ subject: "Dark mode please", category: "FEATURE_REQUEST" });
    step();
    await server.gql(ASSIGN, { id: invoice, assigneeId: agent.id }, agent.token);
    step();
    await server.gql(ASSIGN, { id: password, assigneeId: admin.id }, agent.token);
    step();
    await setStatus(agent, printer, "IN_PROGRESS");
    step();
    await say(agent, darkMode, "We will add a xylophone theme as well.");
    step();
    await say(agent, printer, "The quokka driver is at fault.", true);
    step();
    await say(lena, password, "My spam folder is empty too.");
  });

  const lenas = (filter: Record<string, unknown> = {}) => ({ filter: { requesterId: lena.id, ...filter } });

  it("filters by requester, status, priority, category, assignee and unassigned", async () => {
    const sorted = async (variables: Record<string, unknown>) => (await listIds(agent, variables)).sort();
    expect(await sorted(lenas())).toEqual([printer, invoice, password, darkMode].sort());
    expect(await sorted(lenas({ status: ["IN_PROGRESS"] }))).toEqual([printer]);
    expect(await sorted(lenas({ status: ["OPEN", "IN_PROGRESS"] }))).toHaveLength(4);
    expect(await sorted(lenas({ priority: ["URGENT", "HIGH"] }))).toEqual([invoice, password].sort());
    expect(await sorted(lenas({ category: ["BILLING"] }))).toEqual([invoice]);
    expect(await sorted(lenas({ assigneeId: agent.id }))).toEqual([invoice]);
    expect(await sorted(lenas({ assigneeId: admin.id }))).toEqual([password]);
    expect(await sorted(lenas({ unassigned: true }))).toEqual([printer, darkMode].sort());
    expect(await sorted(lenas({ status: ["RESOLVED"] }))).toEqual([]);
  });

  it("shows customers only their own tickets, whatever filter they send", async () => {
    expect((await listIds(lena, {})).sort()).toEqual([printer, invoice, password, darkMode].sort());
    expect((await listIds(lena, { filter: { requesterId: customer.id } })).sort()).toHaveLength(4);
    expect(await listIds(otherCustomer, lenas())).toEqual([]);
    const all = await server.gql(`{ tickets { totalCount } }`, {}, admin.token);
    expect(all.data?.tickets.totalCount).toBe(await server.app.prisma.ticket.count());
  });

  it("searches subject, description and messages, and ticket numbers", async () => {
    expect(await listIds(agent, lenas({ search: "printers" }))).toEqual([printer]);
    expect(await listIds(agent, lenas({ search: "october" }))).toEqual([invoice]);
    expect(await listIds(agent, lenas({ search: "spam folder" }))).toEqual([password]);
    expect(await listIds(lena, { filter: { search: "xylophone" } })).toEqual([darkMode]);
    expect(await listIds(agent, lenas({ search: "nothing like this" }))).toEqual([]);
    const { number } = await server.app.prisma.ticket.findUniqueOrThrow({ where: { id: password } });
    const reference = `TKT-${String(number).padStart(6, "0")}`;
    for (const search of [reference, reference.toLowerCase(), String(number)]) {
      expect(await listIds(agent, { filter: { search } })).toEqual([password]);
    }
    // Another customer cannot find Lena's ticket by its number.
    expect(await listIds(otherCustomer, { filter: { search: reference } })).toEqual([]);
  });

  it("finds internal notes for staff only", async () => {
    expect(await listIds(agent, { filter: { search: "quokka" } })).toEqual([printer]);
    expect(await listIds(admin, { filter: { search: "quokka" } })).toEqual([printer]);
    expect(await listIds(lena, { filter: { search: "quokka" } })).toEqual([]);
  });

  it("refuses an overlong search naming the field", async () => {
    const result = await server.gql(LIST, { filter: { search: "x".repeat(201) } }, agent.token);
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: "VALIDATION_FAILED",
      fieldErrors: [{ path: "filter.search", message: "must be at most 200 characters" }],
    });
  });

  it("sorts by last update, creation and priority", async () => {
    expect(await listIds(agent, lenas())).toEqual([password, printer, darkMode, invoice]);
    expect(await listIds(agent, { ...lenas(), orderBy: "UPDATED_AT" })).toEqual([password, printer, darkMode, invoice]);
    expect(await listIds(agent, { ...lenas(), orderBy: "CREATED_AT" })).toEqual([darkMode, password, invoice, printer]);
    expect(await listIds(agent, { ...lenas(), orderBy: "PRIORITY" })).toEqual([invoice, password, darkMode, printer]);
  });

  it("pages with cursors and keeps the total count", async () => {
    const page = (after?: string) =>
      server.gql(LIST, { ...lenas(), orderBy: "CREATED_AT", first: 3, after }, agent.token);
    const first = (await page()).data?.tickets;
    expect(first.totalCount).toBe(4);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([darkMode, password, invoice]);
    const second = (await page(first.pageInfo.endCursor)).data?.tickets;
    expect(second.totalCount).toBe(4);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect(second.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([printer]);
  });

  it("orders a priority change into the priority sort", async () => {
    step();
    expect((await server.gql(SET_PRIORITY, { id: printer, priority: "URGENT" }, agent.token)).data).toEqual({
      updateTicketPriority: { __typename: "Ticket", priority: "URGENT" },
    });
    expect(await listIds(agent, { ...lenas(), orderBy: "PRIORITY" })).toEqual([printer, invoice, password, darkMode]);
    expect(await listIds(agent, lenas({ priority: ["URGENT"] }))).toEqual([printer, invoice]);
  });
});

describe("messages", () => {
  it("shows the conversation; customers never see internal notes, not even as the last message", async () => {
    const { id } = await createTicket(server, customer);
    await say(customer, id, "Any news?");
    await say(agent, id, "Looking into it.");
    const note = await say(agent, id, "Customer is on the legacy plan.", true);
    expect(note.data?.addTicketMessage).toMatchObject({ __typename: "TicketMessage", internal: true });

    const asStaff = (await server.gql(TICKET, { id }, agent.token)).data?.ticket;
    expect(asStaff.messages.totalCount).toBe(3);
    expect(asStaff.messages.edges.map((edge: { node: { body: string } }) => edge.node.body)).toEqual([
      "Any news?",
      "Looking into it.",
      "Customer is on the legacy plan.",
    ]);
    expect(asStaff.lastMessage).toEqual({ body: "Looking into it.", internal: false });

    const asCustomer = (await server.gql(TICKET, { id }, customer.token)).data?.ticket;
    expect(asCustomer.messages.totalCount).toBe(2);
    expect(asCustomer.messages.edges.map((edge: { node: { internal: boolean } }) => edge.node.internal)).toEqual([
      false,
      false,
    ]);
    expect(asCustomer.lastMessage).toEqual({ body: "Looking into it.", internal: false });
  });

  it("answers null for tickets the viewer may not see or that do not exist", async () => {
    const { id } = await createTicket(server, customer);
    expect((await server.gql(TICKET, { id }, otherCustomer.token)).data).toEqual({ ticket: null });
    expect((await server.gql(TICKET, { id: "no-such-ticket" }, agent.token)).data).toEqual({ ticket: null });
  });

  it("keeps internal notes for agents, and other customers' tickets out of reach", async () => {
    const { id } = await createTicket(server, customer);
    const forbidden = await say(customer, id, "Let me write a note", true);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const stranger = await say(otherCustomer, id, "Hello?");
    expect(stranger.data?.addTicketMessage).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    const empty = await say(customer, id, "   ");
    expect(empty.data?.addTicketMessage).toMatchObject({
      __typename: "ValidationError",
      fieldErrors: [{ path: "input.body" }],
    });
    expect(await server.app.prisma.ticketMessage.count({ where: { ticketId: id } })).toBe(0);
  });

  it("records the first agent response once, ignoring customer messages and internal notes", async () => {
    const { id } = await createTicket(server, customer);
    const firstResponse = async () =>
      (await server.app.prisma.ticket.findUniqueOrThrow({ where: { id } })).firstResponseAt?.toISOString() ?? null;
    await say(customer, id, "Adding details");
    await say(agent, id, "Note to self", true);
    expect(await firstResponse()).toBeNull();
    server.clock.advance(1000);
    const answeredAt = server.clock.now().toISOString();
    await say(agent, id, "Hello! On it.");
    expect(await firstResponse()).toBe(answeredAt);
    server.clock.advance(1000);
    await say(admin, id, "Second reply");
    expect(await firstResponse()).toBe(answeredAt);
    expect((await server.gql(TICKET, { id }, customer.token)).data?.ticket.firstResponseAt).toBe(answeredAt);
  });
});

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
      const result = (await setStatus(actor, id, to)).data?.updateTicketStatus;
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
    expect((await setStatus(agent, id, "OPEN")).data?.updateTicketStatus).toMatchObject({
      __typename: "InvalidTransitionError",
      message: "Cannot change status from OPEN to OPEN: the ticket already has this status",
    });
    expect((await setStatus(otherCustomer, id, "CLOSED")).data?.updateTicketStatus.__typename).toBe("NotFoundError");
  });

  it("stamps resolvedAt and closedAt, and clears resolvedAt on reopening", async () => {
    const id = await ticketIn("IN_PROGRESS");
    server.clock.advance(1000);
    const resolvedAt = server.clock.now().toISOString();
    expect((await setStatus(agent, id, "RESOLVED")).data?.updateTicketStatus).toMatchObject({
      resolvedAt,
      closedAt: null,
    });
    expect((await setStatus(agent, id, "IN_PROGRESS")).data?.updateTicketStatus).toMatchObject({ resolvedAt: null });
    await setStatus(agent, id, "RESOLVED");
    server.clock.advance(1000);
    const closedAt = server.clock.now().toISOString();
    expect((await setStatus(customer, id, "CLOSED")).data?.updateTicketStatus).toMatchObject({
      status: "CLOSED",
      closedAt,
    });
  });

  it("reopens a resolved ticket when the requester replies, not when an agent does", async () => {
    const id = await ticketIn("RESOLVED");
    await say(agent, id, "Anything else?");
    expect((await server.gql(TICKET, { id }, agent.token)).data?.ticket.status).toBe("RESOLVED");
    await say(customer, id, "Yes, it broke again.");
    expect((await server.gql(TICKET, { id }, agent.token)).data?.ticket).toMatchObject({
      status: "OPEN",
      resolvedAt: null,
    });
  });

  it("keeps closed tickets final: no replies, no status changes", async () => {
    const id = await ticketIn("CLOSED");
    for (const actor of [customer, agent]) {
      expect((await say(actor, id, "One more thing")).data?.addTicketMessage).toMatchObject({
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
        async (actor) => (await setStatus(actor, id, "IN_PROGRESS")).data?.updateTicketStatus,
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
    await setStatus(agent, ticket.id, "IN_PROGRESS");
    for (const event of await both())
      expect(event).toMatchObject({ kind: "STATUS_CHANGED", ticket: { status: "IN_PROGRESS" } });

    // An internal note reaches the agent only; the reply reaches both.
    await say(agent, ticket.id, "Probably the TURN server.", true);
    expect((await agentSide.next()).data?.ticketEvents).toMatchObject({
      kind: "MESSAGE_ADDED",
      message: { body: "Probably the TURN server.", internal: true },
    });
    await say(agent, ticket.id, "Please try again now.");
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

    await setStatus(agent, ticket.id, "RESOLVED");
    for (const event of await both())
      expect(event).toMatchObject({ kind: "STATUS_CHANGED", ticket: { status: "RESOLVED" } });

    // The customer replies (reopening it), the agent resolves again, the customer closes it.
    await say(customer, ticket.id, "Works now, thanks!");
    for (const event of await both()) {
      expect(event).toMatchObject({ kind: "MESSAGE_ADDED", ticket: { status: "OPEN", resolvedAt: null } });
    }
    await setStatus(agent, ticket.id, "RESOLVED");
    await both();
    await setStatus(customer, ticket.id, "CLOSED");
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
