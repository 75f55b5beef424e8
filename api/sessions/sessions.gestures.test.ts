import { afterAll, describe, expect, it } from "vitest";
import { declaredFields, rootFieldsOf } from "../../test/authz-coverage.ts";
import type { Actor } from "../../test/fixtures.ts";
import { eventually, subscribe, type TestServer, untilSubscribed } from "../../test/harness.ts";
import {
  type Credentials,
  createSession,
  hostAction,
  join,
  participantGql,
  sessionCallers,
  sessionWsClient,
  withSessionServer,
} from "../../test/session-fixtures.ts";

let server: TestServer;
let cast: { admin: Actor; agent: Actor; customer: Actor; otherAgent: Actor };
withSessionServer((running) => {
  ({ server } = running);
  cast = running;
});
const clients: { dispose(): void | Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
});

function ws(params: { participantToken?: string; accessToken?: string }) {
  const client = sessionWsClient(server, params);
  clients.push(client);
  return client;
}

const ERROR = `__typename ... on Error { code } ... on ValidationError { fieldErrors { path } }`;
const HAND = `mutation($id: ID!, $raised: Boolean!) { setHandRaised(sessionId: $id, raised: $raised) {
  ${ERROR} ... on SessionParticipant { id handRaisedAt } } }`;
const REACT = `mutation($id: ID!, $emoji: String!) { sendSessionReaction(sessionId: $id, emoji: $emoji) {
  ${ERROR} ... on SessionGestureEvent { kind emoji participantId } } }`;
const LOWER = `mutation($v: ID!) { lowerParticipantHand(participantId: $v) { ${ERROR} ... on SessionParticipant { handRaisedAt } } }`;
const MIC = `mutation($v: ID!, $request: MicRequest!) { requestParticipantMic(participantId: $v, request: $request) {
  ${ERROR} ... on SessionGestureEvent { kind participantId } } }`;
const GESTURES = `subscription($id: ID!) { sessionGestures(sessionId: $id) { kind participantId emoji at
  participant { id handRaisedAt } } }`;
const HANDS = `query($id: ID!) { liveSession(id: $id) { participants { id role handRaisedAt } } }`;

type Row = { id: string; role: string; handRaisedAt: string | null };
const handsInOrder = (rows: Row[]) =>
  rows
    .filter((row) => row.handRaisedAt)
    .sort((a, b) => (a.handRaisedAt ?? "").localeCompare(b.handRaisedAt ?? ""))
    .map((row) => row.id);

async function counts(sessionId: string) {
  const query = `query($id: ID!) { sessionAnalytics(sessionId: $id) { handsRaised reactions } }`;
  return (await server.gql(query, { id: sessionId }, cast.agent.token)).data?.sessionAnalytics;
}

async function call() {
  const session = await createSession(server, cast.agent);
  const a = await join(server, session.accessToken, `a-${session.id}@example.com`);
  const b = await join(server, session.accessToken, `b-${session.id}@example.com`);
  const hostRow = (await server.gql(HANDS, { id: session.id }, cast.agent.token)).data?.liveSession.participants.find(
    (row: Row) => row.role === "HOST",
  ) as Row | undefined;
  return { session, a, b, hostId: hostRow?.id ?? "" };
}

