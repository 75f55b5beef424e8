import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { declaredFields, rootFieldsOf } from "./authz-coverage.ts";
import { type Actor, createCast, invite } from "./fixtures.ts";
import { eventually, startTestServer, subscribe, type TestServer } from "./harness.ts";
import { janusAvailable, startTestJanus } from "./janus.ts";
import {
  type Credentials,
  createSession,
  hostAction,
  join,
  participantGql,
  sessionCallers,
  sessionWsClient,
} from "./session-fixtures.ts";
import { createPublisher, createSubscriber } from "./werift-peer.ts";

/**
 * The SFU brokered by the API, against a real Janus and werift peers: who may publish and subscribe where, a
 * removed participant's media stopping, the room's end, typed errors for bad input.
 */

const hasJanus = janusAvailable;
let server: TestServer;
let janus: Awaited<ReturnType<typeof startTestJanus>>;
let agent: Actor;
let cast: { admin: Actor; agent: Actor; customer: Actor; otherAgent: Actor };

beforeAll(async () => {
  if (!hasJanus) return;
  vi.setConfig({ testTimeout: 60_000 });
  janus = await startTestJanus();
  // Access tokens expire after 15 minutes, as in production: one test moves the clock past that.
  server = await startTestServer({ mediaServer: janus });
  const created = await createCast(server);
  agent = created.agent;
  cast = { ...created, otherAgent: await invite(server, created.admin, "other-agent@example.com", "AGENT") };
}, 240_000);

afterAll(async () => {
  await server?.close();
  await janus?.stop();
});

const ERROR = "__typename ... on Error { code message }";
const PUBLISH = `mutation($sessionId: ID!, $offer: String!) { mediaPublish(sessionId: $sessionId, offer: $offer) {
  ${ERROR} ... on MediaAnswer { sdp } ... on ValidationError { fieldErrors { path } } } }`;
const SUBSCRIBE = `mutation($sessionId: ID!, $feeds: [ID!]!) { mediaSubscribe(sessionId: $sessionId, feeds: $feeds) {
  ${ERROR} ... on MediaOffer { sdp streams { mid type participantId active } }
  ... on MediaFeedNotFoundError { participantId } } }`;
const ANSWER = `mutation($sessionId: ID!, $answer: String!) { mediaSubscribeAnswer(sessionId: $sessionId, answer: $answer) {
  ${ERROR} } }`;
const CONFIGURE = `mutation($sessionId: ID!, $feed: ID!, $substream: Int, $audioOnly: Boolean) {
  mediaConfigure(sessionId: $sessionId, feed: $feed, substream: $substream, audioOnly: $audioOnly) { ${ERROR} } }`;

/** Who calls: the host by access token, a participant by their token. */
interface Caller {
  accessToken?: string;
  participantToken?: string;
}

const asHost = (): Caller => ({ accessToken: agent.token });
const call = (caller: Caller, query: string, variables: Record<string, unknown>) =>
  participantGql(server, query, variables, caller.participantToken ?? null, caller.accessToken);

async function liveSession(type: string) {
  const session = await createSession(server, agent, { type, maxParticipants: 10 });
  const started = await hostAction(server, agent, "startLiveSession", { id: session.id });
  expect(started.data?.startLiveSession.__typename).toBe("LiveSession");
  const host = await server.app.prisma.sessionParticipant.findFirstOrThrow({
    where: { sessionId: session.id, role: "HOST" },
  });
  return { session, hostParticipantId: host.id };
}

async function joined(session: Record<string, any>, email: string): Promise<Caller & { participantId: string }> {
  const result = await join(server, session.accessToken, email);
  expect(result.participant?.status).toBe("ADMITTED");
  return { participantToken: result.participantToken, participantId: result.participant.id };
}

