import { createHash, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Actor } from "../../test/fixtures.ts";
import type { GraphQLResponse, TestServer } from "../../test/harness.ts";
import { createSession, hostAction, JOIN } from "../../test/session-fixtures.ts";
import { ADD_MESSAGE, CREATE, withTicketServer } from "../../test/ticket-fixtures.ts";

let server: TestServer;
let customer: Actor;
let otherCustomer: Actor;
let agent: Actor;
let admin: Actor;
withTicketServer((running) => ({ server, customer, otherCustomer, agent, admin } = running));

/** A GraphQL request over HTTP carrying `extensions.idempotencyKey`. */
async function send<Data = Record<string, any>>(
  query: string,
  variables: Record<string, unknown>,
  token: string | { participantToken: string } | null,
  idempotencyKey: unknown,
): Promise<GraphQLResponse<Data> & { extensions?: Record<string, unknown> }> {
  const credentials: Record<string, string> =
    typeof token === "string"
      ? { authorization: `Bearer ${token}` }
      : token
        ? { "x-participant-token": token.participantToken }
        : {};
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...credentials },
    body: JSON.stringify({ query, variables, extensions: { idempotencyKey } }),
  });
  return response.json();
}

/** The same over graphql-ws. */
function sendOverWs(query: string, variables: Record<string, unknown>, token: string, idempotencyKey: string) {
  const client = server.wsClient(token);
  type Answer = GraphQLResponse<Record<string, any>> & { extensions?: Record<string, unknown> };
  return new Promise<Answer>((resolve, reject) => {
    let result: Answer;
    client.subscribe(
      { query, variables, extensions: { idempotencyKey } },
      {
        next: (value) => {
          result = value as Answer;
        },
        error: reject,
        complete: () => resolve(result),
      },
    );
  });
}

async function newTicket(): Promise<string> {
  const created = await send(
    CREATE,
    { input: { subject: "Printer", description: "It jams." } },
    customer.token,
    randomUUID(),
  );
  return created.data?.createTicket.id as string;
}

/** The stored form of a client's key. */
const keyId = (key: string) => createHash("sha256").update(`idempotency-key:${key}`).digest("hex");

const messageCount = (ticketId: string, body: string) =>
  server.app.prisma.ticketMessage.count({ where: { ticketId, body } });