describe("raised hands", () => {
  it("reach everyone in the order raised, stay after a reload, and the host lowers them", async () => {
    const { session, a, b, hostId } = await call();
    expect(a.participant.status).toBe("ADMITTED");
    const hostEvents = subscribe(ws({ accessToken: cast.agent.token }), GESTURES, { id: session.id });
    const bEvents = subscribe(ws({ participantToken: b.participantToken }), GESTURES, { id: session.id });
    await untilSubscribed(server, `liveSession:${session.id}`, 2);

    const raised = await participantGql(server, HAND, { id: session.id, raised: true }, b.participantToken);
    expect(raised.data?.setHandRaised).toMatchObject({ id: b.participant.id, handRaisedAt: expect.any(String) });
    server.clock.advance(1000);
    await server.gql(HAND, { id: session.id, raised: true }, cast.agent.token);
    server.clock.advance(1000);
    await participantGql(server, HAND, { id: session.id, raised: true }, a.participantToken);
    // Raising again keeps the hand's place.
    server.clock.advance(1000);
    const again = await participantGql(server, HAND, { id: session.id, raised: true }, b.participantToken);
    expect(again.data?.setHandRaised.handRaisedAt).toBe(raised.data?.setHandRaised.handRaisedAt);

    const order = [b.participant.id, hostId, a.participant.id];
    for (const events of [hostEvents, bEvents]) {
      const seen = [];
      for (let index = 0; index < 3; index++) seen.push((await events.next()).data?.sessionGestures);
      expect(seen.map((event) => [event.kind, event.participantId])).toEqual(order.map((id) => ["HAND_RAISED", id]));
      expect(seen.map((event) => event.at)).toEqual([...seen.map((event) => event.at)].sort());
    }
    const reloaded = await participantGql(server, HANDS, { id: session.id }, a.participantToken);
    expect(handsInOrder(reloaded.data?.liveSession.participants)).toEqual(order);

    const lowered = await server.gql(LOWER, { v: b.participant.id }, cast.agent.token);
    expect(lowered.data?.lowerParticipantHand).toEqual({ __typename: "SessionParticipant", handRaisedAt: null });
    await participantGql(server, HAND, { id: session.id, raised: false }, a.participantToken);
    for (const events of [hostEvents, bEvents]) {
      expect((await events.next()).data?.sessionGestures).toMatchObject({
        kind: "HAND_LOWERED",
        participantId: b.participant.id,
        participant: { handRaisedAt: null },
      });
      expect((await events.next()).data?.sessionGestures.participantId).toBe(a.participant.id);
    }
    const after = await server.gql(HANDS, { id: session.id }, cast.agent.token);
    expect(handsInOrder(after.data?.liveSession.participants)).toEqual([hostId]);

    expect(await counts(session.id)).toEqual({ handsRaised: 3, reactions: 0 });
    await hostEvents.stop();
    await bEvents.stop();
  });

  it("go down when their participant leaves or is removed", async () => {
    const { session, a, b } = await call();
    for (const joined of [a, b])
      await participantGql(server, HAND, { id: session.id, raised: true }, joined.participantToken);
    await participantGql(server, `mutation { leaveSession { __typename } }`, {}, a.participantToken);
    await hostAction(server, cast.agent, "removeParticipant", { participantId: b.participant.id });
    const again = await join(server, session.accessToken, `a-${session.id}@example.com`);
    expect(again.participant.id).toBe(a.participant.id);
    const rows = (await server.gql(HANDS, { id: session.id }, cast.agent.token)).data?.liveSession.participants;
    expect(handsInOrder(rows)).toEqual([]);
  });
});

describe("reactions", () => {
  it("float to everyone from a fixed set, rate-limited and counted", async () => {
    const { session, a, b } = await call();
    const bEvents = subscribe(ws({ participantToken: b.participantToken }), GESTURES, { id: session.id });
    await untilSubscribed(server, `liveSession:${session.id}`, 1);
    const sent = await participantGql(server, REACT, { id: session.id, emoji: "🎉" }, a.participantToken);
    expect(sent.data?.sendSessionReaction).toEqual({
      __typename: "SessionGestureEvent",
      kind: "REACTION",
      emoji: "🎉",
      participantId: a.participant.id,
    });
    expect((await bEvents.next()).data?.sessionGestures).toMatchObject({
      kind: "REACTION",
      emoji: "🎉",
      participantId: a.participant.id,
    });
    const invalid = await participantGql(server, REACT, { id: session.id, emoji: "💩" }, a.participantToken);
    expect(invalid.data?.sendSessionReaction).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      fieldErrors: [{ path: "emoji" }],
    });
    const fromHost = await server.gql(REACT, { id: session.id, emoji: "👍" }, cast.agent.token);
    expect(fromHost.data?.sendSessionReaction.kind).toBe("REACTION");
    for (let index = 0; index < 4; index++)
      await participantGql(server, REACT, { id: session.id, emoji: "👏" }, a.participantToken);
    const limited = await participantGql(server, REACT, { id: session.id, emoji: "👏" }, a.participantToken);
    expect(limited.data?.sendSessionReaction.code).toBe("RATE_LIMITED");

    expect(await counts(session.id)).toEqual({ handsRaised: 0, reactions: 6 });
    await bEvents.stop();
  });
});

