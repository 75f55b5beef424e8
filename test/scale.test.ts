import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Cluster,
  serverModeAvailable,
  startCluster,
  startPrivateRedis,
  untilSubscribedInRedis,
} from "./cluster.ts";
import { type Actor, createCast, createTicket, signUp } from "./fixtures.ts";
import { eventually, subscribe } from "./harness.ts";
import { createSession, hostAction, join, sessionWsClient } from "./session-fixtures.ts";

const EVENTS = `subscription($ticketId: ID!) {
  ticketEvents(ticketId: $ticketId) { kind ticketId message { id body } }
}`;
const ADD_MESSAGE = `mutation($input: AddTicketMessageInput!) {
  addTicketMessage(input: $input) {
    __typename ... on TicketMessage { id body } ... on RateLimitedError { code retryAfterSeconds message }
  }
}`;
const LOG_IN = `mutation($input: LogInInput!) {
  logIn(input: $input) { __typename ... on Error { code } ... on RateLimitedError { retryAfterSeconds } }
}`;

async function readyz(url: string) {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// Server mode: two instances on different ports share one PostgreSQL database and one Redis.
describe.runIf(serverModeAvailable())("server mode with two instances", () => {
  let cluster: Cluster;
  let cast: Awaited<ReturnType<typeof createCast>>;

  beforeAll(async () => {
    cluster = await startCluster({
      env: {
        RATE_LIMITS: "on",
        RATE_LIMIT_AUTH_ACCOUNT: "3/15m",
        RATE_LIMIT_WRITES_USER: "3/1m",
        SESSION_JOIN_RATE_LIMIT: "4",
        // Long enough that only the cross-instance events can explain a change showing up in time.
        RESPONSE_CACHE_TTL: "10m",
        AUTH_SESSION_CACHE: "10m",
      },
    });
    const [a] = cluster.nodes;
    if (!a) throw new Error("no node");
    cast = await createCast(a);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("delivers a message posted on instance A to a subscriber on instance B", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const ticket = await createTicket(b, cast.customer, { subject: "Across instances" });
    const events = subscribe(b.wsClient(cast.customer.token), EVENTS, { ticketId: ticket.id });
    await untilSubscribedInRedis(b, `ticket:${ticket.id}`);
    const posted = await a.gql(ADD_MESSAGE, { input: { ticketId: ticket.id, body: "Posted on A" } }, cast.agent.token);
    expect(posted.data?.addTicketMessage.__typename).toBe("TicketMessage");
    const event = await events.next();
    expect(event.data?.ticketEvents).toMatchObject({
      kind: "MESSAGE_ADDED",
      ticketId: ticket.id,
      message: { body: "Posted on A" },
    });
    await events.stop();
  });

  it("keeps instance B's cached ticket lists and sign-ins true to changes made on instance A", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const user = await signUp(a, "lists-across@example.com");
    const LIST = `{ tickets(first: 10) { totalCount } }`;
    const count = async () => (await b.gql(LIST, {}, user.token)).data?.tickets?.totalCount;
    expect(await count()).toBe(0);
    expect(await count()).toBe(0); // now answered from B's cache
    await createTicket(a, user, { subject: "Created on A" });
    await eventually(async () => (await count()) === 1);
    // A sign-out on A reaches B's sign-in cache: the token is refused there too.
    expect((await a.gql(`mutation { logOut }`, {}, user.token)).data?.logOut).toBe(true);
    await eventually(
      async () => (await b.gql(LIST, {}, user.token)).errors?.[0]?.extensions?.code === "UNAUTHENTICATED",
    );
  });

  it("shows a participant joining a live session on instance A on the host's panel on instance B", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const host = sessionWsClient(b, { accessToken: cast.agent.token });
    /**
     * What one subscription of the host's panel on B shows when someone joins on A. A session per subscription:
     * Redis counts one subscriber per instance and topic, so only a fresh topic tells that this one is attached.
     */
    const panelSees = async (query: string, email: string) => {
      const session = await createSession(b, cast.agent, { waitingRoom: true });
      const started = await hostAction(b, cast.agent, "startLiveSession", { id: session.id });
      expect(started.data?.startLiveSession.__typename).toBe("LiveSession");
      const events = subscribe(host, query, { id: session.id });
      await untilSubscribedInRedis(b, `liveSession:${session.id}`);
      const joined = await join(a, session.accessToken, email);
      expect(joined.participant.status).toBe("WAITING");
      const event = await events.next();
      await events.stop();
      return { participantId: joined.participant.id, data: event.data };
    };
    const waiting = await panelSees(
      `subscription($id: ID!) { sessionParticipantEvents(sessionId: $id) { kind participantId } }`,
      "across@example.com",
    );
    expect(waiting.data?.sessionParticipantEvents).toEqual({
      kind: "PARTICIPANT_WAITING",
      participantId: waiting.participantId,
    });
    const queue = await panelSees(
      `subscription($id: ID!) { sessionWaitingRoom(sessionId: $id) { kind waiting { id name } } }`,
      "across-queue@example.com",
    );
    expect(queue.data?.sessionWaitingRoom.waiting).toEqual([{ id: queue.participantId, name: "across-queue" }]);
    await host.dispose();
  });

  it("enforces session capacity across instances: 4 concurrent joins on A and B, exactly 2 admitted", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const session = await createSession(a, cast.agent, { maxParticipants: 2, waitingRoom: false });
    const started = await hostAction(a, cast.agent, "startLiveSession", { id: session.id });
    expect(started.data?.startLiveSession.__typename).toBe("LiveSession");
    const results = await Promise.all(
      [a, b, a, b].map((node, index) => join(node, session.accessToken, `cap${index}@example.com`)),
    );
    const kinds = results.map((result) => result.__typename).sort();
    expect(kinds).toEqual(["JoinSessionPayload", "JoinSessionPayload", "SessionFullError", "SessionFullError"]);
    for (const result of results)
      if (result.__typename === "SessionFullError") expect(result.maxParticipants).toBe(2);
      else expect(result.participant.status).toBe("ADMITTED");
  });

  it("shares the session join rate limit across instances", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const session = await createSession(a, cast.agent, { password: "open sesame 42" });
    const attempt = (node: typeof a, index: number) =>
      join(node, session.accessToken, `limit${index}@example.com`, { password: "wrong" });
    expect((await attempt(a, 0)).__typename).toBe("WrongPasswordError");
    expect((await attempt(b, 1)).__typename).toBe("WrongPasswordError");
    expect((await attempt(a, 2)).__typename).toBe("WrongPasswordError");
    expect((await attempt(b, 3)).__typename).toBe("WrongPasswordError");
    const refused = await attempt(a, 4); // the fifth attempt from this address, whichever instance counts it
    expect(refused).toMatchObject({ __typename: "RateLimitedError", code: "RATE_LIMITED" });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(10 * 60);
    expect((await attempt(b, 5)).__typename).toBe("RateLimitedError");
  });

  it("shares auth rate limits across instances (per account), with a typed error", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const attempt = (node: typeof a) =>
      node.gql(LOG_IN, { input: { email: cast.otherCustomer.email, password: "wrong password" } });
    expect((await attempt(a)).data?.logIn.code).toBe("INVALID_CREDENTIALS");
    expect((await attempt(b)).data?.logIn.code).toBe("INVALID_CREDENTIALS");
    expect((await attempt(a)).data?.logIn.code).toBe("INVALID_CREDENTIALS");
    const refused = (await attempt(b)).data?.logIn;
    expect(refused).toMatchObject({ __typename: "RateLimitedError", code: "RATE_LIMITED" });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
    // Still refused on A: the counter lives in Redis, not in either process.
    expect((await attempt(a)).data?.logIn.__typename).toBe("RateLimitedError");
  });

  it("shares per-user write limits across instances", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const writer: Actor = cast.otherCustomer;
    const ticket = await createTicket(a, writer, { subject: "Write limits" }); // 1
    const post = (node: typeof a, body: string) =>
      node.gql(ADD_MESSAGE, { input: { ticketId: ticket.id, body } }, writer.token);
    expect((await post(b, "two")).data?.addTicketMessage.__typename).toBe("TicketMessage");
    expect((await post(a, "three")).data?.addTicketMessage.__typename).toBe("TicketMessage");
    const refused = (await post(b, "four")).data?.addTicketMessage;
    expect(refused).toMatchObject({ __typename: "RateLimitedError", code: "RATE_LIMITED" });
    // Nothing was written by the refused call.
    const thread = await a.gql(
      `query($id: ID!) { ticket(id: $id) { messages { totalCount } } }`,
      { id: ticket.id },
      writer.token,
    );
    expect(thread.data?.ticket.messages.totalCount).toBe(2);
  });

  it("reports readiness of the database and Redis on every instance, and metrics", async () => {
    for (const node of cluster.nodes) {
      const state = await readyz(node.url);
      expect(state).toMatchObject({ status: 200, body: { ready: true, database: true, redis: true } });
    }
    const [a] = cluster.nodes;
    const metrics = await (await fetch(`${a?.url}/metrics`)).text();
    expect(metrics).toMatch(/rate_limited_total\{rule="authPerAccount"\} [1-9]/);
  });
});

