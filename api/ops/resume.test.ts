import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Actor, createCast, createTicket } from "../../test/fixtures.ts";
import {
  type GraphQLResponse,
  startTestServer,
  subscribe,
  type TestServer,
  untilSubscribed,
} from "../../test/harness.ts";
import {
  createSession,
  hostAction,
  join,
  participantGql,
  sessionSse,
  sessionWsClient,
} from "../../test/session-fixtures.ts";
import { sseSubscribe } from "../../test/sse.ts";
import { encodeCursor, TICKETS_STREAM } from "./event-log.ts";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let server: TestServer;
let agent: Actor;
let customer: Actor;
let otherCustomer: Actor;
const clients: { dispose(): void | Promise<void> }[] = [];
beforeAll(async () => {
  // A small per-stream retention, so the last test can see a cursor expire.
  server = await startTestServer({ env: { STREAM_RETENTION_EVENTS: "10" } });
  ({ agent, customer, otherCustomer } = await createCast(server));
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await server?.close();
});

interface Subscription {
  next(timeoutMs?: number): Promise<GraphQLResponse>;
  pending(): GraphQLResponse[];
  stop(): Promise<void>;
}
type Credentials = { accessToken?: string; participantToken?: string };

/** The same subscription over either transport. */
const transports: Record<
  "graphql-ws" | "SSE",
  (credentials: Credentials, query: string, variables: Record<string, unknown>) => Subscription
> = {
  "graphql-ws": (credentials, query, variables) => {
    const client = sessionWsClient(server, credentials);
    clients.push(client);
    return subscribe(client, query, variables);
  },
  SSE: (credentials, query, variables) =>
    credentials.participantToken
      ? sessionSse(server, query, variables, credentials)
      : sseSubscribe(server.url, query, variables, credentials.accessToken),
};

const EVENTS = `subscription($id: ID!, $after: String) { ticketEvents(ticketId: $id, after: $after) {
  kind cursor message { body internal } } }`;
const FEED = `subscription($after: String) { ticketFeed(after: $after) { kind cursor ticketId message { body } } }`;
const CHAT = `subscription($id: ID!, $after: String) { sessionChat(sessionId: $id, after: $after) {
  cursor message { body } } }`;
const STATE = `subscription($id: ID!, $after: String) { sessionState(sessionId: $id, after: $after) {
  kind cursor session { locked } } }`;
const SEND = `mutation($id: ID!, $body: String!) { sendSessionChatMessage(sessionId: $id, body: $body) { __typename } }`;

const say = async (actor: Actor, ticketId: string, body: string, internal = false) => {
  const result = await server.gql(
    `mutation($input: AddTicketMessageInput!) { addTicketMessage(input: $input) { __typename } }`,
    { input: { ticketId, body, internal } },
    actor.token,
  );
  expect(result.data?.addTicketMessage.__typename).toBe("TicketMessage");
};

/** The payload of the subscription's next event (the first field of `data`), failing on errors. */
async function nextPayload(subscription: Subscription): Promise<Record<string, any>> {
  const result = await subscription.next();
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return Object.values(result.data ?? {})[0] as Record<string, any>;
}

/** The error code a subscription answered instead of events (graphql-ws rejects, SSE sends an error event). */
async function refusal(subscription: Subscription): Promise<unknown> {
  try {
    const result = await subscription.next();
    return result.errors?.[0]?.extensions?.code ?? "no error";
  } catch (error) {
    const errors = Array.isArray(error) ? error : [error];
    return (errors[0] as { extensions?: { code?: string } })?.extensions?.code ?? String(error);
  } finally {
    await subscription.stop().catch(() => {});
  }
}

let firstTicketCursor = "";

