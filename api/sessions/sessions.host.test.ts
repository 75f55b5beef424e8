import { describe, expect, it } from "vitest";
import type { Actor } from "../../test/fixtures.ts";
import type { TestServer } from "../../test/harness.ts";
import {
  createSession,
  hostAction,
  jobsFor,
  join,
  MY_PARTICIPANT,
  minutes,
  participantGql,
  withSessionServer,
} from "../../test/session-fixtures.ts";

let server: TestServer;
let admin: Actor;
let agent: Actor;
let otherAgent: Actor;
let customer: Actor;
withSessionServer((running) => {
  ({ server, admin, agent, otherAgent, customer } = running);
});

describe("waiting room and host controls", () => {
  it("queues joiners for the host, who admits or denies one or all within capacity", async () => {
    const session = await createSession(server, agent, { waitingRoom: true, maxParticipants: 2 });
    const joiners = [];
    for (const name of ["w1", "w2", "w3", "w4"])
      joiners.push(await join(server, session.accessToken, `${name}@example.com`));
    expect(joiners.map((row) => row.participant.status)).toEqual(["WAITING", "WAITING", "WAITING", "WAITING"]);
    expect(joiners[0]?.participant.peerId).toBeNull();
    const waiting = await server.gql(
      `query($id: ID!) { liveSession(id: $id) { waitingList { id } } }`,
      { id: session.id },
      agent.token,
    );
    expect(waiting.data?.liveSession.waitingList.map((row: { id: string }) => row.id)).toEqual(
      joiners.map((row) => row.participant.id),
    );
    const [w1, w2, w3, w4] = joiners.map((row) => row.participant.id as string);
    const admitted = await hostAction(
      server,
      agent,
      "admitParticipant",
      { participantId: w2 },
      "... on SessionParticipant { status peerId }",
    );
    expect(admitted.data?.admitParticipant.status).toBe("ADMITTED");
    expect(admitted.data?.admitParticipant.peerId).toMatch(/^[0-9a-f]{40}$/);
    const all = await server.gql(
      `mutation($id: ID!) { admitAllParticipants(sessionId: $id) { __typename
        ... on MutationAdmitAllParticipantsSuccess { data { id } } } }`,
      { id: session.id },
      agent.token,
    );
    expect(all.data?.admitAllParticipants.data.map((row: { id: string }) => row.id)).toEqual([w1]);
    const full = await hostAction(server, agent, "admitParticipant", { participantId: w3 }, "__typename");
    expect(full.data?.admitParticipant.__typename).toBe("SessionFullError");
    const denied = await hostAction(
      server,
      agent,
      "denyParticipant",
      { participantId: w3 },
      "... on SessionParticipant { status }",
    );
    expect(denied.data?.denyParticipant.status).toBe("DENIED");
    expect(
      (await participantGql(server, MY_PARTICIPANT, {}, joiners[2]?.participantToken)).data?.myParticipant,
    ).toBeNull();
    expect((await join(server, session.accessToken, "w3@example.com")).reason).toBe("DENIED");
    const denyAll = await server.gql(
      `mutation($id: ID!) { denyAllParticipants(sessionId: $id) { ... on MutationDenyAllParticipantsSuccess { data { id status } } } }`,
      { id: session.id },
      agent.token,
    );
    expect(denyAll.data?.denyAllParticipants.data).toEqual([{ id: w4, status: "DENIED" }]);
    for (const [actor, code] of [
      [otherAgent, "FORBIDDEN"],
      [customer, "FORBIDDEN"],
    ] as const) {
      expect(
        (await hostAction(server, actor, "admitParticipant", { participantId: w3 })).errors?.[0]?.extensions?.code,
      ).toBe(code);
      expect(
        (await hostAction(server, actor, "removeParticipant", { participantId: w1 })).errors?.[0]?.extensions?.code,
      ).toBe(code);
    }
    // Admins may act for the host: letting a denied participant back in allows them to join again.
    expect(
      (
        await hostAction(
          server,
          admin,
          "admitParticipant",
          { participantId: w3 },
          "... on SessionParticipant { status }",
        )
      ).data?.admitParticipant.status,
    ).toBe("LEFT");
  });

  it("removes a participant: token and peer revoked, rejoin refused until re-admitted", async () => {
    const session = await createSession(server, agent);
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const joined = await join(server, session.accessToken, "rm@example.com");
    const peers = server.app.services.sessions;
    expect(await peers.resolvePeer(joined.participant.peerId, joined.participantToken)).toEqual({
      sessionId: session.id,
      participantId: joined.participant.id,
    });
    const revoked = server.app.pubsub.subscribe("peerRevoked")[Symbol.asyncIterator]();
    const nextRevocation = revoked.next();
    const removed = await hostAction(
      server,
      agent,
      "removeParticipant",
      { participantId: joined.participant.id },
      "... on SessionParticipant { status }",
    );
    expect(removed.data?.removeParticipant.status).toBe("REMOVED");
    expect((await nextRevocation).value).toEqual({ sessionId: session.id, peerIds: [joined.participant.peerId] });
    await revoked.return?.();
    expect(await peers.resolvePeer(joined.participant.peerId, joined.participantToken)).toBeNull();
    expect((await participantGql(server, MY_PARTICIPANT, {}, joined.participantToken)).data?.myParticipant).toBeNull();
    expect((await join(server, session.accessToken, "rm@example.com")).__typename).toBe("ParticipantRemovedError");
    await hostAction(server, agent, "admitParticipant", { participantId: joined.participant.id });
    const back = await join(server, session.accessToken, "rm@example.com");
    expect(back.participant).toMatchObject({ id: joined.participant.id, status: "ADMITTED" });
  });

  it("sends newcomers from a removed participant's address to the waiting room; other addresses join as usual", async () => {
    const session = await createSession(server, agent, { waitingRoom: false });
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const intruder = await join(server, session.accessToken, "intruder@example.com");
    expect(intruder.participant.status).toBe("ADMITTED");
    await hostAction(server, agent, "removeParticipant", { participantId: intruder.participant.id });
    // The attack: the same person, another email (no verification on this session).
    const again = await join(server, session.accessToken, "someone-else@example.com");
    expect(again.participant.status).toBe("WAITING");
    // Someone on another address is not affected.
    const elsewhere = await server.app.services.sessions.joining.join(
      { token: session.accessToken, name: "Guest", email: "elsewhere@example.com" },
      "198.51.100.20",
    );
    const row = await server.app.prisma.sessionParticipant.findUniqueOrThrow({
      where: { id: elsewhere.participantId },
    });
    expect(row.status).toBe("ADMITTED");
    // A colleague behind the same address gets in once the host admits them.
    await hostAction(server, agent, "admitParticipant", { participantId: again.participant.id });
    const admitted = await participantGql(server, MY_PARTICIPANT, {}, again.participantToken);
    expect(admitted.data?.myParticipant.status).toBe("ADMITTED");
    // Once the host lets the removed participant back, their address no longer holds newcomers.
    await hostAction(server, agent, "admitParticipant", { participantId: intruder.participant.id });
    expect((await join(server, session.accessToken, "third@example.com")).participant.status).toBe("ADMITTED");
  });

  it("resolves peers only for admitted participants of live sessions with the matching token", async () => {
    const session = await createSession(server, agent, { type: "WEBINAR" });
    const a = await join(server, session.accessToken, "peer-a@example.com");
    const b = await join(server, session.accessToken, "peer-b@example.com");
    const peers = server.app.services.sessions;
    const hostRow = await server.app.prisma.sessionParticipant.findFirstOrThrow({
      where: { sessionId: session.id, role: "HOST" },
    });
    expect(await peers.resolvePeer(a.participant.peerId, a.participantToken)).toBeNull();
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    expect(await peers.resolvePeer(a.participant.peerId, a.participantToken)).toEqual({
      sessionId: session.id,
      participantId: a.participant.id,
    });
    expect(await peers.resolvePeer(a.participant.peerId, b.participantToken)).toBeNull();
    expect(await peers.resolvePeer("f".repeat(40), a.participantToken)).toBeNull();
    // What the signaling server checks before `peer` may queue a message for a peer that is not connected.
    expect(await peers.sessionOfPeer(a.participant.peerId)).toBe(session.id);
    expect(await peers.sessionOfPeer("f".repeat(40))).toBeNull();
    expect(await peers.resolvePeer(hostRow.peerId, agent.token)).toEqual({
      sessionId: session.id,
      participantId: hostRow.id,
    });
    expect(await peers.resolvePeer(hostRow.peerId, otherAgent.token)).toBeNull();
    expect(await peers.resolvePeer(a.participant.peerId, agent.token)).toBeNull();

    const promoted = await hostAction(
      server,
      agent,
      "setParticipantRole",
      { participantId: a.participant.id, role: "PRESENTER" },
      "... on SessionParticipant { role }",
    );
    expect(promoted.data?.setParticipantRole.role).toBe("PRESENTER");
    const toHost = await hostAction(
      server,
      agent,
      "setParticipantRole",
      { participantId: a.participant.id, role: "HOST" },
      "__typename",
    );
    expect(toHost.data?.setParticipantRole.__typename).toBe("ValidationError");

    await participantGql(
      server,
      `mutation { leaveSession { ... on SessionParticipant { status } } }`,
      {},
      b.participantToken,
    );
    expect(await peers.resolvePeer(b.participant.peerId, b.participantToken)).toBeNull();
    await hostAction(server, agent, "endLiveSession", { id: session.id });
    expect(await peers.resolvePeer(a.participant.peerId, a.participantToken)).toBeNull();
    expect(await peers.resolvePeer(hostRow.peerId, agent.token)).toBeNull();
  });

  it("starts and ends: status and times, started email, tokens stop working at the end", async () => {
    const session = await createSession(server, agent);
    const joined = await join(server, session.accessToken, "end@example.com");
    const started = await hostAction(
      server,
      agent,
      "startLiveSession",
      { id: session.id },
      "... on LiveSession { status actualStartAt }",
    );
    expect(started.data?.startLiveSession).toEqual({ status: "LIVE", actualStartAt: server.clock.now().toISOString() });
    expect((await jobsFor(server, session.id, "email.sessionStarted")).map((job) => job.payload)).toEqual([
      { sessionId: session.id },
    ]);
    expect((await jobsFor(server, session.id, "session.reminder")).every((job) => job.status === "CANCELLED")).toBe(
      true,
    );
    expect((await hostAction(server, agent, "startLiveSession", { id: session.id })).data?.startLiveSession.code).toBe(
      "INVALID_TRANSITION",
    );
    expect(
      (await hostAction(server, otherAgent, "endLiveSession", { id: session.id })).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    server.clock.advance(minutes(5));
    const ended = await hostAction(
      server,
      agent,
      "endLiveSession",
      { id: session.id },
      "... on LiveSession { status actualEndAt }",
    );
    expect(ended.data?.endLiveSession).toEqual({ status: "ENDED", actualEndAt: server.clock.now().toISOString() });
    expect((await participantGql(server, MY_PARTICIPANT, {}, joined.participantToken)).data?.myParticipant).toBeNull();
    expect(await server.app.prisma.sessionVisit.count({ where: { sessionId: session.id, leftAt: null } })).toBe(0);
    expect((await hostAction(server, agent, "endLiveSession", { id: session.id })).data?.endLiveSession.code).toBe(
      "INVALID_TRANSITION",
    );
    server.clock.advance(-minutes(5));
  });

  it("records only with every present participant's consent; joiners must consent while recording", async () => {
    const plain = await createSession(server, agent);
    await hostAction(server, agent, "startLiveSession", { id: plain.id });
    const disabled = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: plain.id, recording: true },
      "__typename ... on SessionOptionDisabledError { option }",
    );
    expect(disabled.data?.setSessionRecording).toEqual({
      __typename: "SessionOptionDisabledError",
      option: "RECORDING",
    });

    const session = await createSession(server, agent, { recordingEnabled: true });
    const notLive = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: session.id, recording: true },
      "__typename",
    );
    expect(notLive.data?.setSessionRecording.__typename).toBe("InvalidTransitionError");
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    const a = await join(server, session.accessToken, "rec-a@example.com", { recordingConsent: true });
    const b = await join(server, session.accessToken, "rec-b@example.com");
    const missing = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: session.id, recording: true },
      "__typename ... on RecordingConsentMissingError { participantIds }",
    );
    expect(missing.data?.setSessionRecording).toEqual({
      __typename: "RecordingConsentMissingError",
      participantIds: [b.participant.id],
    });
    const consent = await participantGql(
      server,
      `mutation { giveRecordingConsent { recordingConsent } }`,
      {},
      b.participantToken,
    );
    expect(consent.data?.giveRecordingConsent.recordingConsent).toBe(true);
    const on = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: session.id, recording: true },
      "... on LiveSession { recording }",
    );
    expect(on.data?.setSessionRecording.recording).toBe(true);
    expect((await join(server, session.accessToken, "rec-c@example.com")).__typename).toBe(
      "RecordingConsentRequiredError",
    );
    expect(
      (await join(server, session.accessToken, "rec-c@example.com", { recordingConsent: true })).participant.status,
    ).toBe("ADMITTED");
    expect(
      (await hostAction(server, otherAgent, "setSessionRecording", { id: session.id, recording: false })).errors?.[0]
        ?.extensions?.code,
    ).toBe("FORBIDDEN");
    const off = await hostAction(
      server,
      agent,
      "setSessionRecording",
      { id: session.id, recording: false },
      "... on LiveSession { recording }",
    );
    expect(off.data?.setSessionRecording.recording).toBe(false);
    void a;
  });
});