describe.runIf(serverModeAvailable())("server mode when Redis restarts", () => {
  let cluster: Cluster;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;

  beforeAll(async () => {
    // A private redis-server: the machine's shared Redis is never stopped.
    redis = await startPrivateRedis();
    cluster = await startCluster({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
  });

  it("recovers subscriptions after Redis restarts: what was written meanwhile arrives from the stream log", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const { agent, customer } = await createCast(a);
    const ticket = await createTicket(a, customer, { subject: "Redis restarts" });
    let connections = 0;
    const client = b.reconnectingClient(customer.token, {
      on: {
        connected: () => {
          connections += 1;
        },
      },
    });
    const events = subscribe(client, EVENTS, { ticketId: ticket.id });
    await untilSubscribedInRedis(b, `ticket:${ticket.id}`);
    await a.gql(ADD_MESSAGE, { input: { ticketId: ticket.id, body: "before" } }, agent.token);
    expect((await events.next()).data?.ticketEvents.message.body).toBe("before");

    await redis.stop();
    const down = await eventually(async () => {
      const state = await readyz(b.url);
      return state.body.redis === false ? state : null;
    });
    // Degraded but ready on every instance: writes still commit, and a load balancer must not drop them all.
    expect(down).toMatchObject({ status: 200, body: { ready: true, status: "degraded", database: true } });
    expect(await readyz(a.url)).toMatchObject({ status: 200, body: { ready: true, status: "degraded" } });
    // Written while Redis is away: committed at once, its event in the stream log but not through Redis.
    const started = performance.now();
    const missed = await a.gql(ADD_MESSAGE, { input: { ticketId: ticket.id, body: "during" } }, agent.token);
    expect(missed.data?.addTicketMessage.__typename).toBe("TicketMessage");
    expect(performance.now() - started).toBeLessThan(1500);

    await redis.restart();
    await eventually(
      async () => (await readyz(a.url)).body.status === "ok" && (await readyz(b.url)).body.status === "ok",
    );
    // B's subscription read what it missed from the log: the client neither reconnected nor refetched.
    expect((await events.next()).data?.ticketEvents.message.body).toBe("during");
    await a.gql(ADD_MESSAGE, { input: { ticketId: ticket.id, body: "after" } }, agent.token);
    expect((await events.next()).data?.ticketEvents.message.body).toBe("after");
    expect(events.pending()).toEqual([]);
    expect(connections).toBe(1);
    await events.stop();
  });
});