describe.each(Object.keys(transports) as (keyof typeof transports)[])("resuming over %s", (transport) => {
  const open = transports[transport];

  it("replays a ticket's events since the cursor once and in order, without internal notes for the customer", async () => {
    const ticket = await createTicket(server, customer, { subject: `Resume ${transport}` });
    const first = open({ accessToken: customer.token }, EVENTS, { id: ticket.id });
    await untilSubscribed(server, `ticket:${ticket.id}`);
    await say(agent, ticket.id, "one");
    const one = await nextPayload(first);
    expect(one.message.body).toBe("one");
    firstTicketCursor ||= one.cursor;
    await first.stop();

    // While the customer is away: an answer, an internal note, their own reply, and another customer's ticket.
    await say(agent, ticket.id, "two");
    await say(agent, ticket.id, "secret", true);
    await say(customer, ticket.id, "three");
    const elsewhere = await createTicket(server, otherCustomer, { subject: "Not yours" });
    await say(agent, elsewhere.id, "not for you");

    const resumed = open({ accessToken: customer.token }, EVENTS, { id: ticket.id, after: one.cursor });
    expect((await nextPayload(resumed)).message.body).toBe("two");
    expect((await nextPayload(resumed)).message.body).toBe("three");
    await untilSubscribed(server, `ticket:${ticket.id}`);
    await say(agent, ticket.id, "four");
    const four = await nextPayload(resumed);
    expect(four.message.body).toBe("four");
    expect(resumed.pending()).toEqual([]);
    await resumed.stop();

    // An agent resuming from the same cursor gets the note too; the feed gives the customer only their ticket.
    const agentView = open({ accessToken: agent.token }, EVENTS, { id: ticket.id, after: one.cursor });
    const agentBodies = [];
    for (let i = 0; i < 4; i++) agentBodies.push((await nextPayload(agentView)).message.body);
    expect(agentBodies).toEqual(["two", "secret", "three", "four"]);
    await agentView.stop();

    const feed = open({ accessToken: customer.token }, FEED, { after: one.cursor });
    const feedEvents = [];
    for (let i = 0; i < 3; i++) feedEvents.push(await nextPayload(feed));
    expect(feedEvents.map((event) => [event.ticketId, event.message.body])).toEqual([
      [ticket.id, "two"],
      [ticket.id, "three"],
      [ticket.id, "four"],
    ]);
    // Nothing else was replayed: the next event is the next live one.
    await untilSubscribed(server, "ticketFeed");
    await say(customer, ticket.id, "five");
    expect((await nextPayload(feed)).message.body).toBe("five");
    await feed.stop();
  });

  it("joins replay and live with no gap and no duplicate: events published during the replay come once", async () => {
    const ticket = await createTicket(server, customer, { subject: `Seam ${transport}` });
    const first = open({ accessToken: customer.token }, EVENTS, { id: ticket.id });
    await untilSubscribed(server, `ticket:${ticket.id}`);
    await say(agent, ticket.id, "m0");
    const cursor = (await nextPayload(first)).cursor;
    await first.stop();
    await say(agent, ticket.id, "m1");
    await say(agent, ticket.id, "m2");
    // The replay's first read waits until m3…m8 were published: they reach the live queue and the log both.
    const log = server.app.pubsub.log;
    if (!log) throw new Error("the app has a stream log");
    const read = log.read.bind(log);
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = vi.spyOn(log, "read").mockImplementationOnce(async (...args) => {
      await gate;
      return read(...args);
    });
    try {
      const resumed = open({ accessToken: customer.token }, EVENTS, { id: ticket.id, after: cursor });
      await untilSubscribed(server, `ticket:${ticket.id}`);
      await vi.waitFor(() => expect(held).toHaveBeenCalled());
      for (let i = 3; i <= 8; i++) await say(agent, ticket.id, `m${i}`);
      release();
      const bodies = [];
      for (let i = 1; i <= 8; i++) bodies.push((await nextPayload(resumed)).message.body);
      expect(bodies).toEqual(["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"]);
      await say(agent, ticket.id, "m9");
      expect((await nextPayload(resumed)).message.body).toBe("m9");
      expect(resumed.pending()).toEqual([]);
      await resumed.stop();
    } finally {
      release();
      held.mockRestore();
    }
  });

  it("replays a session's chat and state to a participant, and refuses another session's cursor", async () => {
    const session = await createSession(server, agent);
    const elsewhere = await createSession(server, agent);
    for (const id of [session.id, elsewhere.id]) {
      expect((await hostAction(server, agent, "startLiveSession", { id })).data?.startLiveSession.__typename).toBe(
        "LiveSession",
      );
    }
    const joined = await join(server, session.accessToken, `resume-${transport.toLowerCase()}@example.com`);
    const participant = { participantToken: joined.participantToken as string };
    const chat = (body: string, id = session.id) => server.gql(SEND, { id, body }, agent.token);

    const first = open(participant, CHAT, { id: session.id });
    await untilSubscribed(server, `liveSession:${session.id}`);
    await chat("hello");
    const hello = await nextPayload(first);
    expect(hello.message.body).toBe("hello");
    await first.stop();

    await chat("while away");
    await hostAction(server, agent, "setSessionLocked", { id: session.id, locked: true });
    await chat("still away");
    await chat("in the other room", elsewhere.id);

    const resumed = open(participant, CHAT, { id: session.id, after: hello.cursor });
    expect((await nextPayload(resumed)).message.body).toBe("while away");
    expect((await nextPayload(resumed)).message.body).toBe("still away");
    await untilSubscribed(server, `liveSession:${session.id}`);
    await chat("back");
    expect((await nextPayload(resumed)).message.body).toBe("back");
    expect(resumed.pending()).toEqual([]);
    await resumed.stop();

    // One cursor per session stream: the chat's cursor resumes the session's state too.
    const state = open(participant, STATE, { id: session.id, after: hello.cursor });
    expect(await nextPayload(state)).toMatchObject({ kind: "LOCK_CHANGED", session: { locked: true } });
    await state.stop();

    // A cursor of another session's stream is refused, and so is the other session itself.
    const otherFeed = open({ accessToken: agent.token }, CHAT, { id: elsewhere.id });
    await untilSubscribed(server, `liveSession:${elsewhere.id}`);
    await chat("elsewhere", elsewhere.id);
    const elsewhereCursor = (await nextPayload(otherFeed)).cursor;
    await otherFeed.stop();
    expect(await refusal(open(participant, CHAT, { id: session.id, after: elsewhereCursor }))).toBe("INVALID_CURSOR");
    expect(await refusal(open(participant, CHAT, { id: elsewhere.id, after: elsewhereCursor }))).toBe("FORBIDDEN");
  });
});