/** Publishes a werift sender for the caller; resolves once Janus answered and the peer applied the answer. */
async function publish(caller: Caller, sessionId: string) {
  const publisher = await createPublisher();
  const result = await call(caller, PUBLISH, { sessionId, offer: publisher.offer });
  expect(result.data?.mediaPublish.__typename, JSON.stringify(result)).toBe("MediaAnswer");
  await publisher.start(result.data?.mediaPublish.sdp);
  const who = caller.participantToken
    ? (await server.app.services.sessions.authenticateParticipant(caller.participantToken))?.participantId
    : (await server.app.prisma.sessionParticipant.findFirstOrThrow({ where: { sessionId, role: "HOST" } })).id;
  await eventually(async () => (await server.app.services.media.broker.publishers(sessionId)).includes(who ?? ""), {
    what: "Janus to announce the feed (its media is up)",
  });
  return publisher;
}

/** Subscribes a werift receiver to these feeds through the API. */
async function receive(caller: Caller, sessionId: string, feeds: string[]) {
  const subscriber = await createSubscriber();
  const offered = await call(caller, SUBSCRIBE, { sessionId, feeds });
  expect(offered.data?.mediaSubscribe.__typename, JSON.stringify(offered)).toBe("MediaOffer");
  const answer = await subscriber.answer(offered.data?.mediaSubscribe.sdp);
  const answered = await call(caller, ANSWER, { sessionId, answer });
  expect(answered.data?.mediaSubscribeAnswer.__typename).toBe("MutationMediaSubscribeAnswerSuccess");
  return { subscriber, streams: offered.data?.mediaSubscribe.streams as { mid: string; participantId: string }[] };
}