describe("chat", () => {
  const SEND = `mutation($id: ID!, $body: String!) { sendSessionChatMessage(sessionId: $id, body: $body) {
    __typename ... on SessionChatMessage { id body author { name role } } ... on Error { code }
    ... on ValidationError { fieldErrors { path } } } }`;

  it("carries messages from participants and the host, with limits", async () => {
    const session = await createSession(server, agent, { waitingRoom: true });
    const a = await join(server, session.accessToken, "chat-a@example.com");
    const waitingSend = await participantGql(server, SEND, { id: session.id, body: "hi" }, a.participantToken);
    expect(waitingSend.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    await hostAction(server, agent, "admitParticipant", { participantId: a.participant.id });
    const sent = await participantGql(server, SEND, { id: session.id, body: "  hello all  " }, a.participantToken);
    expect(sent.data?.sendSessionChatMessage).toMatchObject({
      body: "hello all",
      author: { name: "chat-a", role: "ATTENDEE" },
    });
    const fromHost = await server.gql(SEND, { id: session.id, body: "welcome" }, agent.token);
    expect(fromHost.data?.sendSessionChatMessage.author.role).toBe("HOST");
    const tooLong = await participantGql(server, SEND, { id: session.id, body: "x".repeat(2001) }, a.participantToken);
    expect(tooLong.data?.sendSessionChatMessage.fieldErrors).toEqual([{ path: "body" }]);
    const empty = await participantGql(server, SEND, { id: session.id, body: "   " }, a.participantToken);
    expect(empty.data?.sendSessionChatMessage.__typename).toBe("ValidationError");
    for (let index = 0; index < 4; index++)
      await participantGql(server, SEND, { id: session.id, body: `spam ${index}` }, a.participantToken);
    const limited = await participantGql(server, SEND, { id: session.id, body: "one more" }, a.participantToken);
    expect(limited.data?.sendSessionChatMessage.code).toBe("RATE_LIMITED");
    const history = await participantGql(
      server,
      `query($id: ID!) { liveSession(id: $id) { chatMessages(first: 3) { totalCount edges { node { body } } } } }`,
      { id: session.id },
      a.participantToken,
    );
    expect(history.data?.liveSession.chatMessages.totalCount).toBe(6);
    expect(
      history.data?.liveSession.chatMessages.edges.map((edge: { node: { body: string } }) => edge.node.body),
    ).toEqual(["hello all", "welcome", "spam 0"]);
    expect(
      (await server.gql(SEND, { id: session.id, body: "intruder" }, otherAgent.token)).errors?.[0]?.extensions?.code,
    ).toBe("FORBIDDEN");
    expect((await server.gql(SEND, { id: session.id, body: "intruder" })).errors?.[0]?.extensions?.code).toBe(
      "UNAUTHENTICATED",
    );

    const quiet = await createSession(server, agent, { chatEnabled: false });
    const q = await join(server, quiet.accessToken, "quiet@example.com");
    const off = await participantGql(server, SEND, { id: quiet.id, body: "hello?" }, q.participantToken);
    expect(off.data?.sendSessionChatMessage.code).toBe("OPTION_DISABLED");
  });
});
