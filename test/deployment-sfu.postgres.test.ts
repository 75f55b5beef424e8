import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../api/db/database.ts";
import { freePort, serverModeAvailable } from "./cluster.ts";
import { type Instance, unitInstance } from "./deployment-instances.ts";
import { type Actor, createCast } from "./fixtures.ts";
import { createTestDatabase, eventually, subscribe, type TestServer } from "./harness.ts";
import { janusAvailable, startTestJanus } from "./janus.ts";
import { nginxAvailable, startNginx } from "./nginx.ts";
import { createSession, hostAction, join, participantGql, sessionWsClient } from "./session-fixtures.ts";
import { createPublisher, createSubscriber } from "./werift-peer.ts";

/**
 * Server mode with a shared external Janus (JANUS_URL): two instances of deploy/live-support@.service against one
 * PostgreSQL, one Redis and one Janus started here. Each SFU room has one owning instance (api/media/media-router.ts);
 * a participant's requests landing on the other instance are forwarded there, and when the owner stops (SIGTERM)
 * another instance takes the room over and the clients publish and subscribe again.
 */

const ERROR = "__typename ... on Error { code message }";
const PUBLISH = `mutation($sessionId: ID!, $offer: String!) { mediaPublish(sessionId: $sessionId, offer: $offer) {
  ${ERROR} ... on MediaAnswer { sdp } } }`;
const SUBSCRIBE = `mutation($sessionId: ID!, $feeds: [ID!]!) { mediaSubscribe(sessionId: $sessionId, feeds: $feeds) {
  ${ERROR} ... on MediaOffer { sdp streams { mid type participantId } } ... on MediaFeedNotFoundError { participantId } } }`;
const ANSWER = `mutation($sessionId: ID!, $answer: String!) {
  mediaSubscribeAnswer(sessionId: $sessionId, answer: $answer) { ${ERROR} } }`;
const PUBLISHERS = `query($sessionId: ID!) { mediaPublishers(sessionId: $sessionId) }`;
const MEDIA_EVENTS = `subscription($id: ID!) { sessionMedia(sessionId: $id) { kind participantId } }`;
const MEDIA_STATE = `mutation($sessionId: ID!, $audioMuted: Boolean!, $videoOff: Boolean!, $presenting: Boolean) {
  mediaState(sessionId: $sessionId, audioMuted: $audioMuted, videoOff: $videoOff, presenting: $presenting) { ${ERROR} } }`;
const MEDIA_STATES = `query($sessionId: ID!) { mediaStates(sessionId: $sessionId) {
  participantId audioMuted videoOff presenting } }`;
const STATE_EVENTS = `subscription($id: ID!) { sessionMedia(sessionId: $id) {
  kind participantId state { participantId audioMuted videoOff presenting } } }`;

interface Caller {
  accessToken?: string;
  participantToken?: string;
}

