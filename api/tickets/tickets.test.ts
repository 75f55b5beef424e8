import { beforeAll, describe, expect, it } from "vitest";
import { type Actor, createTicket, signUp } from "../../test/fixtures.ts";
import type { TestServer } from "../../test/harness.ts";
import {
  ASSIGN,
  CREATE,
  LIST,
  SET_PRIORITY,
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

/** Ids of the listed tickets, in order. */
async function listIds(actor: Actor, variables: Record<string, unknown>): Promise<string[]> {
  const result = await server.gql(LIST, { first: 50, ...variables }, actor.token);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data?.tickets.edges.map((edge: { node: { id: string } }) => edge.node.id);
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
    await setStatus(server, agent, printer, "IN_PROGRESS");
    step();
    await say(server, agent, darkMode, "We will add a xylophone theme as well.");
    step();
    await say(server, agent, printer, "The quokka driver is at fault.", true);
    step();
    await say(server, lena, password, "My spam folder is empty too.");
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

describe("bad arguments", () => {
  it("answers a bad first, cursor or DateTime with BAD_USER_INPUT naming the problem, not an internal error", async () => {
    const refusal = async (query: string, variables: Record<string, unknown>, actor: Actor) => {
      const result = await server.gql(query, variables, actor.token);
      return { code: result.errors?.[0]?.extensions?.code, message: result.errors?.[0]?.message };
    };
    expect(await refusal(LIST, { first: -1 }, agent)).toEqual({
      code: "BAD_USER_INPUT",
      message: expect.stringContaining('"first"'),
    });
    expect(await refusal(LIST, { first: 5, after: "not a cursor" }, agent)).toMatchObject({ code: "BAD_USER_INPUT" });
    const summary = `query($from: DateTime!, $to: DateTime!) { sessionAnalyticsSummary(from: $from, to: $to) {
      __typename } }`;
    expect(await refusal(summary, { from: "yesterday", to: "2026-12-01T00:00:00Z" }, admin)).toEqual({
      code: "BAD_USER_INPUT",
      message: expect.stringMatching(/\$from.*DateTime must be an ISO-8601 string/),
    });
  });
});

describe("messages", () => {
  it("shows the conversation; customers never see internal notes, not even as the last message", async () => {
    const { id } = await createTicket(server, customer);
    await say(server, customer, id, "Any news?");
    await say(server, agent, id, "Looking into it.");
    const note = await say(server, agent, id, "Customer is on the legacy plan.", true);
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
    const forbidden = await say(server, customer, id, "Let me write a note", true);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const stranger = await say(server, otherCustomer, id, "Hello?");
    expect(stranger.data?.addTicketMessage).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    const empty = await say(server, customer, id, "   ");
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
    await say(server, customer, id, "Adding details");
    await say(server, agent, id, "Note to self", true);
    expect(await firstResponse()).toBeNull();
    server.clock.advance(1000);
    const answeredAt = server.clock.now().toISOString();
    await say(server, agent, id, "Hello! On it.");
    expect(await firstResponse()).toBe(answeredAt);
    server.clock.advance(1000);
    await say(server, admin, id, "Second reply");
    expect(await firstResponse()).toBe(answeredAt);
    expect((await server.gql(TICKET, { id }, customer.token)).data?.ticket.firstResponseAt).toBe(answeredAt);
  });
});
