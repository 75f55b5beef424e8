import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { readdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { janusPost } from "../../api/media/janus-http.ts";
import { importRoomRecording, probeDurationMs } from "../../api/media/janus-recording.ts";
import { type Actor, createCast } from "../fixtures.ts";
import { eventually, startTestServer, type TestServer } from "../harness.ts";
import { janusInstalled, janusToolsInstalled } from "../media-tools.ts";
import { createSession, hostAction, join } from "../session-fixtures.ts";
import { chromiumAvailable, launchChromium } from "./browser.ts";

/**
 * Recording through the SFU, end to end: Chromium (fake camera and microphone) publishes into a recorded Janus
 * VideoRoom room of the managed Janus; the room's `.mjr` files are converted (janus-pp-rec + ffmpeg) and stored as
 * the session's recording, which downloads like any other and plays for as long as the browser sent media.
 */
const HOST = "host";
const GUEST = "guest";

describe.skipIf(!chromiumAvailable || !janusInstalled || !janusToolsInstalled)("recording through Janus", () => {
  let server: TestServer;
  let browser: Browser;
  let agent: Actor;
  let customer: Actor;

  beforeAll(async () => {
    server = await startTestServer({ env: { JANUS: "on", ACCESS_TOKEN_TTL: "24h" } });
    ({ agent, customer } = await createCast(server));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A Janus API session with a VideoRoom handle, and its events (long poll). */
  async function janusHandle(url: string, secret: string) {
    const session = await janusPost<{ data: { id: number } }>(url, secret, { janus: "create" });
    const sessionUrl = `${url}/${session.data.id}`;
    const handle = await janusPost<{ data: { id: number } }>(sessionUrl, secret, {
      janus: "attach",
      plugin: "janus.plugin.videoroom",
    });
    const handleUrl = `${sessionUrl}/${handle.data.id}`;
    const events: Record<string, any>[] = [];
    // Janus holds a long poll up to 30 s when nothing happens: closing aborts it.
    const stopPolling = new AbortController();
    const poll = (async () => {
      while (!stopPolling.signal.aborted) {
        const response = await fetch(`${sessionUrl}?maxev=10&apisecret=${encodeURIComponent(secret)}`, {
          signal: stopPolling.signal,
        });
        const body = await response.json();
        events.push(...(Array.isArray(body) ? body : [body]));
      }
    })().catch(() => undefined);
    return {
      message: (body: Record<string, unknown>, jsep?: Record<string, unknown>) =>
        janusPost<Record<string, any>>(handleUrl, secret, { janus: "message", body, ...(jsep ? { jsep } : {}) }),
      trickleCompleted: () => janusPost(handleUrl, secret, { janus: "trickle", candidate: { completed: true } }),
      /** The event answering `transaction` (join, publish: Janus acks first, answers on the long poll). */
      answerTo: (transaction: string) =>
        eventually(() => events.find((event) => event.transaction === transaction && event.janus === "event"), {
          timeoutMs: 15_000,
          what: `Janus's answer to ${transaction}`,
        }),
      close: async () => {
        stopPolling.abort();
        await janusPost(sessionUrl, secret, { janus: "destroy" }).catch(() => undefined);
        await poll;
      },
    };
  }

  type Janus = Awaited<ReturnType<typeof janusHandle>>;

  /**
   * A recorded session and room, one Janus handle and one page per publisher; `close` ends them all. Every test's
   * publisher setup.
   */
  async function recordedRoom(publishers = 1) {
    const media = server.app.media;
    if (!media?.recordingsDir) throw new Error("no managed Janus");
    const recordingsDir = media.recordingsDir;
    const { sessionId, room } = await recordedSession();
    const handles: Janus[] = [];
    for (let index = 0; index < publishers; index++) handles.push(await janusHandle(media.url, media.apiSecret ?? ""));
    const context = await browser.newContext({ bypassCSP: true });
    const pages: Page[] = [];
    for (let index = 0; index < publishers; index++) pages.push(await context.newPage());
    return {
      media,
      recordingsDir,
      sessionId,
      room,
      handles,
      pages,
      close: async () => {
        await context.close();
        await Promise.all(handles.map((handle) => handle.close()));
      },
    };
  }

  /** The browser's offer (camera and microphone, send only), with its candidates. */
  async function offerFrom(page: Page): Promise<string> {
    return page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
      const pc = new RTCPeerConnection();
      for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((done) => {
        if (pc.iceGatheringState === "complete") done();
        pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && done());
      });
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      return pc.localDescription?.sdp ?? "";
    });
  }

  /** Audio packets (20 ms each) and video frames the browser has sent so far. */
  function sent(page: Page): Promise<{ audioPackets: number; videoFrames: number }> {
    return page.evaluate(async () => {
      const stats = await (window as unknown as { pc: RTCPeerConnection }).pc.getStats();
      let audioPackets = 0;
      let videoFrames = 0;
      stats.forEach((report) => {
        if (report.type !== "outbound-rtp") return;
        if (report.kind === "audio") audioPackets += report.packetsSent ?? 0;
        if (report.kind === "video") videoFrames += report.framesEncoded ?? 0;
      });
      return { audioPackets, videoFrames };
    });
  }

  /** A live session whose recording is on (a participant consented), and its room name. */
  async function recordedSession() {
    const session = await createSession(server, agent, { recordingEnabled: true });
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    await join(server, session.accessToken, customer.email, { recordingConsent: true });
    await hostAction(server, agent, "setSessionRecording", { id: session.id, recording: true });
    // VideoRoom rooms and feeds are strings (string_ids, as the API's broker names them).
    return { sessionId: session.id as string, room: `recording-test-${randomInt(1, 2 ** 47)}` };
  }

  async function createRecordedRoom(janus: Janus, room: string) {
    const created = await janus.message({
      request: "create",
      room,
      publishers: 3,
      is_private: true,
      videocodec: "vp8",
      audiocodec: "opus",
      record: true,
      rec_dir: server.app.media?.recordingsDir,
    });
    expect(created.plugindata.data).toMatchObject({ videoroom: "created", room });
  }

  /**
   * Chromium publishes camera and microphone as `feed` into a recorded room of the managed Janus (created by the
   * HOST feed) until it has sent three seconds of media; returns how long that took (from the answer on).
   */
  async function publishIntoRecordedRoom(page: Page, janus: Janus, room: string, feed = HOST) {
    if (feed === HOST) await createRecordedRoom(janus, room);
    const joining = await janus.message({
      request: "join",
      ptype: "publisher",
      room,
      id: feed,
      display: `feed ${feed}`,
    });
    expect((await janus.answerTo(joining.transaction)).plugindata.data).toMatchObject({ videoroom: "joined" });

    // A page of the app's origin: http://127.0.0.1 is a secure context, so getUserMedia works.
    await page.goto(`${server.url}/healthz`);
    const offer = await offerFrom(page);
    const publishing = await janus.message(
      { request: "publish", audio: true, video: true },
      { type: "offer", sdp: offer },
    );
    const answer = await janus.answerTo(publishing.transaction);
    expect(answer.jsep?.type).toBe("answer");
    await janus.trickleCompleted();
    await page.evaluate(
      (sdp) => (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: "answer", sdp }),
      answer.jsep.sdp as string,
    );
    // Three seconds of media: 150 audio packets of 20 ms, and video frames along.
    const publishedAt = Date.now();
    await eventually(async () => (await sent(page)).audioPackets >= 150, { timeoutMs: 30_000, what: "3 s of media" });
    expect((await sent(page)).videoFrames).toBeGreaterThan(20);
    return Date.now() - publishedAt;
  }

  const roomFiles = (room: string) =>
    readdirSync(server.app.media?.recordingsDir ?? "").filter((name) => name.startsWith(`videoroom-${room}-`));

  it("records a published stream, converts it to WebM and stores it as the session's recording", async () => {
    const fixture = await recordedRoom();
    const { sessionId, room, recordingsDir } = fixture;
    const [janus, page] = [fixture.handles[0] as Janus, fixture.pages[0] as Page];
    try {
      const publishedForMs = await publishIntoRecordedRoom(page, janus, room);
      await janus.message({ request: "unpublish" });
      await janus.message({ request: "destroy", room });
      // Janus renames the files from .mjr.tmp to .mjr once they are complete.
      await eventually(
        () => {
          const names = roomFiles(room);
          return names.length === 2 && names.every((name) => name.endsWith(".mjr"));
        },
        { what: "the room's two finished .mjr files" },
      );

      const recording = await importRoomRecording({
        recordings: server.app.services.recordings,
        recordingsDir,
        room,
        sessionId,
        startedById: agent.id,
        presenter: HOST,
      });
      expect(recording).toMatchObject({ status: "COMPLETE", mimeType: "video/webm;codecs=vp8,opus" });
      if (!recording) throw new Error("no recording");
      // The file plays for as long as media was sent: at least the 3 s counted, at most the time it took.
      const path = server.app.services.recordings.pathOf(recording.id);
      const durationMs = await probeDurationMs(path);
      expect(durationMs).toBeGreaterThanOrEqual(2500);
      expect(durationMs).toBeLessThanOrEqual(publishedForMs + 2000);
      expect(recording.durationMs).toBe(durationMs);
      const streams = execFileSync(
        "ffprobe",
        ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", path],
        { encoding: "utf8" },
      );
      expect(streams.trim().split("\n").sort()).toEqual(["opus,audio", "vp8,video"]);
      // The .mjr files are gone; the recording lists and downloads like a browser-made one.
      expect(roomFiles(room)).toEqual([]);
      const listed = await server.gql(
        `query($id: ID!) { liveSession(id: $id) { recordings { id status durationMs url } } }`,
        { id: sessionId },
        agent.token,
      );
      const [row] = listed.data?.liveSession.recordings ?? [];
      expect(row).toMatchObject({ id: recording.id, status: "COMPLETE", durationMs });
      const download = await fetch(`${server.url}${row.url}`);
      expect(download.status).toBe(200);
      expect(download.headers.get("content-type")).toBe("video/webm");
      expect((await download.arrayBuffer()).byteLength).toBe(Number(recording.size));
    } finally {
      await fixture.close();
    }
  });

  it("mixes every publisher's voice under the presenter's video", async () => {
    const fixture = await recordedRoom(2);
    const { sessionId, room, recordingsDir } = fixture;
    const [host, guest] = fixture.handles as [Janus, Janus];
    const [hostPage, guestPage] = fixture.pages as [Page, Page];
    try {
      await publishIntoRecordedRoom(hostPage, host, room);
      await publishIntoRecordedRoom(guestPage, guest, room, GUEST);
      await guest.message({ request: "unpublish" });
      await host.message({ request: "unpublish" });
      await host.message({ request: "destroy", room });
      await eventually(
        () => {
          const names = roomFiles(room);
          return names.length === 4 && names.every((name) => name.endsWith(".mjr"));
        },
        { what: "two publishers' finished .mjr files" },
      );
      const recording = await importRoomRecording({
        recordings: server.app.services.recordings,
        recordingsDir,
        room,
        sessionId,
        startedById: agent.id,
        presenter: HOST,
      });
      if (!recording) throw new Error("no recording");
      // One video (the host's) and one audio track, the two voices mixed, as long as the host published.
      const path = server.app.services.recordings.pathOf(recording.id);
      const streams = execFileSync(
        "ffprobe",
        ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", path],
        { encoding: "utf8" },
      );
      expect(streams.trim().split("\n").sort()).toEqual(["opus,audio", "vp8,video"]);
      expect(recording.durationMs).toBeGreaterThanOrEqual(5000);
    } finally {
      await fixture.close();
    }
  });

  it("keeps what a Janus killed mid-recording wrote, once the supervisor restarted it", async () => {
    const fixture = await recordedRoom();
    const { media, sessionId, room, recordingsDir } = fixture;
    const [janus, page] = [fixture.handles[0] as Janus, fixture.pages[0] as Page];
    try {
      await publishIntoRecordedRoom(page, janus, room);
      let restarted = false;
      const off = media.on("restarted", () => {
        restarted = true;
      });
      process.kill(media.pid() as number, "SIGKILL");
      await eventually(() => restarted, { what: "Janus restarted" });
      off();
      // The files were never closed: they keep their .tmp extension, and hold what was received.
      expect(roomFiles(room).every((name) => name.endsWith(".mjr.tmp"))).toBe(true);
      const recording = await importRoomRecording({
        recordings: server.app.services.recordings,
        recordingsDir,
        room,
        sessionId,
        startedById: agent.id,
        includeUnfinished: true,
      });
      expect(recording).toMatchObject({ status: "COMPLETE", mimeType: "video/webm;codecs=vp8,opus" });
      expect(recording?.durationMs).toBeGreaterThanOrEqual(2500);
      expect(roomFiles(room)).toEqual([]);
    } finally {
      await fixture.close();
    }
  });
});
