import { afterAll, beforeAll } from "vitest";
import { type Actor, createCast, TICKET_FIELDS } from "./fixtures.ts";
import { startTestServer, type TestServer } from "./harness.ts";

/** Test helpers for the tickets domain. */

export type Status = "OPEN" | "IN_PROGRESS" | "RESOLVED" | "CLOSED";

export const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) {
  __typename ... on Ticket { ${TICKET_FIELDS} } ... on ValidationError { code fieldErrors { path message } } } }`;
export const ADD_MESSAGE = `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) {
  __typename ... on TicketMessage { id body internal author { id } }
  ... on Error { code message } ... on ValidationError { fieldErrors { path } } } }`;
export const SET_STATUS = `mutation($id: ID!, $status: TicketStatus!) { updateTicketStatus(ticketId: $id, status: $status) {
  __typename ... on Ticket { status resolvedAt closedAt updatedAt } ... on InvalidTransitionError { from to message } } }`;
export const SET_PRIORITY = `mutation($id: ID!, $priority: TicketPriority!) { updateTicketPriority(ticketId: $id, priority: $priority) {
  __typename ... on Ticket { priority } ... on Error { code } } }`;
export const ASSIGN = `mutation($id: ID!, $assigneeId: ID) { assignTicket(ticketId: $id, assigneeId: $assigneeId) {
  __typename ... on Ticket { assignee { id } } ... on ValidationError { fieldErrors { path message } } ... on Error { code } } }`;
export const TICKET = `query($id: ID!) { ticket(id: $id) { id status firstResponseAt resolvedAt
  lastMessage { body internal } attachments { id }
  messages(first: 50) { totalCount edges { node { body internal author { id } } } } } }`;
export const LIST = `query($filter: TicketFilter, $orderBy: TicketOrder, $first: Int, $after: String) {
  tickets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id subject } } } }`;

export const say = (server: TestServer, actor: Actor, ticketId: string, body: string, internal = false) =>
  server.gql(ADD_MESSAGE, { input: { ticketId, body, internal } }, actor.token);
export const setStatus = (server: TestServer, actor: Actor, id: string, status: Status) =>
  server.gql(SET_STATUS, { id, status }, actor.token);

/** Starts a server before a file's tests and closes it after them; `started` receives it and its cast once up. */
export function withTicketServer(
  started: (running: { server: TestServer } & Awaited<ReturnType<typeof createCast>>) => void,
) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer();
    started({ server, ...(await createCast(server)) });
  }, 300_000);
  afterAll(async () => {
    await server?.close();
  });
}