describe("replaying a session's participant events", () => {
  it("gives a waiting participant only what live events would: not someone else's waiting or denial", async () => {
    const open = transports["graphql-ws"];
    const session = await createSession(server, agent, { waitingRoom: true });
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const waiting = await join(server, session.accessToken, "waits@example.com");
    const asWaiting = { participantToken: waiting.participantToken as string };
    // A cursor from the session's stream (any of its subscriptions): the host locks and unlocks the session.
    const state = open(asWaiting, STATE, { id: session.id });
    await untilSubscribed(server, `liveSession:${session.id}`);
    await hostAction(server, agent, "setSessionLocked", { id: session.id, locked: true });
    const cursor = (await nextPayload(state)).cursor;
    await state.stop();
    await hostAction(server, agent, "setSessionLocked", { id: session.id, locked: false });

    const other = await join(server, session.accessToken, "other-waits@example.com");
    await hostAction(server, agent, "denyParticipant", { participantId: other.participant.id });
    await hostAction(server, agent, "admitParticipant", { participantId: waiting.participant.id });

    const PARTICIPANTS = `subscription($id: ID!, $after: String) {
      sessionParticipantEvents(sessionId: $id, after: $after) { kind participantId } }`;
    const own = open(asWaiting, PARTICIPANTS, { id: session.id, after: cursor });
    expect(await nextPayload(own)).toEqual({ kind: "PARTICIPANT_ADMITTED", participantId: waiting.participant.id });
    const host = open({ accessToken: agent.token }, PARTICIPANTS, { id: session.id, after: cursor });
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await nextPayload(host));
    expect(seen).toEqual([
      { kind: "PARTICIPANT_WAITING", participantId: other.participant.id },
      { kind: "PARTICIPANT_DENIED", participantId: other.participant.id },
      { kind: "PARTICIPANT_ADMITTED", participantId: waiting.participant.id },
    ]);
    expect(own.pending()).toEqual([]);
    await own.stop();
    await host.stop();
  });
});