describe.skipIf(!hasJanus)("SFU through the API (real Janus)", () => {
  it("carries a webinar: the host publishes, attendees receive, and attendees cannot publish", async () => {
    const { session, hostParticipantId } = await liveSession("WEBINAR");
    const attendee = await joined(session, "attendee@example.org");
    const events = subscribe(
      sessionWsClient(server, { participantToken: attendee.participantToken }),
      `subscription($id: ID!) { sessionMedia(sessionId: $id) { kind participantId } }`,
      { id: session.id },
    );
    const publisher = await publish(asHost(), session.id);
    expect((await events.next()).data?.sessionMedia).toEqual({ kind: "PUBLISHED", participantId: hostParticipantId });

    const { subscriber, streams } = await receive(attendee, session.id, [hostParticipantId]);
    expect(streams).toEqual([expect.objectContaining({ participantId: hostParticipantId, type: "video" })]);
    await eventually(() => subscriber.total > 20, { what: "the attendee to receive the host's packets" });

    const attendeePublisher = await createPublisher();
    const refused = await call(attendee, PUBLISH, { sessionId: session.id, offer: attendeePublisher.offer });
    expect(refused.data?.mediaPublish.code).toBe("MEDIA_PUBLISH_NOT_ALLOWED");
    const again = await call(asHost(), PUBLISH, { sessionId: session.id, offer: attendeePublisher.offer });
    expect(again.data?.mediaPublish.code).toBe("MEDIA_ALREADY_PUBLISHING");

    // Layer choice: audio only and back, on the feed the attendee receives.
    const audioOnly = await call(attendee, CONFIGURE, {
      sessionId: session.id,
      feed: hostParticipantId,
      audioOnly: true,
    });
    expect(audioOnly.data?.mediaConfigure.__typename).toBe("MutationMediaConfigureSuccess");
    const paused = subscriber.total;
    await eventually(
      async () => {
        const before = subscriber.total;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return subscriber.total === before;
      },
      { what: "video to stop in audio-only mode" },
    );
    expect(subscriber.total - paused).toBeLessThan(100);
    await call(attendee, CONFIGURE, { sessionId: session.id, feed: hostParticipantId, audioOnly: false });
    const resumed = subscriber.total;
    await eventually(() => subscriber.total > resumed + 20, { what: "video to come back" });

    await Promise.all([attendeePublisher.close(), publisher.close(), subscriber.close(), events.stop()]);
  });

  it("answers bad input with typed errors", async () => {
    const { session, hostParticipantId } = await liveSession("SUPPORT_CALL");
    const member = await joined(session, "member@example.org");
    const malformed = await call(member, PUBLISH, { sessionId: session.id, offer: "hello" });
    expect(malformed.data?.mediaPublish).toMatchObject({
      code: "VALIDATION_FAILED",
      fieldErrors: [{ path: "offer" }],
    });
    const unknownFeed = await call(member, SUBSCRIBE, { sessionId: session.id, feeds: [hostParticipantId] });
    expect(unknownFeed.data?.mediaSubscribe).toMatchObject({
      code: "MEDIA_FEED_NOT_FOUND",
      participantId: hostParticipantId,
    });
    const noSubscription = await call(member, ANSWER, { sessionId: session.id, answer: "v=0\r\nm=video 9 x\r\n" });
    expect(noSubscription.data?.mediaSubscribeAnswer.code).toBe("MEDIA_NOT_NEGOTIATING");
    const badLayer = await call(member, CONFIGURE, { sessionId: session.id, feed: hostParticipantId, substream: 7 });
    expect(badLayer.data?.mediaConfigure.code).toBe("VALIDATION_FAILED");
    const unknownSession = await call(asHost(), PUBLISH, { sessionId: "nope", offer: "v=0\r\n" });
    expect(unknownSession.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    // Oversize SDP: refused before Janus sees it.
    const huge = `v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n${"a=x-padding\r\n".repeat(6000)}`;
    const oversize = await call(member, PUBLISH, { sessionId: session.id, offer: huge });
    expect(oversize.data?.mediaPublish).toMatchObject({ code: "VALIDATION_FAILED", fieldErrors: [{ path: "offer" }] });
    // An SDP shaped like one that Janus cannot use: Janus's refusal, typed.
    const unusable = await call(member, PUBLISH, {
      sessionId: session.id,
      offer: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
    });
    expect(unusable.data?.mediaPublish.code, JSON.stringify(unusable)).toBe("MEDIA_REFUSED");
    // Trickle and configure without a negotiation to attach them to.
    const TRICKLE = `mutation($sessionId: ID!, $target: MediaTarget!, $completed: Boolean) {
      mediaTrickle(sessionId: $sessionId, target: $target, completed: $completed) { ${ERROR} } }`;
    for (const target of ["PUBLISHER", "SUBSCRIBER"]) {
      const trickle = await call(member, TRICKLE, { sessionId: session.id, target, completed: true });
      expect(trickle.data?.mediaTrickle.code, JSON.stringify(trickle)).toBe("MEDIA_NOT_NEGOTIATING");
    }
    const noFeed = await call(member, CONFIGURE, { sessionId: session.id, feed: hostParticipantId, substream: 1 });
    expect(noFeed.data?.mediaConfigure.code).toBe("MEDIA_NOT_NEGOTIATING");
    // A second publish: the first one holds.
    const publisher = await publish(member, session.id);
    const second = await call(member, PUBLISH, { sessionId: session.id, offer: publisher.offer });
    expect(second.data?.mediaPublish.code).toBe("MEDIA_ALREADY_PUBLISHING");
    await publisher.close();
  });

  it("keeps a participant of one session out of another session's room", async () => {
    const x = await liveSession("SUPPORT_CALL");
    const y = await liveSession("SUPPORT_CALL");
    const inX = await joined(x.session, "x-member@example.org");
    const yPublisher = await publish(asHost(), y.session.id);
    const publisher = await createPublisher();
    const publishInY = await call(inX, PUBLISH, { sessionId: y.session.id, offer: publisher.offer });
    expect(publishInY.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(publishInY.data?.mediaPublish ?? null).toBeNull();
    const subscribeInY = await call(inX, SUBSCRIBE, { sessionId: y.session.id, feeds: [y.hostParticipantId] });
    expect(subscribeInY.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    // Y's feed named from X's room is no feed of X.
    const fromX = await call(inX, SUBSCRIBE, { sessionId: x.session.id, feeds: [y.hostParticipantId] });
    expect(fromX.data?.mediaSubscribe.code).toBe("MEDIA_FEED_NOT_FOUND");
    await Promise.all([publisher.close(), yPublisher.close()]);
  });

  it("refuses forged and expired tokens", async () => {
    const { session } = await liveSession("SUPPORT_CALL");
    const publisher = await createPublisher();
    const forged = await call({ participantToken: "f".repeat(43) }, PUBLISH, {
      sessionId: session.id,
      offer: publisher.offer,
    });
    expect(["UNAUTHENTICATED", "FORBIDDEN"]).toContain(forged.errors?.[0]?.extensions?.code);
    expect(forged.data?.mediaPublish ?? null).toBeNull();
    server.clock.advance(16 * 60_000);
    const expired = await call(asHost(), PUBLISH, { sessionId: session.id, offer: publisher.offer });
    expect(expired.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    // Back to the present: the other tests' tokens are still valid.
    server.clock.advance(-16 * 60_000);
    await publisher.close();
  });

  it("stops a removed participant's media for everyone within a second", async () => {
    const { session } = await liveSession("TRAINING");
    const speaker = await joined(session, "speaker@example.org");
    const listener = await joined(session, "listener@example.org");
    const publisher = await publish(speaker, session.id);
    const atHost = await receive(asHost(), session.id, [speaker.participantId]);
    const atListener = await receive(listener, session.id, [speaker.participantId]);
    await eventually(() => atHost.subscriber.total > 20 && atListener.subscriber.total > 20, {
      what: "both to receive the speaker",
    });
    const removedAt = Date.now();
    const removed = await hostAction(server, agent, "removeParticipant", { participantId: speaker.participantId });
    expect(removed.data?.removeParticipant.__typename).toBe("SessionParticipant");
    // The speaker's werift peer keeps sending: only Janus dropping their handles stops the packets.
    await eventually(
      async () => {
        const counts = [atHost.subscriber.total, atListener.subscriber.total];
        await new Promise((resolve) => setTimeout(resolve, 200));
        return counts[0] === atHost.subscriber.total && counts[1] === atListener.subscriber.total;
      },
      { what: "the removed speaker's packets to stop", timeoutMs: 5_000 },
    );
    expect(Math.max(atHost.subscriber.lastPacketAt, atListener.subscriber.lastPacketAt) - removedAt).toBeLessThan(
      1_000,
    );
    // Their token no longer reaches the media API.
    const after = await call(speaker, SUBSCRIBE, { sessionId: session.id, feeds: [] });
    expect(after.data?.mediaSubscribe ?? null).toBeNull();
    await Promise.all([publisher.close(), atHost.subscriber.close(), atListener.subscriber.close()]);
  });

  it("destroys the room in Janus when the session ends", async () => {
    const { session } = await liveSession("SUPPORT_CALL");
    const publisher = await publish(asHost(), session.id);
    const room = await server.app.services.media.broker.janusRoomOf(session.id);
    expect(room).toBeTypeOf("string");
    expect(await server.app.services.media.broker.janusHasRoom(room as string)).toBe(true);
    const ended = await hostAction(server, agent, "endLiveSession", { id: session.id });
    expect(ended.data?.endLiveSession.__typename).toBe("LiveSession");
    await eventually(async () => !(await server.app.services.media.broker.janusHasRoom(room as string)), {
      what: "Janus to forget the room",
    });
    expect(server.app.services.media.broker.hasRoom(session.id)).toBe(false);
    await publisher.close();
  });

  it("keeps participants' toggles for late joiners until they leave or are removed, and none once the session ends", async () => {
    const STATE = `mutation($sessionId: ID!, $audioMuted: Boolean!, $videoOff: Boolean!, $presenting: Boolean) {
      mediaState(sessionId: $sessionId, audioMuted: $audioMuted, videoOff: $videoOff, presenting: $presenting) {
        ${ERROR} } }`;
    const STATES = `query($sessionId: ID!) { mediaStates(sessionId: $sessionId) {
      participantId audioMuted videoOff presenting } }`;
    const { session, hostParticipantId } = await liveSession("TRAINING");
    const sessionId = session.id;
    const leaver = await joined(session, "toggles-leaver@example.org");
    const removed = await joined(session, "toggles-removed@example.org");
    const told = async (caller: Caller, state: { audioMuted: boolean; videoOff: boolean; presenting?: boolean }) => {
      const result = await call(caller, STATE, { sessionId, ...state });
      expect(result.data?.mediaState.__typename, JSON.stringify(result)).toBe("MutationMediaStateSuccess");
    };
    const states = async (caller: Caller) => {
      const result = await call(caller, STATES, { sessionId });
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      const all = result.data?.mediaStates as { participantId: string }[];
      return all.sort((a, b) => a.participantId.localeCompare(b.participantId));
    };

    await told(asHost(), { audioMuted: true, videoOff: false });
    await told(leaver, { audioMuted: false, videoOff: true, presenting: true });
    await told(removed, { audioMuted: true, videoOff: true });
    // The host changes their mind: the last word counts.
    await told(asHost(), { audioMuted: true, videoOff: true });
    const late = await joined(session, "toggles-late@example.org");
    expect(await states(late)).toEqual(
      [
        { participantId: leaver.participantId, audioMuted: false, videoOff: true, presenting: true },
        { participantId: removed.participantId, audioMuted: true, videoOff: true, presenting: false },
        { participantId: hostParticipantId, audioMuted: true, videoOff: true, presenting: false },
      ].sort((a, b) => a.participantId.localeCompare(b.participantId)),
    );

    // Leaving or being removed clears them: a returning participant starts afresh, as their client does.
    const left = await call(leaver, `mutation { leaveSession { __typename } }`, {});
    expect(left.data?.leaveSession.__typename).toBe("SessionParticipant");
    const out = await hostAction(server, agent, "removeParticipant", { participantId: removed.participantId });
    expect(out.data?.removeParticipant.__typename).toBe("SessionParticipant");
    expect(await states(late)).toEqual([
      { participantId: hostParticipantId, audioMuted: true, videoOff: true, presenting: false },
    ]);
    const back = await joined(session, "toggles-leaver@example.org");
    expect(back.participantId).toBe(leaver.participantId);
    expect((await states(late)).map((state) => state.participantId)).toEqual([hostParticipantId]);

    const ended = await hostAction(server, agent, "endLiveSession", { id: sessionId });
    expect(ended.data?.endLiveSession.__typename).toBe("LiveSession");
    const after = await call(asHost(), STATES, { sessionId });
    expect(after.data?.mediaStates ?? [], JSON.stringify(after)).toEqual([]);
  });

  it("lets only the session's host and admitted participants use its media API", async () => {
    const { session, callers } = await sessionCallers(server, cast);
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const room = { host: "OK", admitted: "OK", admin: "FORBIDDEN" };
    const table = (inRoom: Record<string, string>) => ({
      anonymous: "UNAUTHENTICATED",
      customer: "FORBIDDEN",
      otherAgent: "FORBIDDEN",
      waiting: "FORBIDDEN",
      foreign: "FORBIDDEN",
      ...inRoom,
    });
    const notNegotiating = { ...room, host: "MEDIA_NOT_NEGOTIATING", admitted: "MEDIA_NOT_NEGOTIATING" };
    const TRICKLE = `mutation($sessionId: ID!) { mediaTrickle(sessionId: $sessionId, target: PUBLISHER, completed: true) {
      ${ERROR} } }`;
    const LEAVE = `mutation($sessionId: ID!) { mediaLeave(sessionId: $sessionId) }`;
    const operations: [string, Record<string, unknown>, Record<string, string>][] = [
      [PUBLISH, { offer: "not an sdp" }, table({ ...room, host: "VALIDATION_FAILED", admitted: "VALIDATION_FAILED" })],
      [SUBSCRIBE, { feeds: [] }, table(room)],
      [ANSWER, { answer: "v=0\r\nm=video 9 x\r\n" }, table(notNegotiating)],
      [CONFIGURE, { feed: "someone" }, table(notNegotiating)],
      [TRICKLE, {}, table(notNegotiating)],
      [LEAVE, {}, table(room)],
      [`query($sessionId: ID!) { mediaPublishers(sessionId: $sessionId) }`, {}, table(room)],
      [
        `mutation($sessionId: ID!) { mediaState(sessionId: $sessionId, audioMuted: true, videoOff: false) {
          ... on Error { code } } }`,
        {},
        table(room),
      ],
      [`query($sessionId: ID!) { mediaStates(sessionId: $sessionId) { participantId audioMuted } }`, {}, table(room)],
    ];
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [query, variables, codes] of operations) {
      for (const [caller, credentials] of Object.entries(callers) as [string, Credentials][]) {
        const result = await call(credentials, query, { sessionId: session.id, ...variables });
        const value = result.data ? (Object.values(result.data)[0] as { code?: string } | null) : null;
        const code = (result.errors?.[0]?.extensions?.code as string | undefined) ?? value?.code ?? "OK";
        outcomes.push(`${query.slice(0, 40)} as ${caller}: ${code}`);
        expected.push(`${query.slice(0, 40)} as ${caller}: ${codes[caller]}`);
      }
    }
    expect(outcomes).toEqual(expected);

    const MEDIA = `subscription($id: ID!) { sessionMedia(sessionId: $id) { kind participantId } }`;
    const seen: string[] = [];
    for (const [caller, credentials] of Object.entries(callers) as [string, Credentials][]) {
      const events = subscribe(sessionWsClient(server, credentials), MEDIA, { id: session.id });
      const topic = `sessionMedia:${session.id}`;
      const attached = () => server.app.pubsub.listenerCount(topic) > 0;
      await eventually(() => attached() || events.pending().length > 0 || events.done, { what: `${caller} to attach` });
      if (attached()) server.app.pubsub.publish("sessionMedia", session.id, { kind: "TALKING", sessionId: session.id });
      const outcome = await events.next(5000).then(
        (result) => result.errors?.[0]?.extensions?.code ?? result.data?.sessionMedia.kind,
        (error: unknown) => `NO RESULT (${String(error)})`,
      );
      seen.push(`${caller}: ${outcome}`);
      await events.stop();
      await eventually(() => !attached(), { what: `${caller}'s subscription to detach` });
    }
    expect(seen.sort()).toEqual(
      Object.entries(table({ host: "TALKING", admitted: "TALKING", admin: "TALKING" }))
        .map(([caller, code]) => `${caller}: ${code}`)
        .sort(),
    );
    expect(rootFieldsOf([...operations.map(([query]) => query), MEDIA])).toEqual(
      declaredFields("test/sfu.test.ts#authz"),
    );
  });

  it("moves webinars at their start, and meetings growing past 4, to the SFU, telling the clients", async () => {
    const TOPOLOGY = `query($id: ID!) { liveSession(id: $id) { topology } }`;
    const topologyOf = async (id: string) =>
      (await server.gql(TOPOLOGY, { id }, agent.token)).data?.liveSession.topology;
    const { session: webinar } = await liveSession("WEBINAR");
    await eventually(async () => (await topologyOf(webinar.id)) === "SFU", { what: "the webinar to use the SFU" });

    const meeting = await createSession(server, agent, { type: "TRAINING", maxParticipants: 10 });
    expect(await topologyOf(meeting.id)).toBe("PEER_TO_PEER");
    await hostAction(server, agent, "startLiveSession", { id: meeting.id });
    const members = [];
    for (const name of ["m1", "m2", "m3"]) members.push(await joined(meeting, `${name}@example.org`));
    const state = subscribe(
      sessionWsClient(server, { participantToken: members[0]?.participantToken }),
      `subscription($id: ID!) { sessionState(sessionId: $id) { kind session { topology } } }`,
      { id: meeting.id },
    );
    await eventually(() => server.app.pubsub.listenerCount(`liveSession:${meeting.id}`) > 0, {
      what: "the state subscription to attach",
    });
    // Host and three members: a mesh of 4 stays peer-to-peer.
    expect(await topologyOf(meeting.id)).toBe("PEER_TO_PEER");
    await joined(meeting, "m4@example.org");
    expect((await state.next()).data?.sessionState).toEqual({ kind: "TOPOLOGY_CHANGED", session: { topology: "SFU" } });
    expect(await topologyOf(meeting.id)).toBe("SFU");
    await state.stop();
  });
});
