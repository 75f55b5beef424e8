import { createHash, randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startRecordingUpload } from "../../app/features/call/recording-upload.ts";
import { type Actor, createCast, invite } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { createSession, hostAction, join, participantGql } from "../../test/session-fixtures.ts";

vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let server: TestServer;
let admin: Actor;
let agent: Actor;
let otherAgent: Actor;
let customer: Actor;
beforeAll(async () => {
  server = await startTestServer({
    env: { ACCESS_TOKEN_TTL: "24h", RECORDING_CHUNK_MAX_BYTES: "64KB", RECORDING_MAX_BYTES: "100KB" },
  });
  ({ admin, agent, customer } = await createCast(server));
  otherAgent = await invite(server, admin, "other-agent@example.com", "AGENT");
});
afterAll(async () => {
  await server?.close();
});

/** A WebM stream starts with an EBML header (magic 1A 45 DF A3, DocType "webm"); the rest stands in for clusters. */
function webmHeader(): Buffer {
  return Buffer.from([
    0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04, 0x42, 0xf3,
    0x81, 0x08, 0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6d, 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02,
  ]);
}

const RECORDING_FIELDS = `id status mimeType size chunkCount sha256 failureReason startedAt endedAt durationMs uploadPath url`;

async function startRecording(actor: Actor, sessionId: string, mimeType = "video/webm;codecs=vp8,opus") {
  const result = await server.gql(
    `mutation($sessionId: ID!, $mimeType: String!) { startSessionRecording(sessionId: $sessionId, mimeType: $mimeType) {
      __typename ... on Error { code message } ... on ValidationError { fieldErrors { path } }
      ... on SessionRecording { ${RECORDING_FIELDS} } } }`,
    { sessionId, mimeType },
    actor.token,
  );
  return result;
}

async function finishRecording(actor: Actor, recordingId: string) {
  const result = await server.gql(
    `mutation($id: ID!) { finishSessionRecording(recordingId: $id) {
      __typename ... on Error { code } ... on SessionRecording { ${RECORDING_FIELDS} } } }`,
    { id: recordingId },
    actor.token,
  );
  return result.data?.finishSessionRecording;
}