describe("a page's first read, then its subscriptions", () => {
  it("loses nothing in between: after a read's eventCursor, the host, a waiting participant, a thread and an inbox get it", async () => {
    const open = transports["graphql-ws"];
    const session = await createSession(server, agent, { waitingRoom: true });
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const waiting = await join(server, session.accessToken, "first-read@example.com");
    const asWaiting = { participantToken: waiting.participantToken as string };

    // The pages' first reads: the host's session page and the waiting participant's own row.
    const hostRead = await server.gql(
      `query($id: ID!) { liveSession(id: $id) { eventCursor participants { id status } } }`,
      { id: session.id },
      agent.token,
    );
    const waitingRead = await participantGql(
      server,
      `query($id: ID!) { myParticipant { status } liveSession(id: $id) { eventCursor } }`,
      { id: session.id },
      asWaiting.participantToken,
    );
    expect(waitingRead.data?.myParticipant.status).toBe("WAITING");
    const hostCursor = hostRead.data?.liveSession.eventCursor as string;
    const waitingCursor = waitingRead.data?.liveSession.eventCursor as string;
    expect(hostCursor).toEqual(expect.any(String));
    expect(waitingCursor).toBe(hostCursor);

    // Admitted and locked before either page's subscriptions go live.
    await hostAction(server, agent, "admitParticipant", { participantId: waiting.participant.id });
    await hostAction(server, agent, "setSessionLocked", { id: session.id, locked: true });

    const PARTICIPANTS = `subscription($id: ID!, $after: String) {
      sessionParticipantEvents(sessionId: $id, after: $after) { kind participantId } }`;
    const own = open(asWaiting, PARTICIPANTS, { id: session.id, after: waitingCursor });
    expect(await nextPayload(own)).toEqual({ kind: "PARTICIPANT_ADMITTED", participantId: waiting.participant.id });
    const state = open({ accessToken: agent.token }, STATE, { id: session.id, after: hostCursor });
    expect(await nextPayload(state)).toMatchObject({ kind: "LOCK_CHANGED", session: { locked: true } });
    await own.stop();
    await state.stop();

    // A ticket's thread the same way: a reply posted between the read and the subscription is sent first.
    const ticket = await createTicket(server, customer, { subject: "First read" });
    const thread = await server.gql(
      `query($id: ID!) { ticket(id: $id) { eventCursor } }`,
      { id: ticket.id },
      customer.token,
    );
    const ticketCursor = thread.data?.ticket.eventCursor as string;
    expect(ticketCursor).toEqual(expect.any(String));
    await say(agent, ticket.id, "posted while the page loads");
    await say(agent, ticket.id, "only for agents", true);
    const events = open({ accessToken: customer.token }, EVENTS, { id: ticket.id, after: ticketCursor });
    expect((await nextPayload(events)).message.body).toBe("posted while the page loads");
    await untilSubscribed(server, `ticket:${ticket.id}`);
    await say(agent, ticket.id, "live");
    expect((await nextPayload(events)).message.body).toBe("live");
    await events.stop();

    // The inbox's list and its feed: a ticket created between the two comes first.
    const list = await server.gql(`{ tickets(first: 5) { eventCursor } }`, {}, agent.token);
    const listCursor = list.data?.tickets.eventCursor as string;
    const created = await createTicket(server, customer, { subject: "Opened while the inbox loads" });
    const feed = open({ accessToken: agent.token }, FEED, { after: listCursor });
    expect(await nextPayload(feed)).toMatchObject({ kind: "CREATED", ticketId: created.id });
    await feed.stop();

    // Someone who may not subscribe reads no cursor: a customer who is not in it sees no session at all.
    const other = await server.gql(
      `query($id: ID!) { liveSession(id: $id) { eventCursor } }`,
      { id: session.id },
      customer.token,
    );
    expect(other.data?.liveSession ?? null).toBeNull();
  });
});

describe("cursors the log cannot resume from", () => {
  it("answers INVALID_CURSOR for a cursor of no stream, CURSOR_EXPIRED for one past or before what is kept", async () => {
    const ticket = await createTicket(server, customer, { subject: "Expiry" });
    const open = transports["graphql-ws"];
    expect(await refusal(open({ accessToken: customer.token }, EVENTS, { id: ticket.id, after: "nope" }))).toBe(
      "INVALID_CURSOR",
    );
    const future = encodeCursor(TICKETS_STREAM, 1_000_000);
    expect(await refusal(open({ accessToken: customer.token }, FEED, { after: future }))).toBe("CURSOR_EXPIRED");

    // More than STREAM_RETENTION_EVENTS (10) events since the first cursor of this file: trimming drops it.
    expect(firstTicketCursor).not.toBe("");
    for (let i = 0; i < 11; i++) await say(agent, ticket.id, `filler ${i}`);
    expect(await server.app.pubsub.log?.trim()).toBeGreaterThan(0);
    expect(await refusal(open({ accessToken: customer.token }, FEED, { after: firstTicketCursor }))).toBe(
      "CURSOR_EXPIRED",
    );
    // Over SSE the same answer comes as an error event.
    expect(await refusal(transports.SSE({ accessToken: customer.token }, FEED, { after: firstTicketCursor }))).toBe(
      "CURSOR_EXPIRED",
    );
  });
});