describe.runIf(serverModeAvailable() && janusAvailable)(
  "deployment: SFU rooms across instances (external Janus)",
  () => {
    const prefix = `ls-test:${randomBytes(6).toString("hex")}:`;
    const dirs: string[] = [];
    const instances: Instance[] = [];
    /** Two Janus servers, as JANUS_URL lists them: each session's room lives on one (api/media/media-placement.ts). */
    const janus: Awaited<ReturnType<typeof startTestJanus>>[] = [];
    let database: Awaited<ReturnType<typeof openDatabase>>;
    let nginx: Awaited<ReturnType<typeof startNginx>> | null = null;
    let dropDatabase: (() => Promise<void>) | undefined;
    let agent: Actor;

    /** What the fixtures need of a server, through `url` (an instance, or nginx). */
    const at = (url: string) =>
      ({
        url,
        clock: { now: () => new Date() },
        gql: async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
          const response = await fetch(`${url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: JSON.stringify({ query, variables }),
          });
          return response.json();
        },
      }) as unknown as TestServer;
    const instance = (index: number) => {
      const found = instances[index];
      if (!found) throw new Error(`no instance ${index}`);
      return found;
    };
    const call = (url: string, caller: Caller, query: string, variables: Record<string, unknown>) =>
      participantGql(at(url), query, variables, caller.participantToken ?? null, caller.accessToken);
    /** Which instances logged that they own the session's room. */
    const ownersLogged = (sessionId: string) =>
      instances
        .map((candidate, index) =>
          candidate
            .logs()
            .some((line) => line.msg === "SFU room: owned by this instance" && line.sessionId === sessionId)
            ? index
            : -1,
        )
        .filter((index) => index >= 0);

    beforeAll(async () => {
      // One API secret for every Janus, as JANUS_API_SECRET is one setting.
      const apiSecret = randomBytes(16).toString("hex");
      janus.push(await startTestJanus({ apiSecret }), await startTestJanus({ apiSecret }));
      const { database: created, url: databaseUrl, drop } = await createTestDatabase();
      await created.close();
      dropDatabase = drop;
      const authSecret = randomBytes(32).toString("hex");
      for (let index = 0; index < 2; index++) {
        const dataDir = mkdtempSync(joinPath(tmpdir(), "live-support-instance-"));
        dirs.push(dataDir);
        instances.push(
          unitInstance(await freePort(), {
            HOST: "127.0.0.1",
            PUBLIC_URL: "http://127.0.0.1",
            DATABASE_URL: databaseUrl,
            REDIS_URL: process.env.TEST_REDIS_URL,
            REDIS_PREFIX: prefix,
            AUTH_SECRET: authSecret,
            DATA_DIR: dataDir,
            SMTP_URL: undefined,
            RATE_LIMITS: "off",
            SHUTDOWN_TIMEOUT: "5s",
            // The instances share these Janus servers, as they would share the hosts of deploy/janus.service.
            JANUS_URL: janus.map((server) => server.url).join(","),
            JANUS_API_SECRET: apiSecret,
          }),
        );
      }
      await Promise.all(instances.map((started) => started.start()));
      database = await openDatabase(databaseUrl, tmpdir());
      if (nginxAvailable()) nginx = await startNginx(instances.map((started) => `127.0.0.1:${started.port}`));
      ({ agent } = await createCast(at(instance(0).url)));
    }, 300_000);

    afterAll(async () => {
      await nginx?.stop();
      await Promise.all(instances.map((started) => started.stop()));
      await Promise.all(janus.map((server) => server.stop()));
      await database?.close();
      await dropDatabase?.();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      const redis = new Redis(process.env.TEST_REDIS_URL ?? "", { maxRetriesPerRequest: 1 });
      const keys = await redis.keys(`${prefix}*`).catch(() => []);
      if (keys.length) await redis.del(...keys).catch(() => {});
      redis.disconnect();
    });

    async function liveSession() {
      const server = at(instance(0).url);
      const session = await createSession(server, agent, { type: "SUPPORT_CALL", maxParticipants: 10 });
      const started = await hostAction(server, agent, "startLiveSession", { id: session.id });
      expect(started.data?.startLiveSession.__typename).toBe("LiveSession");
      const me = await server.gql(
        `query($id: ID!) { liveSession(id: $id) { participants { id role } } }`,
        { id: session.id },
        agent.token,
      );
      const host = (me.data?.liveSession?.participants as { id: string; role: string }[] | undefined)?.find(
        (participant) => participant.role === "HOST",
      );
      if (!host) throw new Error(`no host participant: ${JSON.stringify(me)}`);
      return { session, hostId: host.id, host: { accessToken: agent.token } as Caller };
    }

    async function member(session: Record<string, any>, url: string, email: string) {
      const joined = await join(at(url), session.accessToken, email);
      expect(joined.participant?.status).toBe("ADMITTED");
      return { participantToken: joined.participantToken as string, participantId: joined.participant.id as string };
    }

    /** A werift sender published through `url`, once Janus announced its feed (seen through `url` too). */
    async function publish(url: string, caller: Caller, sessionId: string, participantId: string) {
      const publisher = await createPublisher();
      const answer = await call(url, caller, PUBLISH, { sessionId, offer: publisher.offer });
      expect(answer.data?.mediaPublish.__typename, JSON.stringify(answer)).toBe("MediaAnswer");
      await publisher.start(answer.data?.mediaPublish.sdp);
      await eventually(
        async () => (await call(url, caller, PUBLISHERS, { sessionId })).data?.mediaPublishers?.includes(participantId),
        { what: "the feed to be up", timeoutMs: 20_000 },
      );
      return publisher;
    }

    /** A werift receiver of `feeds`, every request through `url`. */
    async function receive(url: string, caller: Caller, sessionId: string, feeds: string[]) {
      const subscriber = await createSubscriber();
      const offered = await call(url, caller, SUBSCRIBE, { sessionId, feeds });
      expect(offered.data?.mediaSubscribe.__typename, JSON.stringify(offered)).toBe("MediaOffer");
      const answer = await subscriber.answer(offered.data?.mediaSubscribe.sdp);
      const answered = await call(url, caller, ANSWER, { sessionId, answer });
      expect(answered.data?.mediaSubscribeAnswer.__typename, JSON.stringify(answered)).toBe(
        "MutationMediaSubscribeAnswerSuccess",
      );
      return subscriber;
    }

    /** Waits for the event that tells a client to publish and subscribe again. */
    async function restarted(events: { next(timeoutMs: number): Promise<{ data?: Record<string, any> | null }> }) {
      for (;;) {
        const event = (await events.next(10_000)).data?.sessionMedia;
        if (event?.kind === "ROOM_RESTARTED") return;
      }
    }

    it("forwards a participant's requests to the room's owner: published on A, received through B", async () => {
      const a = instance(0).url;
      const b = instance(1).url;
      const { session, hostId, host } = await liveSession();
      const attendee = await member(session, b, "across@example.org");
      const publisher = await publish(a, host, session.id, hostId);
      expect(ownersLogged(session.id)).toEqual([0]);

      const subscriber = await receive(b, attendee, session.id, [hostId]);
      await eventually(() => subscriber.total > 20, { what: "RTP through B's forwarded subscription" });
      // Every request went to A's room: B never claimed one.
      expect(ownersLogged(session.id)).toEqual([0]);
      // The owner's typed refusals come back through the forwarding instance.
      const again = await call(b, host, PUBLISH, { sessionId: session.id, offer: publisher.offer });
      expect(again.data?.mediaPublish.code).toBe("MEDIA_ALREADY_PUBLISHING");
      await Promise.all([publisher.close(), subscriber.close()]);
    });

    it("keeps refusals on forwarded requests: another session's participant, unknown feeds, no offer", async () => {
      const a = instance(0).url;
      const b = instance(1).url;
      const x = await liveSession();
      const y = await liveSession();
      const inX = await member(x.session, b, "x-member@example.org");
      const inY = await member(y.session, b, "y-member@example.org");
      const xPublisher = await publish(a, x.host, x.session.id, x.hostId);
      const yPublisher = await publish(a, y.host, y.session.id, y.hostId);

      // Refused on B before anything is forwarded to A, the rooms' owner.
      const stranger = await createPublisher();
      const publishInX = await call(b, inY, PUBLISH, { sessionId: x.session.id, offer: stranger.offer });
      expect(publishInX.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(publishInX.data?.mediaPublish ?? null).toBeNull();
      const subscribeInX = await call(b, inY, SUBSCRIBE, { sessionId: x.session.id, feeds: [x.hostId] });
      expect(subscribeInX.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      // Forwarded to A, which acts in X's room only: Y's feed is none of X's, typed as such through B.
      const yFeedFromX = await call(b, inX, SUBSCRIBE, { sessionId: x.session.id, feeds: [y.hostId] });
      expect(yFeedFromX.data?.mediaSubscribe).toMatchObject({ code: "MEDIA_FEED_NOT_FOUND", participantId: y.hostId });
      const noOffer = await call(b, inX, ANSWER, { sessionId: x.session.id, answer: "v=0\r\nm=video 9 x\r\n" });
      expect(noOffer.data?.mediaSubscribeAnswer.code).toBe("MEDIA_NOT_NEGOTIATING");
      expect(ownersLogged(x.session.id)).toEqual([0]);
      // The two rooms went to the two Janus servers (the least loaded each time), as stored on the sessions.
      const placed = await database.prisma.liveSession.findMany({
        where: { id: { in: [x.session.id, y.session.id] } },
        select: { mediaServerUrl: true },
      });
      expect(new Set(placed.map((session) => session.mediaServerUrl))).toEqual(
        new Set(janus.map((server) => server.url)),
      );
      await Promise.all([stranger.close(), xPublisher.close(), yPublisher.close()]);
    });

    it("shares participants' toggles across instances: told on A, heard and read through B", async () => {
      const a = instance(0).url;
      const b = instance(1).url;
      const { session, hostId, host } = await liveSession();
      const sessionId = session.id;
      const watcher = await member(session, b, "toggles-watcher@example.org");
      const tell = async (url: string, caller: Caller, state: Record<string, boolean>) => {
        const told = await call(url, caller, MEDIA_STATE, { sessionId, ...state });
        expect(told.data?.mediaState.__typename, JSON.stringify(told)).toBe("MutationMediaStateSuccess");
      };
      const statesThrough = async (url: string, caller: Caller) => {
        const result = await call(url, caller, MEDIA_STATES, { sessionId });
        expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
        return ((result.data?.mediaStates ?? []) as { participantId: string }[]).sort((x, y) =>
          x.participantId.localeCompare(y.participantId),
        );
      };
      type StateEvent = { kind: string; participantId: string; state: Record<string, unknown> | null };
      const events = subscribe<{ sessionMedia: StateEvent }>(sessionWsClient(at(b), watcher), STATE_EVENTS, {
        id: sessionId,
      });
      // B's subscription (and its Redis channel) is live once a state told on A comes through it.
      await eventually(
        async () => {
          await tell(a, host, { audioMuted: false, videoOff: false });
          return events.pending().some((event) => event.data?.sessionMedia.kind === "STATE");
        },
        { what: "B's sessionMedia subscription to hear A's STATE through Redis" },
      );
      await tell(a, host, { audioMuted: true, videoOff: true, presenting: false });
      // The first state that is not the priming one (those may still be arriving).
      let heard: StateEvent | undefined;
      do heard = (await events.next(10_000)).data?.sessionMedia;
      while (heard?.kind === "STATE" && heard.state?.audioMuted === false);
      const hostState = { participantId: hostId, audioMuted: true, videoOff: true, presenting: false };
      expect(heard).toEqual({ kind: "STATE", participantId: hostId, state: hostState });

      // A late joiner on B reads it from the database, as B never kept it in memory.
      const late = await member(session, b, "toggles-late@example.org");
      expect(await statesThrough(b, late)).toEqual([hostState]);
      // The other way round: told on B, read on A.
      await tell(b, watcher, { audioMuted: true, videoOff: false, presenting: true });
      const watcherState = {
        participantId: watcher.participantId,
        audioMuted: true,
        videoOff: false,
        presenting: true,
      };
      const both = [hostState, watcherState].sort((x, y) => x.participantId.localeCompare(y.participantId));
      expect(await statesThrough(a, host)).toEqual(both);
      expect(await statesThrough(b, late)).toEqual(both);
      const rows = await database.prisma.sessionParticipant.findMany({
        where: { sessionId, mediaStateAt: { not: null } },
        select: { id: true, mediaAudioMuted: true, mediaVideoOff: true, mediaPresenting: true },
      });
      expect(rows.map((row) => row.id).sort()).toEqual(both.map((state) => state.participantId));
      await events.stop();
    });

    it("takes the room over when its owner stops (SIGTERM): clients republish and media resumes within 10 s", async () => {
      const a = instance(0);
      const b = instance(1).url;
      // After A stops, the clients' requests go through the proxy (only B is left behind it) or to B.
      const front = nginx?.url ?? b;
      const { session, hostId, host } = await liveSession();
      const attendee = await member(session, b, "takeover@example.org");
      const publisher = await publish(a.url, host, session.id, hostId);
      expect(ownersLogged(session.id)).toEqual([0]);
      const subscriber = await receive(b, attendee, session.id, [hostId]);
      await eventually(() => subscriber.total > 20, { what: "RTP before the owner stops" });
      const hostEvents = subscribe(sessionWsClient(at(b), host), MEDIA_EVENTS, { id: session.id });
      const attendeeEvents = subscribe(sessionWsClient(at(b), attendee), MEDIA_EVENTS, { id: session.id });
      // Both subscriptions are live once a publishers query round-trips after them (events come in order).
      await eventually(async () => (await call(b, attendee, PUBLISHERS, { sessionId: session.id })).data, {
        what: "the subscriptions to start",
      });

      const stoppedAt = Date.now();
      expect(await a.stop()).toBe(0);
      // The host's client: told to publish again, it does so through the proxy.
      await restarted(hostEvents);
      const republished = await publish(front, host, session.id, hostId);
      // The attendee's client: told as well, it subscribes again once the host's feed is back.
      await restarted(attendeeEvents);
      const resubscribed = await receive(b, attendee, session.id, [hostId]);
      await eventually(() => resubscribed.total > 0, { what: "RTP after the takeover" });
      const resumedAfter = Date.now() - stoppedAt;
      console.info(`SFU room taken over: media resumed ${resumedAfter} ms after SIGTERM to its owner`);
      expect(resumedAfter).toBeLessThan(10_000);
      expect(ownersLogged(session.id)).toEqual([0, 1]);
      expect(
        instance(1)
          .logs()
          .some((line) => /taken over/.test(String(line.msg)) && line.sessionId === session.id),
      ).toBe(true);
      await eventually(() => resubscribed.total > 50, { what: "media to keep flowing" });
      await Promise.all([
        publisher.close(),
        subscriber.close(),
        republished.close(),
        resubscribed.close(),
        hostEvents.stop(),
        attendeeEvents.stop(),
      ]);
    });

    it("takes the room over when its owner crashes (SIGKILL): media resumes within 10 s", async () => {
      const a = instance(0);
      const b = instance(1);
      // A was stopped by the previous test: back in service, as systemd restarts it.
      await a.start();
      const { session, hostId, host } = await liveSession();
      const attendee = await member(session, a.url, "crash@example.org");
      const publisher = await publish(b.url, host, session.id, hostId);
      expect(ownersLogged(session.id)).toEqual([1]);
      const subscriber = await receive(a.url, attendee, session.id, [hostId]);
      await eventually(() => subscriber.total > 20, { what: "RTP before the owner crashes" });
      const hostEvents = subscribe(sessionWsClient(at(a.url), host), MEDIA_EVENTS, { id: session.id });
      const attendeeEvents = subscribe(sessionWsClient(at(a.url), attendee), MEDIA_EVENTS, { id: session.id });
      await eventually(async () => (await call(a.url, attendee, PUBLISHERS, { sessionId: session.id })).data, {
        what: "the subscriptions to start",
      });

      // No graceful stop: the lease is still B's, but nothing listens on B's channel any more.
      const killedAt = Date.now();
      await b.kill();
      await restarted(hostEvents);
      const republished = await publish(a.url, host, session.id, hostId);
      await restarted(attendeeEvents);
      const resubscribed = await receive(a.url, attendee, session.id, [hostId]);
      await eventually(() => resubscribed.total > 0, { what: "RTP after the takeover" });
      const resumedAfter = Date.now() - killedAt;
      console.info(`SFU room taken over: media resumed ${resumedAfter} ms after SIGKILL to its owner`);
      expect(resumedAfter).toBeLessThan(10_000);
      expect(ownersLogged(session.id)).toEqual([0, 1]);
      await Promise.all([
        publisher.close(),
        subscriber.close(),
        republished.close(),
        resubscribed.close(),
        hostEvents.stop(),
        attendeeEvents.stop(),
      ]);
    });
  },
);
