import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { declaredFields, rootFieldOf, rootFieldsOf } from "../../test/authz-coverage.ts";
import { type Actor, createCast, invite } from "../../test/fixtures.ts";
import { eventually, startTestServer, subscribe, type TestServer, untilSubscribed } from "../../test/harness.ts";
import { TRANSPORTS } from "../../test/realtime-auth.ts";
import {
  createSession,
  hostAction,
  join,
  participantGql,
  sessionSse,
  sessionWsClient,
} from "../../test/session-fixtures.ts";

// The machine is shared: give a slow start room without hiding real hangs.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let server: TestServer;
let admin: Actor;
let agent: Actor;
let otherAgent: Actor;
let customer: Actor;
const clients: { dispose(): void | Promise<void> }[] = [];
beforeAll(async () => {
  // Tests move the clock by more than the default 15 minutes.
  server = await startTestServer({ env: { ACCESS_TOKEN_TTL: "24h" } });
  ({ admin, agent, customer } = await createCast(server));
  otherAgent = await invite(server, admin, "other-agent@example.com", "AGENT");
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await server?.close();
});

function ws(params: { participantToken?: string; accessToken?: string }) {
  const client = sessionWsClient(server, params);
  clients.push(client);
  return client;
}

const STATE = `subscription($id: ID!) { sessionState(sessionId: $id) { kind session { status locked } } }`;
const PARTICIPANTS = `subscription($id: ID!) { sessionParticipantEvents(sessionId: $id) { kind participantId participant { status } } }`;
const WAITING = `subscription($id: ID!) { sessionWaitingRoom(sessionId: $id) { kind waiting { id name } } }`;
const CHAT = `subscription($id: ID!) { sessionChat(sessionId: $id) { message { body author { name } } } }`;
const SEND = `mutation($id: ID!, $body: String!) { sendSessionChatMessage(sessionId: $id, body: $body) { __typename } }`;