describe("the host's microphone requests", () => {
  it("reach the participant they are for and the host, and end with the session", async () => {
    const { session, a, b, hostId } = await call();
    const aEvents = subscribe(ws({ participantToken: a.participantToken }), GESTURES, { id: session.id });
    const bEvents = subscribe(ws({ participantToken: b.participantToken }), GESTURES, { id: session.id });
    await untilSubscribed(server, `liveSession:${session.id}`, 2);
    const mute = await server.gql(MIC, { v: a.participant.id, request: "MUTE" }, cast.agent.token);
    expect(mute.data?.requestParticipantMic).toMatchObject({ kind: "MUTE_REQUESTED", participantId: a.participant.id });
    await server.gql(MIC, { v: a.participant.id, request: "ASK_TO_UNMUTE" }, cast.agent.token);
    expect((await aEvents.next()).data?.sessionGestures.kind).toBe("MUTE_REQUESTED");
    expect((await aEvents.next()).data?.sessionGestures.kind).toBe("UNMUTE_REQUESTED");
    // b sees none of them: the next event b gets is the reaction sent after them.
    await participantGql(server, REACT, { id: session.id, emoji: "😮" }, a.participantToken);
    expect((await bEvents.next()).data?.sessionGestures.kind).toBe("REACTION");

    const atHost = await server.gql(MIC, { v: hostId, request: "MUTE" }, cast.agent.token);
    expect(atHost.data?.requestParticipantMic).toMatchObject({ __typename: "ValidationError" });

    await hostAction(server, cast.agent, "startLiveSession", { id: session.id });
    await hostAction(server, cast.agent, "endLiveSession", { id: session.id });
    // Participant tokens stop working when the session ends; the host is told why.
    const ended = await server.gql(HAND, { id: session.id, raised: true }, cast.agent.token);
    expect(ended.data?.setHandRaised.code).toBe("SESSION_ENDED");
    const endedMic = await server.gql(MIC, { v: b.participant.id, request: "MUTE" }, cast.agent.token);
    expect(endedMic.data?.requestParticipantMic.code).toBe("SESSION_ENDED");
    await aEvents.stop();
    await bEvents.stop();
  });
});

describe("who may gesture", () => {
  it("lets the room raise hands and react, and only the session's managers lower hands and ask for the mic", async () => {
    const { session, callers } = await sessionCallers(server, cast);
    const victim = await join(server, session.accessToken, "gesture-victim@example.org");
    await hostAction(server, cast.agent, "admitParticipant", { participantId: victim.participant.id });
    const room = { host: "OK", admitted: "OK", admin: "FORBIDDEN" };
    const managers = { host: "OK", admin: "OK", admitted: "FORBIDDEN" };
    const denied = (codes: Record<string, string>) => ({
      anonymous: "UNAUTHENTICATED",
      customer: "FORBIDDEN",
      otherAgent: "FORBIDDEN",
      waiting: "FORBIDDEN",
      foreign: "FORBIDDEN",
      ...codes,
    });
    const operations: [string, Record<string, unknown>, Record<string, string>][] = [
      [HAND, { id: session.id, raised: true }, denied(room)],
      [REACT, { id: session.id, emoji: "👍" }, denied(room)],
      [LOWER, { v: victim.participant.id }, denied(managers)],
      [MIC, { v: victim.participant.id, request: "ASK_TO_UNMUTE" }, denied(managers)],
    ];
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [query, variables, table] of operations) {
      for (const [caller, credentials] of Object.entries(callers) as [string, Credentials][]) {
        const result = await participantGql(
          server,
          query,
          variables,
          credentials.participantToken ?? null,
          credentials.accessToken,
        );
        const value = result.data ? (Object.values(result.data)[0] as { code?: string } | null) : null;
        const code = (result.errors?.[0]?.extensions?.code as string | undefined) ?? value?.code ?? "OK";
        outcomes.push(`${query.slice(0, 40)} as ${caller}: ${code}`);
        expected.push(`${query.slice(0, 40)} as ${caller}: ${table[caller]}`);
      }
    }
    expect(outcomes).toEqual(expected);

    const subscriptionTable = denied({ host: "MUTE_REQUESTED", admin: "MUTE_REQUESTED", admitted: "REACTION" });
    const seen: string[] = [];
    for (const [caller, credentials] of Object.entries(callers)) {
      const events = subscribe(ws(credentials), GESTURES, { id: session.id });
      const topic = `liveSession:${session.id}`;
      const attached = () => server.app.pubsub.listenerCount(topic) > 0;
      await eventually(() => attached() || events.pending().length > 0 || events.done, { what: `${caller} to attach` });
      if (attached()) {
        await server.gql(MIC, { v: victim.participant.id, request: "MUTE" }, cast.agent.token);
        await participantGql(server, REACT, { id: session.id, emoji: "❤️" }, victim.participantToken);
      }
      // Another participant's mute request is not theirs to see: the admitted caller's next event is the reaction.
      const outcome = await events.next(5000).then(
        (result) => result.errors?.[0]?.extensions?.code ?? result.data?.sessionGestures.kind,
        (error: unknown) => `NO RESULT (${String(error)})`,
      );
      seen.push(`${caller}: ${outcome}`);
      await events.stop();
      await eventually(() => !attached(), { what: `${caller}'s subscription to detach` });
    }
    expect(seen.sort()).toEqual(
      Object.entries(subscriptionTable)
        .map(([caller, code]) => `${caller}: ${code}`)
        .sort(),
    );
    expect(rootFieldsOf([HAND, REACT, LOWER, MIC, GESTURES])).toEqual(
      declaredFields("api/sessions/sessions.gestures.test.ts#authz"),
    );
  });
});
