import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PEER_REFUSED } from "../api/signaling/signaling.ts";
import { type Cluster, type ClusterNode, serverModeAvailable, startCluster } from "./cluster.ts";
import { createCast } from "./fixtures.ts";
import { eventually } from "./harness.ts";
import { nginxAvailable, startNginx } from "./nginx.ts";
import { connectPeerSocket, type PeerSocket, upgradeStatus } from "./peer-socket.ts";
import { createSession, hostAction, join } from "./session-fixtures.ts";
import { type CallEnd, startAudioCall } from "./webrtc-peer.ts";

/**
 * A live session with one admitted participant per given node (joined there); each one's PeerJS socket is open on
 * that node, or at `signalingUrl` (a proxy in front of the nodes).
 */
async function callAcross(
  cast: Awaited<ReturnType<typeof createCast>>,
  nodes: ClusterNode[],
  label: string,
  signalingUrl?: string,
) {
  const [first] = nodes;
  if (!first) throw new Error("no node");
  const session = await createSession(first, cast.agent, { waitingRoom: false });
  const started = await hostAction(first, cast.agent, "startLiveSession", { id: session.id });
  expect(started.data?.startLiveSession.__typename).toBe("LiveSession");
  const peers: { peerId: string; participantId: string; socket: PeerSocket }[] = [];
  for (const [index, node] of nodes.entries()) {
    const joined = await join(node, session.accessToken, `${label}${index}@example.com`);
    expect(joined.participant.status).toBe("ADMITTED");
    const socket = connectPeerSocket(signalingUrl ?? node.url, joined.participant.peerId, joined.participantToken);
    expect((await socket.next()).type).toBe("OPEN");
    peers.push({ peerId: joined.participant.peerId, participantId: joined.participant.id, socket });
  }
  return { session, peers };
}