describe("realtime subscriptions", () => {
  it("tells the host about the waiting room and participants about admission, state and chat", async () => {
    const session = await createSession(server, agent, { waitingRoom: true });
    const host = ws({ accessToken: agent.token });
    const hostEvents = subscribe(host, PARTICIPANTS, { id: session.id });
    const queue = subscribe(host, WAITING, { id: session.id });
    const topic = `liveSession:${session.id}`;
    await untilSubscribed(server, topic, 2);

    const joined = await join(server, session.accessToken, "rt@example.com");
    const participant = ws({ participantToken: joined.participantToken });
    const own = subscribe(participant, PARTICIPANTS, { id: session.id });
    const state = subscribe(participant, STATE, { id: session.id });
    await untilSubscribed(server, topic, 4);

    expect((await hostEvents.next()).data?.sessionParticipantEvents).toEqual({
      kind: "PARTICIPANT_WAITING",
      participantId: joined.participant.id,
      participant: { status: "WAITING" },
    });
    expect((await queue.next()).data?.sessionWaitingRoom.waiting).toEqual([{ id: joined.participant.id, name: "rt" }]);

    // Someone else waiting is none of this participant's business.
    const other = await join(server, session.accessToken, "rt-other@example.com");
    expect((await hostEvents.next()).data?.sessionParticipantEvents.participantId).toBe(other.participant.id);

    await hostAction(server, agent, "admitParticipant", { participantId: joined.participant.id });
    expect((await own.next()).data?.sessionParticipantEvents).toMatchObject({
      kind: "PARTICIPANT_ADMITTED",
      participantId: joined.participant.id,
    });
    expect((await queue.next()).data?.sessionWaitingRoom).toMatchObject({ kind: "PARTICIPANT_WAITING" });
    expect((await queue.next()).data?.sessionWaitingRoom).toEqual({
      kind: "PARTICIPANT_ADMITTED",
      waiting: [{ id: other.participant.id, name: "rt-other" }],
    });

    await hostAction(server, agent, "startLiveSession", { id: session.id });
    expect((await state.next()).data?.sessionState).toEqual({
      kind: "STARTED",
      session: { status: "LIVE", locked: false },
    });
    await hostAction(server, agent, "setSessionLocked", { id: session.id, locked: true });
    expect((await state.next()).data?.sessionState).toEqual({
      kind: "LOCK_CHANGED",
      session: { status: "LIVE", locked: true },
    });

    const chat = subscribe(participant, CHAT, { id: session.id });
    await untilSubscribed(server, topic, 5);
    await server.gql(SEND, { id: session.id, body: "hello from the host" }, agent.token);
    expect((await chat.next()).data?.sessionChat.message).toEqual({
      body: "hello from the host",
      author: { name: "agent" },
    });

    // Ending closes every subscription of the participant after the final state event.
    await hostAction(server, agent, "endLiveSession", { id: session.id });
    expect((await state.next()).data?.sessionState.kind).toBe("ENDED");
    await eventually(() => state.done && chat.done && own.done, { what: "the participant's subscriptions to end" });
    await hostEvents.stop();
    await queue.stop();
  });

  it("ends a removed participant's subscriptions after telling them", async () => {
    const session = await createSession(server, agent);
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const joined = await join(server, session.accessToken, "kick@example.com");
    const client = ws({ participantToken: joined.participantToken });
    const events = subscribe(client, PARTICIPANTS, { id: session.id });
    const chat = subscribe(client, CHAT, { id: session.id });
    await untilSubscribed(server, `liveSession:${session.id}`, 2);
    await hostAction(server, agent, "removeParticipant", { participantId: joined.participant.id });
    expect((await events.next()).data?.sessionParticipantEvents).toMatchObject({
      kind: "PARTICIPANT_REMOVED",
      participantId: joined.participant.id,
    });
    await eventually(() => events.done && chat.done, { what: "the removed participant's subscriptions to end" });
    // The token no longer opens a connection.
    const again = subscribe(ws({ participantToken: joined.participantToken }), STATE, { id: session.id });
    await eventually(() => again.done, { what: "the refused connection to close" });
    expect(again.error).toMatchObject({ code: 4403 });
  });

  it("detaches a stopped subscription at once, with no event published", async () => {
    const session = await createSession(server, agent);
    const topic = `liveSession:${session.id}`;
    const host = ws({ accessToken: agent.token });
    const subscriptions = [STATE, PARTICIPANTS, WAITING, CHAT].map((query) =>
      subscribe(host, query, { id: session.id }),
    );
    await untilSubscribed(server, topic, subscriptions.length);
    for (const subscription of subscriptions) await subscription.stop();
    await eventually(() => server.app.pubsub.listenerCount(topic) === 0, { what: "the subscriptions to detach" });
  });

  it.each(TRANSPORTS)(
    "authorizes every subscription over %s: host, admins and this session's participants only",
    async (transport) => {
      const elsewhere = await createSession(server, agent);
      const foreign = await join(server, elsewhere.accessToken, "m-foreign@example.com");
      /** A session of its own for each allowed row: its attach check and its trigger start from a quiet topic. */
      let sessions = 0;
      async function sessionWithCallers() {
        const session = await createSession(server, agent, { waitingRoom: true });
        const n = ++sessions;
        const admittedJoin = await join(server, session.accessToken, `m-admitted-${n}@example.com`);
        await hostAction(server, agent, "admitParticipant", { participantId: admittedJoin.participant.id });
        const waitingJoin = await join(server, session.accessToken, `m-waiting-${n}@example.com`);
        const callers = {
          anonymous: {},
          customer: { accessToken: customer.token },
          otherAgent: { accessToken: otherAgent.token },
          host: { accessToken: agent.token },
          admin: { accessToken: admin.token },
          admitted: { participantToken: admittedJoin.participantToken as string },
          waiting: { participantToken: waitingJoin.participantToken as string },
          foreignParticipant: { participantToken: foreign.participantToken as string },
        };
        // Something each subscription reports to everyone allowed to open it.
        const send = (query: string, variables: Record<string, unknown>) =>
          participantGql(server, query, variables, admittedJoin.participantToken);
        const triggers: Record<string, () => Promise<unknown>> = {
          [STATE]: () =>
            server.gql(
              `mutation($id: ID!) { updateLiveSession(id: $id, input: { agenda: "matrix" }) { __typename } }`,
              { id: session.id },
              agent.token,
            ),
          [PARTICIPANTS]: () => send(`mutation { giveRecordingConsent { id } }`, {}),
          [WAITING]: () => join(server, session.accessToken, `m-newcomer-${n}@example.com`),
          [CHAT]: () => send(SEND, { id: session.id, body: "matrix" }),
        };
        return { id: session.id as string, callers, triggers };
      }
      type Caller = keyof Awaited<ReturnType<typeof sessionWithCallers>>["callers"];
      const allowed: Record<string, Caller[]> = {
        [STATE]: ["host", "admin", "admitted", "waiting"],
        [PARTICIPANTS]: ["host", "admin", "admitted", "waiting"],
        [WAITING]: ["host", "admin"],
        [CHAT]: ["host", "admin", "admitted"],
      };
      // The fields this matrix covers are declared in test/authz-coverage.ts (the completeness check there).
      expect(rootFieldsOf(Object.keys(allowed))).toEqual(
        declaredFields("api/sessions/sessions.realtime.test.ts#subscriptions"),
      );
      const refusing = await sessionWithCallers();
      const callerNames = Object.keys(refusing.callers) as Caller[];
      const outcomes: string[] = [];
      const expected: string[] = [];
      for (const [query, who] of Object.entries(allowed)) {
        const field = rootFieldOf(query);
        for (const name of callerNames) {
          const mayOpen = who.includes(name);
          const session = mayOpen ? await sessionWithCallers() : refusing;
          const subscription =
            transport === "graphql-ws"
              ? subscribe(ws(session.callers[name]), query, { id: session.id })
              : sessionSse(server, query, { id: session.id }, session.callers[name]);
          // Allowed: once attached, the trigger's event arrives. Refused: an error result with the reason.
          if (mayOpen) {
            const topic = `liveSession:${session.id}`;
            const attached = () => server.app.pubsub.listenerCount(topic) > 0;
            await eventually(() => attached() || subscription.pending().length > 0 || subscription.done, {
              what: `${name}'s ${field} to attach or answer`,
            });
            if (attached()) {
              const triggered = (await session.triggers[query]?.()) as { errors?: unknown } | undefined;
              expect(triggered?.errors).toBeUndefined();
            }
          }
          // An allowed event may take seconds on a loaded machine (CI at load 30 once missed 5 s); a refusal is quick.
          const outcome = await subscription.next(mayOpen ? 15_000 : 5000).then(
            (result) => result.errors?.[0]?.extensions?.code ?? (result.data?.[field] ? "EVENT" : "NO DATA"),
            (error: unknown) => `NO RESULT (${error instanceof Error ? error.message : JSON.stringify(error)})`,
          );
          outcomes.push(`${field} as ${name}: ${outcome}`);
          const refusal = name === "anonymous" ? "UNAUTHENTICATED" : "FORBIDDEN";
          expected.push(`${field} as ${name}: ${mayOpen ? "EVENT" : refusal}`);
          await subscription.stop();
        }
      }
      expect(outcomes).toEqual(expected);
    },
  );
});