function postChunk(recordingId: string, seq: number, body: Uint8Array, token?: string) {
  return fetch(`${server.url}/recordings/${recordingId}/chunks/${seq}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body as Uint8Array<ArrayBuffer>,
  });
}

/** A live session with recording on: one participant (the signed-in customer) consented. */
async function recordingSession() {
  const session = await createSession(server, agent, { recordingEnabled: true });
  await hostAction(server, agent, "startLiveSession", { id: session.id });
  const joined = await join(server, session.accessToken, customer.email, { recordingConsent: true });
  const on = await hostAction(server, agent, "setSessionRecording", { id: session.id, recording: true }, "__typename");
  expect(on.data?.setSessionRecording.__typename).toBe("LiveSession");
  return { session, participantToken: joined.participantToken as string };
}

const SESSION_RECORDINGS = `query($id: ID!) { liveSession(id: $id) { id recordings { ${RECORDING_FIELDS} } } }`;

describe("recordings", () => {
  it("starts only for the host of a live session whose recording is on", async () => {
    const plain = await createSession(server, agent);
    await hostAction(server, agent, "startLiveSession", { id: plain.id });
    expect((await startRecording(agent, plain.id)).data?.startSessionRecording.__typename).toBe(
      "SessionOptionDisabledError",
    );

    const session = await createSession(server, agent, { recordingEnabled: true });
    expect((await startRecording(agent, session.id)).data?.startSessionRecording.__typename).toBe(
      "InvalidTransitionError",
    );
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    await join(server, session.accessToken, "no-consent@example.com");
    const off = (await startRecording(agent, session.id)).data?.startSessionRecording;
    expect(off).toMatchObject({ __typename: "RecordingNotOnError", code: "RECORDING_OFF" });

    const { session: on } = await recordingSession();
    expect((await startRecording(otherAgent, on.id)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await startRecording(customer, on.id)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const badType = (await startRecording(agent, on.id, "application/x-msdownload")).data?.startSessionRecording;
    expect(badType).toMatchObject({ __typename: "ValidationError", fieldErrors: [{ path: "mimeType" }] });
    expect(await server.app.prisma.sessionRecording.count({ where: { sessionId: on.id } })).toBe(0);
  });

  it("stores chunks in order once, finishes with size and SHA-256, and serves the exact bytes to host and admins", async () => {
    const { session, participantToken } = await recordingSession();
    const started = (await startRecording(agent, session.id)).data?.startSessionRecording;
    expect(started).toMatchObject({ __typename: "SessionRecording", status: "RECORDING", chunkCount: 0, url: null });
    const id = started.id as string;
    const chunks = [Buffer.concat([webmHeader(), randomBytes(2000)]), randomBytes(3000), randomBytes(1500)];

    expect((await postChunk(id, 0, chunks[0] as Buffer, agent.token)).status).toBe(201);
    expect((await postChunk(id, 1, chunks[1] as Buffer, agent.token)).status).toBe(201);
    // The second chunk again (a retry whose answer was lost): acknowledged, not stored twice.
    const again = await postChunk(id, 1, chunks[1] as Buffer, agent.token);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true, chunkCount: 2 });
    const skipped = await postChunk(id, 3, chunks[2] as Buffer, agent.token);
    expect(skipped.status).toBe(409);
    expect(await skipped.json()).toMatchObject({ code: "CHUNK_OUT_OF_ORDER", expectedSeq: 2 });
    expect((await postChunk(id, 2, chunks[2] as Buffer, agent.token)).status).toBe(201);

    // Nobody else may add data: anonymous 401, other users 404, an admin (who may see it) 403.
    expect((await postChunk(id, 3, randomBytes(10))).status).toBe(401);
    expect((await postChunk(id, 3, randomBytes(10), "not-a-token")).status).toBe(401);
    expect((await postChunk(id, 3, randomBytes(10), otherAgent.token)).status).toBe(404);
    expect((await postChunk(id, 3, randomBytes(10), customer.token)).status).toBe(404);
    expect((await postChunk(id, 3, randomBytes(10), admin.token)).status).toBe(403);
    expect((await postChunk("nope", 0, randomBytes(10), agent.token)).status).toBe(404);

    const expected = Buffer.concat(chunks);
    const finished = await finishRecording(agent, id);
    expect(finished).toMatchObject({
      __typename: "SessionRecording",
      status: "COMPLETE",
      chunkCount: 3,
      size: expected.byteLength,
      sha256: createHash("sha256").update(expected).digest("hex"),
    });
    expect(finished.endedAt).not.toBeNull();
    expect((await postChunk(id, 3, randomBytes(10), agent.token)).status).toBe(409);
    expect((await finishRecording(agent, id)).status).toBe("COMPLETE");

    for (const viewer of [agent, admin]) {
      const listed = await server.gql(SESSION_RECORDINGS, { id: session.id }, viewer.token);
      expect(listed.errors).toBeUndefined();
      expect(listed.data?.liveSession.recordings.map((row: { id: string }) => row.id)).toEqual([id]);
      const url = listed.data?.liveSession.recordings[0].url as string;
      expect(url).toMatch(new RegExp(`^/files/recordings/${id}\\?expires=\\d+&signature=`));
      const download = await fetch(`${server.url}${url}`);
      expect(download.status).toBe(200);
      expect(download.headers.get("content-type")).toBe("video/webm");
      expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename="recording-SES-.*\.webm"$/);
      expect(Buffer.from(await download.arrayBuffer()).equals(expected)).toBe(true);
    }
    // Not for other agents (the session is not theirs) nor for participants.
    expect((await server.gql(SESSION_RECORDINGS, { id: session.id }, otherAgent.token)).data?.liveSession).toBeNull();
    const asParticipant = await participantGql(server, SESSION_RECORDINGS, { id: session.id }, participantToken);
    expect(asParticipant.errors?.[0]).toMatchObject({
      path: ["liveSession", "recordings"],
      extensions: { code: "FORBIDDEN" },
    });
    const asSignedInParticipant = await participantGql(
      server,
      SESSION_RECORDINGS,
      { id: session.id },
      participantToken,
      customer.token,
    );
    expect(asSignedInParticipant.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    // The download itself: the same rule with a bearer token; a bad signature is no signature.
    const path = `${server.url}/files/recordings/${id}`;
    expect((await fetch(path)).status).toBe(401);
    expect((await fetch(`${path}?expires=9999999999&signature=forged`)).status).toBe(401);
    expect((await fetch(path, { headers: { authorization: `Bearer ${otherAgent.token}` } })).status).toBe(404);
    expect((await fetch(path, { headers: { authorization: `Bearer ${customer.token}` } })).status).toBe(404);
    const byAdmin = await fetch(path, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(Buffer.from(await byAdmin.arrayBuffer()).equals(expected)).toBe(true);
    // Links expire.
    const listed = await server.gql(SESSION_RECORDINGS, { id: session.id }, agent.token);
    server.clock.advance(16 * 60_000);
    expect((await fetch(`${server.url}${listed.data?.liveSession.recordings[0].url}`)).status).toBe(401);
    server.clock.advance(-16 * 60_000);
  });

  it("refuses a first chunk that is not WebM, and chunks over the chunk or recording limit, storing nothing", async () => {
    const { session } = await recordingSession();
    const id = (await startRecording(agent, session.id)).data?.startSessionRecording.id as string;
    const notWebm = await postChunk(id, 0, Buffer.from("MZ this is a program"), agent.token);
    expect(notWebm.status).toBe(415);
    expect(await notWebm.json()).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });

    const first = Buffer.concat([webmHeader(), randomBytes(40 * 1024)]);
    expect((await postChunk(id, 0, first, agent.token)).status).toBe(201);
    const tooBig = await postChunk(id, 1, randomBytes(65 * 1024), agent.token);
    expect(tooBig.status).toBe(413);
    const second = randomBytes(40 * 1024);
    expect((await postChunk(id, 1, second, agent.token)).status).toBe(201);
    // 80 KB stored; 30 KB more passes the 100 KB recording limit.
    const overTotal = await postChunk(id, 2, randomBytes(30 * 1024), agent.token);
    expect(overTotal.status).toBe(413);
    expect(await overTotal.json()).toMatchObject({ code: "CHUNK_TOO_LARGE" });
    const row = await server.app.prisma.sessionRecording.findUniqueOrThrow({ where: { id } });
    expect({ chunkCount: row.chunkCount, size: Number(row.size) }).toEqual({ chunkCount: 2, size: 80 * 1024 + 36 });
    const finished = await finishRecording(agent, id);
    expect(finished).toMatchObject({ status: "COMPLETE", size: 80 * 1024 + 36 });
    const download = await fetch(`${server.url}${finished.url}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it("turning recording off or ending the session finalizes the open recording", async () => {
    const { session } = await recordingSession();
    const first = (await startRecording(agent, session.id)).data?.startSessionRecording.id as string;
    const bytes = Buffer.concat([webmHeader(), randomBytes(500)]);
    expect((await postChunk(first, 0, bytes, agent.token)).status).toBe(201);
    await hostAction(server, agent, "setSessionRecording", { id: session.id, recording: false });
    // The finalize is a job queued with the change; the worker is off in tests.
    await server.app.services.jobs.drain();
    const afterOff = await server.app.prisma.sessionRecording.findUniqueOrThrow({ where: { id: first } });
    expect(afterOff).toMatchObject({ status: "COMPLETE", size: BigInt(bytes.byteLength) });
    expect((await startRecording(agent, session.id)).data?.startSessionRecording.__typename).toBe(
      "RecordingNotOnError",
    );

    await hostAction(server, agent, "setSessionRecording", { id: session.id, recording: true });
    const second = (await startRecording(agent, session.id)).data?.startSessionRecording.id as string;
    expect((await postChunk(second, 0, bytes, agent.token)).status).toBe(201);
    await hostAction(server, agent, "endLiveSession", { id: session.id });
    await server.app.services.jobs.drain();
    const rows = await server.app.prisma.sessionRecording.findMany({
      where: { sessionId: session.id },
      orderBy: { startedAt: "asc" },
    });
    expect(rows.map((row) => row.status)).toEqual(["COMPLETE", "COMPLETE"]);
    expect(rows[1]?.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect((await postChunk(second, 1, randomBytes(10), agent.token)).status).toBe(409);
  });

  it("bytes of an append cut short by a crash are dropped before the next chunk", async () => {
    const { session } = await recordingSession();
    const id = (await startRecording(agent, session.id)).data?.startSessionRecording.id as string;
    const first = Buffer.concat([webmHeader(), randomBytes(300)]);
    expect((await postChunk(id, 0, first, agent.token)).status).toBe(201);
    // The process died while appending chunk 1: part of it is in the file, the row still says one chunk.
    appendFileSync(server.app.services.recordings.pathOf(id), randomBytes(123));
    const second = randomBytes(400);
    expect((await postChunk(id, 1, second, agent.token)).status).toBe(201);
    const finished = await finishRecording(agent, id);
    const download = await fetch(`${server.url}${finished.url}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it("a recording restarted after a crash keeps the earlier one; an empty one is FAILED", async () => {
    const { session } = await recordingSession();
    const crashed = (await startRecording(agent, session.id)).data?.startSessionRecording.id as string;
    const again = (await startRecording(agent, session.id)).data?.startSessionRecording.id as string;
    expect(again).not.toBe(crashed);
    const row = await server.app.prisma.sessionRecording.findUniqueOrThrow({ where: { id: crashed } });
    expect(row).toMatchObject({ status: "FAILED", failureReason: "no data was uploaded" });
    expect((await finishRecording(agent, crashed)).code).toBe("RECORDING_CLOSED");
  });

  it("the PWA's recording-upload module starts, uploads the recorder's chunks and finishes", async () => {
    const { session } = await recordingSession();
    const off = await createSession(server, agent, { recordingEnabled: true });
    await hostAction(server, agent, "startLiveSession", { id: off.id });
    await expect(
      startRecordingUpload({ apiBase: server.url, accessToken: agent.token, sessionId: off.id }),
    ).rejects.toMatchObject({ code: "RECORDING_OFF" });

    const mimeType = "video/webm;codecs=vp8,opus";
    const upload = await startRecordingUpload({
      apiBase: `${server.url}/`,
      accessToken: () => agent.token,
      sessionId: session.id,
      mimeType,
    });
    const parts = [Buffer.concat([webmHeader(), randomBytes(1000)]), randomBytes(700)];
    const chunks = parts.map((part, index) => ({ index, data: new Blob([part]), final: index === 1, mimeType }));
    await upload.upload(chunks[0] as (typeof chunks)[0]);
    await upload.upload(chunks[0] as (typeof chunks)[0]);
    await expect(upload.upload({ ...(chunks[1] as (typeof chunks)[0]), index: 5 })).rejects.toMatchObject({
      code: "CHUNK_OUT_OF_ORDER",
      status: 409,
    });
    await upload.upload(chunks[1] as (typeof chunks)[0]);
    const finished = await upload.finish();
    const expected = Buffer.concat(parts);
    expect(finished).toMatchObject({
      id: upload.recordingId,
      status: "COMPLETE",
      size: expected.byteLength,
      sha256: createHash("sha256").update(expected).digest("hex"),
    });
    const download = await fetch(`${server.url}${finished.url}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(expected)).toBe(true);
  });
});