describe("idempotency keys on create mutations", () => {
  it("answers a replayed createTicket with the first ticket, and stores one", async () => {
    const key = randomUUID();
    const input = { subject: "Replayed ticket", description: "Sent twice because the answer was lost." };
    const first = await send(CREATE, { input }, customer.token, key);
    const again = await send(CREATE, { input }, customer.token, key);
    expect(first.data?.createTicket.__typename).toBe("Ticket");
    expect(again.data).toEqual(first.data);
    expect(again.extensions).toMatchObject({ idempotentReplay: true });
    expect(await server.app.prisma.ticket.count({ where: { subject: "Replayed ticket" } })).toBe(1);
  });

  it("answers a replayed reply over HTTP and graphql-ws with the first message", async () => {
    const ticketId = await newTicket();
    const key = randomUUID();
    const input = { ticketId, body: "Replayed reply", internal: false };
    const first = await sendOverWs(ADD_MESSAGE, { input }, customer.token, key);
    const overWs = await sendOverWs(ADD_MESSAGE, { input }, customer.token, key);
    const overHttp = await send(ADD_MESSAGE, { input }, customer.token, key);
    expect(first.data?.addTicketMessage.__typename).toBe("TicketMessage");
    expect(overWs.data).toEqual(first.data);
    expect(overHttp.data).toEqual(first.data);
    expect(await messageCount(ticketId, "Replayed reply")).toBe(1);
  });

  it("answers replayed joinSession, chat and createLiveSession with the first result", async () => {
    const sessionKey = randomUUID();
    const start = server.clock.now().getTime() + 3_600_000;
    const createOnce = () =>
      send(
        `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) { ... on LiveSession { id } } }`,
        {
          input: {
            title: "Replayed session",
            type: "CONSULTATION",
            scheduledStartAt: new Date(start).toISOString(),
            scheduledEndAt: new Date(start + 3_600_000).toISOString(),
          },
        },
        admin.token,
        sessionKey,
      );
    const created = await createOnce();
    expect(created.data?.createLiveSession.id).toBeTruthy();
    expect((await createOnce()).data).toEqual(created.data);
    const prisma = server.app.prisma;
    expect(await prisma.liveSession.count({ where: { title: "Replayed session" } })).toBe(1);

    const session = await createSession(server, admin);
    await hostAction(server, admin, "startLiveSession", { id: session.id });
    const joinKey = randomUUID();
    const input = { token: session.accessToken, name: "Jo", email: "jo@example.com" };
    const joined = await send(JOIN, { input }, null, joinKey);
    const rejoined = await send(JOIN, { input }, null, joinKey);
    expect(joined.data?.joinSession.__typename).toBe("JoinSessionPayload");
    expect(rejoined.data).toEqual(joined.data);
    const participantToken = joined.data?.joinSession.participantToken as string;

    const chatKey = randomUUID();
    const chat = `mutation($id: ID!, $body: String!) { sendSessionChatMessage(sessionId: $id, body: $body) {
      __typename ... on SessionChatMessage { id } } }`;
    const said = await send(chat, { id: session.id, body: "Hello twice" }, { participantToken }, chatKey);
    const again = await send(chat, { id: session.id, body: "Hello twice" }, { participantToken }, chatKey);
    expect(said.data?.sendSessionChatMessage.__typename).toBe("SessionChatMessage");
    expect(again.data).toEqual(said.data);
    expect(await prisma.sessionChatMessage.count({ where: { body: "Hello twice" } })).toBe(1);
  });

  it("runs concurrent requests with one key once", async () => {
    const ticketId = await newTicket();
    const key = randomUUID();
    const input = { ticketId, body: "Sent five times at once", internal: false };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => send(ADD_MESSAGE, { input }, customer.token, key)),
    );
    const ids = new Set(answers.map((answer) => answer.data?.addTicketMessage.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBeTruthy();
    expect(await messageCount(ticketId, "Sent five times at once")).toBe(1);
  });

  it("refuses a key reused for a different request", async () => {
    const ticketId = await newTicket();
    const key = randomUUID();
    await send(ADD_MESSAGE, { input: { ticketId, body: "First use", internal: false } }, customer.token, key);
    const reused = await send(
      ADD_MESSAGE,
      { input: { ticketId, body: "Other", internal: false } },
      customer.token,
      key,
    );
    expect(reused.data ?? null).toBeNull();
    expect(reused.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await messageCount(ticketId, "Other")).toBe(0);
  });

  it("keeps keys apart per caller", async () => {
    const key = randomUUID();
    const input = { subject: "Same key, two people", description: "Each has their own ticket." };
    const mine = await send(CREATE, { input }, customer.token, key);
    const theirs = await send(CREATE, { input }, otherCustomer.token, key);
    expect(theirs.data?.createTicket.id).not.toBe(mine.data?.createTicket.id);
    expect(theirs.extensions?.idempotentReplay).toBeUndefined();
  });

  it("refuses malformed keys and keys on mutations that create nothing", async () => {
    const ticketId = await newTicket();
    const input = { ticketId, body: "Bad key", internal: false };
    for (const key of ["short", "x".repeat(129), "has spaces in it, sixteen+", 42]) {
      const answer = await send(ADD_MESSAGE, { input }, customer.token, key);
      expect(answer.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_INVALID");
    }
    const status = await send(
      `mutation($id: ID!) { updateTicketStatus(ticketId: $id, status: RESOLVED) { __typename } }`,
      { id: ticketId },
      agent.token,
      randomUUID(),
    );
    expect(status.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_KEY_INVALID");
    expect(await messageCount(ticketId, "Bad key")).toBe(0);
  });

  it("takes over a key whose holder died before committing, and refuses one that committed", async () => {
    const ticketId = await newTicket();
    const prisma = server.app.prisma;
    const scope = `user:${customer.id}`;
    const input = { ticketId, body: "After a crash", internal: false };
    const firstKey = randomUUID();
    const first = await send(ADD_MESSAGE, { input }, customer.token, firstKey);
    const { operationHash } = await prisma.idempotencyRecord.findUniqueOrThrow({
      where: { scope_key: { scope, key: keyId(firstKey) } },
    });
    const died = randomUUID();
    const committed = randomUUID();
    const startedAt = server.clock.now();
    const expiresAt = new Date(startedAt.getTime() + 3_600_000);
    await prisma.idempotencyRecord.createMany({
      data: [
        { scope, key: keyId(died), operationHash, startedAt, expiresAt },
        { scope, key: keyId(committed), operationHash, startedAt, expiresAt, committedAt: startedAt },
      ],
    });
    server.clock.advance(30_000);
    const retried = await send(ADD_MESSAGE, { input }, customer.token, died);
    expect(retried.data?.addTicketMessage.__typename).toBe("TicketMessage");
    expect(retried.data?.addTicketMessage.id).not.toBe(first.data?.addTicketMessage.id);
    const lost = await send(ADD_MESSAGE, { input }, customer.token, committed);
    expect(lost.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_ANSWER_LOST");
    expect(await messageCount(ticketId, "After a crash")).toBe(2);
  });
  it("replays an answered domain error, and runs again once the key expired", async () => {
    const ticketId = await newTicket();
    const key = randomUUID();
    const empty = { input: { ticketId, body: "", internal: false } };
    const refused = await send(ADD_MESSAGE, empty, customer.token, key);
    expect(refused.data?.addTicketMessage.__typename).toBe("ValidationError");
    expect((await send(ADD_MESSAGE, empty, customer.token, key)).extensions?.idempotentReplay).toBe(true);

    const replyKey = randomUUID();
    const input = { ticketId, body: "Kept a day", internal: false };
    await send(ADD_MESSAGE, { input }, customer.token, replyKey);
    // A day later, as far as the record knows (moving the clock would expire the caller's token too).
    await server.app.prisma.idempotencyRecord.update({
      where: { scope_key: { scope: `user:${customer.id}`, key: keyId(replyKey) } },
      data: { expiresAt: server.clock.now() },
    });
    const later = await send(ADD_MESSAGE, { input }, customer.token, replyKey);
    expect(later.extensions?.idempotentReplay).toBeUndefined();
    expect(await messageCount(ticketId, "Kept a day")).toBe(2);
  });
});