describe("authorization matrix over HTTP", () => {
  it("answers every operation by caller: anonymous, customer, other agent, participants, removed, host, admin", async () => {
    const session = await createSession(server, agent, { recordingEnabled: true });
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const p = await join(server, session.accessToken, "mx-p@example.com");
    const victim = await join(server, session.accessToken, "mx-v@example.com");
    const removed = await join(server, session.accessToken, "mx-r@example.com");
    await hostAction(server, agent, "removeParticipant", { participantId: removed.participant.id });
    const elsewhere = await createSession(server, agent);
    const q = await join(server, elsewhere.accessToken, "mx-q@example.com");

    const callers: Record<string, { participantToken: string | null; accessToken?: string }> = {
      anonymous: { participantToken: null },
      customer: { participantToken: null, accessToken: customer.token },
      otherAgent: { participantToken: null, accessToken: otherAgent.token },
      participant: { participantToken: p.participantToken },
      foreignParticipant: { participantToken: q.participantToken },
      removedParticipant: { participantToken: removed.participantToken },
      host: { participantToken: null, accessToken: agent.token },
      admin: { participantToken: null, accessToken: admin.token },
    };
    const ids = { id: session.id, v: victim.participant.id };
    const hostOnly = {
      anonymous: "UNAUTHENTICATED",
      customer: "FORBIDDEN",
      otherAgent: "FORBIDDEN",
      participant: "FORBIDDEN",
      foreignParticipant: "FORBIDDEN",
      removedParticipant: "UNAUTHENTICATED",
      host: "OK",
      admin: "OK",
    };
    const operations: [string, string, Record<string, string>][] = [
      [
        "liveSession",
        `query($id: ID!) { liveSession(id: $id) { id } }`,
        {
          ...Object.fromEntries(Object.keys(callers).map((name) => [name, "NULL"])),
          participant: "OK",
          host: "OK",
          admin: "OK",
        },
      ],
      ["liveSessions", `{ liveSessions { totalCount } }`, { ...hostOnly, otherAgent: "OK" }],
      ["sessionAnalytics", `query($id: ID!) { sessionAnalytics(sessionId: $id) { peakConcurrent } }`, hostOnly],
      [
        "sessionAnalyticsSummary",
        `{ sessionAnalyticsSummary(from: "2026-01-01T00:00:00Z", to: "2026-12-01T00:00:00Z") { sessionsHeld } }`,
        { ...hostOnly, otherAgent: "OK" },
      ],
      [
        "updateLiveSession",
        `mutation($id: ID!) { updateLiveSession(id: $id, input: { agenda: "x" }) { __typename } }`,
        hostOnly,
      ],
      ["setSessionLocked", `mutation($id: ID!) { setSessionLocked(id: $id, locked: false) { __typename } }`, hostOnly],
      [
        "setSessionRecording",
        `mutation($id: ID!) { setSessionRecording(id: $id, recording: false) { __typename } }`,
        hostOnly,
      ],
      [
        "rotateSessionLink",
        `mutation($id: ID!) { rotateSessionLink(id: $id, notifyInvitees: false) { __typename } }`,
        hostOnly,
      ],
      ["startLiveSession", `mutation($id: ID!) { startLiveSession(id: $id) { __typename } }`, hostOnly],
      ["cancelLiveSession", `mutation($id: ID!) { cancelLiveSession(id: $id) { __typename } }`, hostOnly],
      ["admitParticipant", `mutation($v: ID!) { admitParticipant(participantId: $v) { __typename } }`, hostOnly],
      ["denyParticipant", `mutation($v: ID!) { denyParticipant(participantId: $v) { __typename } }`, hostOnly],
      [
        "setParticipantRole",
        `mutation($v: ID!) { setParticipantRole(participantId: $v, role: ATTENDEE) { __typename } }`,
        hostOnly,
      ],
      ["admitAllParticipants", `mutation($id: ID!) { admitAllParticipants(sessionId: $id) { __typename } }`, hostOnly],
      ["denyAllParticipants", `mutation($id: ID!) { denyAllParticipants(sessionId: $id) { __typename } }`, hostOnly],
      [
        "sendSessionChatMessage",
        `mutation($id: ID!) { sendSessionChatMessage(sessionId: $id, body: "hi") { __typename } }`,
        {
          ...hostOnly,
          participant: "OK",
          admin: "FORBIDDEN",
        },
      ],
      [
        "giveRecordingConsent",
        `mutation { giveRecordingConsent { id } }`,
        {
          ...Object.fromEntries(Object.keys(callers).map((name) => [name, "UNAUTHENTICATED"])),
          participant: "OK",
          foreignParticipant: "OK",
        },
      ],
      [
        "myParticipant",
        `{ myParticipant { id } }`,
        {
          ...Object.fromEntries(Object.keys(callers).map((name) => [name, "NULL"])),
          participant: "OK",
          foreignParticipant: "OK",
        },
      ],
      [
        "sessionByLink",
        `query($t: String!) { sessionByLink(token: $t) { __typename } }`,
        Object.fromEntries(Object.keys(callers).map((name) => [name, "OK"])),
      ],
      ["removeParticipant", `mutation($v: ID!) { removeParticipant(participantId: $v) { __typename } }`, hostOnly],
    ];
    // The fields this matrix covers are declared in test/authz-coverage.ts (the completeness check there).
    expect(operations.map(([name, query]) => [name, rootFieldOf(query)]).every(([a, b]) => a === b)).toBe(true);
    expect(rootFieldsOf(operations.map(([, query]) => query))).toEqual(
      declaredFields("api/sessions/sessions.realtime.test.ts#http"),
    );
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [name, query, table] of operations) {
      for (const [caller, credentials] of Object.entries(callers)) {
        const result = await participantGql(
          server,
          query,
          query.includes("$t")
            ? { t: elsewhere.accessToken }
            : query.includes("$v")
              ? { v: ids.v }
              : query.includes("$id")
                ? { id: ids.id }
                : {},
          credentials.participantToken,
          credentials.accessToken,
        );
        const code = result.errors?.[0]?.extensions?.code as string | undefined;
        const value = result.data ? Object.values(result.data)[0] : undefined;
        outcomes.push(`${name} as ${caller}: ${code ?? (value === null ? "NULL" : "OK")}`);
        expected.push(`${name} as ${caller}: ${table[caller]}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });
});