// Server mode: two instances sharing PostgreSQL and Redis, peers of one call connected to different instances.
describe.runIf(serverModeAvailable())("server mode: calls across instances, nginx in front", () => {
  let cluster: Cluster;
  let cast: Awaited<ReturnType<typeof createCast>>;

  beforeAll(async () => {
    // As deployed behind deploy/nginx.conf: one trusted proxy, rate limits on (5 sign-ins per address here).
    cluster = await startCluster({ env: { TRUST_PROXY: "true", RATE_LIMITS: "on", RATE_LIMIT_AUTH_IP: "5/15m" } });
    const [a] = cluster.nodes;
    if (!a) throw new Error("no node");
    cast = await createCast(a);
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it("relays OFFER and ANSWER between peers connected to different instances, within their session only", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const call = await callAcross(cast, [a, b], "relay");
    const [onA, onB] = call.peers;
    const other = await callAcross(cast, [b], "elsewhere");
    const [stranger] = other.peers;
    if (!onA || !onB || !stranger) throw new Error("three peers expected");

    onA.socket.socket.send(JSON.stringify({ type: "OFFER", dst: onB.peerId, payload: { sdp: "from A" } }));
    expect(await onB.socket.next("OFFER")).toMatchObject({
      src: onA.peerId,
      dst: onB.peerId,
      payload: { sdp: "from A" },
    });
    onB.socket.socket.send(JSON.stringify({ type: "ANSWER", dst: onA.peerId, payload: { sdp: "from B" } }));
    expect(await onA.socket.next("ANSWER")).toMatchObject({ src: onB.peerId, payload: { sdp: "from B" } });
    onB.socket.socket.send(JSON.stringify({ type: "OFFER", dst: onA.peerId, payload: { sdp: "B calls A" } }));
    expect(await onA.socket.next("OFFER")).toMatchObject({ src: onB.peerId, payload: { sdp: "B calls A" } });

    // A peer of another session, connected to B, gets nothing from A; messages on one socket keep their order.
    onA.socket.socket.send(JSON.stringify({ type: "OFFER", dst: stranger.peerId, payload: { sdp: "leak" } }));
    onA.socket.socket.send(JSON.stringify({ type: "CANDIDATE", dst: onB.peerId, payload: { candidate: "c1" } }));
    expect((await onB.socket.next("CANDIDATE")).payload.candidate).toBe("c1");
    expect(stranger.socket.messages.filter((message) => message.type === "OFFER")).toEqual([]);

    for (const peer of [onA, onB, stranger]) peer.socket.socket.close();
    await Promise.all([onA.socket.closed, onB.socket.closed, stranger.socket.closed]);
  });

  it("revokes a removed participant's peer on its instance and tells peers on the other instance", async () => {
    const [a, b] = cluster.nodes;
    if (!a || !b) throw new Error("two nodes expected");
    const call = await callAcross(cast, [a, b], "revoke");
    const [onA, onB] = call.peers;
    if (!onA || !onB) throw new Error("two peers expected");
    // Removed through instance A; the peer sits on B.
    const removed = await hostAction(a, cast.agent, "removeParticipant", { participantId: onB.participantId });
    expect(removed.errors).toBeUndefined();
    expect((await onB.socket.next("ERROR")).payload.msg).toBe("Access to this session was revoked.");
    expect((await onB.socket.closed).code).toBe(PEER_REFUSED);
    expect(await onA.socket.next("LEAVE")).toMatchObject({ src: onB.peerId, dst: onA.peerId });
    onA.socket.socket.close();
    await onA.socket.closed;
  });

  describe.runIf(nginxAvailable())("behind nginx with deploy/nginx.conf", () => {
    let nginx: Awaited<ReturnType<typeof startNginx>>;

    beforeAll(async () => {
      nginx = await startNginx(cluster.nodes.map((node) => new URL(node.url).host));
    });
    afterAll(async () => {
      await nginx?.stop();
    });

    /** A participant's PeerJS socket opened through nginx, once the server said OPEN. */
    async function openThroughProxy(joined: Awaited<ReturnType<typeof join>>) {
      const socket = connectPeerSocket(nginx.url, joined.participant.peerId, joined.participantToken);
      expect((await socket.next()).type).toBe("OPEN");
      return socket;
    }

    it("answers 404 to upgrades of unknown paths and keeps every instance in rotation", async () => {
      for (let attempt = 0; attempt < 12; attempt++) expect(await upgradeStatus(nginx.url, "/nope")).toBe(404);
      const answers = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const response = await fetch(`${nginx.url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query: "{ __typename }" }),
          });
          return response.status;
        }),
      );
      expect(answers).toEqual(Array.from({ length: 20 }, () => 200));
      expect(nginx.errorLog()).not.toMatch(/no live upstreams|upstream server temporarily disabled/);
    });

    it("carries a call's signaling through the proxy", async () => {
      const [a, b] = cluster.nodes;
      if (!a || !b) throw new Error("two nodes expected");
      const call = await callAcross(cast, [a, b], "proxied", nginx.url);
      const [first, second] = call.peers;
      if (!first || !second) throw new Error("two peers expected");
      first.socket.socket.send(JSON.stringify({ type: "OFFER", dst: second.peerId, payload: { sdp: "proxied" } }));
      expect(await second.socket.next("OFFER")).toMatchObject({ src: first.peerId, payload: { sdp: "proxied" } });
      second.socket.socket.send(JSON.stringify({ type: "ANSWER", dst: first.peerId, payload: { sdp: "back" } }));
      expect(await first.socket.next("ANSWER")).toMatchObject({ src: second.peerId, payload: { sdp: "back" } });
      for (const peer of [first, second]) peer.socket.socket.close();
      await Promise.all([first.socket.closed, second.socket.closed]);
    });

    it("connects a real WebRTC call between peers whose signaling sockets nginx sent to different instances", async () => {
      const [a] = cluster.nodes;
      if (!a) throw new Error("no node");
      const session = await createSession(a, cast.agent, { waitingRoom: false });
      const started = await hostAction(a, cast.agent, "startLiveSession", { id: session.id });
      expect(started.data?.startLiveSession.__typename).toBe("LiveSession");
      const ends: CallEnd[] = [];
      for (const index of [0, 1]) {
        const joined = await join(a, session.accessToken, `webrtc${index}@example.com`);
        ends.push({ peerId: joined.participant.peerId, socket: await openThroughProxy(joined) });
      }
      const [caller, callee] = ends;
      if (!caller || !callee) throw new Error("two peers expected");
      // nginx balances round-robin: reconnect the second peer until its socket sits on the other instance.
      const nodeOf = (peerId: string) =>
        cluster.nodes.findIndex((node) => node.app.signaling.connectedPeerIds().includes(peerId));
      for (let attempt = 0; nodeOf(callee.peerId) === nodeOf(caller.peerId); attempt++) {
        if (attempt === 10) throw new Error("nginx kept both peers on one instance");
        callee.socket.socket.close();
        await callee.socket.closed;
        await eventually(() => nodeOf(callee.peerId) === -1, { what: "the old socket to be gone" });
        const joined = await join(a, session.accessToken, "webrtc1@example.com");
        callee.socket = await openThroughProxy(joined);
      }
      expect(new Set([nodeOf(caller.peerId), nodeOf(callee.peerId)])).toEqual(new Set([0, 1]));

      const call = await startAudioCall(caller, callee);
      try {
        await call.until(25);
      } finally {
        await call.close();
      }
      for (const end of ends) end.socket.socket.close();
    });

    it("counts rate limits against the address nginx saw, whatever X-Forwarded-For the client sends", async () => {
      let limited = 0;
      for (let attempt = 0; attempt < 7; attempt++) {
        const response = await fetch(`${nginx.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": `198.51.100.${attempt}` },
          body: JSON.stringify({
            query: `mutation($token: String!) { refreshSession(refreshToken: $token) { __typename } }`,
            variables: { token: `forged-${attempt}` },
          }),
        });
        const { data } = (await response.json()) as { data?: { refreshSession?: { __typename: string } } };
        if (data?.refreshSession?.__typename === "RateLimitedError") limited += 1;
      }
      expect(limited).toBe(2);
    });
  });
});
