import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { createTicket, signUp } from "../../test/fixtures.ts";
import { killHard, withServerProcesses } from "../../test/server-process.ts";
import { createSession, hostAction } from "../../test/session-fixtures.ts";

// Two real server processes start one after the other on a shared 2-core machine.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

const processes = withServerProcesses("reactions");
const startServer = processes.start;

describe("reactions between domains survive a crash after the commit", () => {
  it("escalates the urgent ticket and finalizes the stopped recording on the next instance", async () => {
    // The job worker is off: the reactions are committed as jobs and nothing runs them in this process.
    const first = await startServer({ JOBS_WORKER: "off" });
    const admin = await signUp(first, "admin@example.com");
    const customer = await signUp(first, "carol@example.com");
    const ticket = await createTicket(first, customer, { priority: "URGENT", subject: "Production is down" });

    const session = await createSession(first, admin, { recordingEnabled: true });
    await hostAction(first, admin, "startLiveSession", { id: session.id });
    await hostAction(first, admin, "setSessionRecording", { id: session.id, recording: true });
    const started = await first.gql(
      `mutation($id: ID!) { startSessionRecording(sessionId: $id, mimeType: "video/mp4") {
        ... on SessionRecording { id } } }`,
      { id: session.id },
      admin.token,
    );
    const recordingId = started.data?.startSessionRecording.id as string;
    // An MP4 stream starts with an `ftyp` box.
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypmp42"), randomBytes(500)]);
    const chunk = await fetch(`${first.url}/recordings/${recordingId}/chunks/0`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", authorization: `Bearer ${admin.token}` },
      body: bytes,
    });
    expect(chunk.status).toBe(201);
    const off = await hostAction(first, admin, "setSessionRecording", { id: session.id, recording: false });
    expect(off.data?.setSessionRecording.__typename).toBe("LiveSession");

    const { prisma } = processes.database();
    const reactions = () =>
      prisma.job.findMany({
        where: { kind: { in: ["ticket.escalate", "recording.finalize"] } },
        select: { kind: true, status: true },
        orderBy: { kind: "asc" },
      });
    const escalations = () => prisma.liveSession.count({ where: { escalationOfTicketId: ticket.id } });
    const recordingStatus = async () =>
      (await prisma.sessionRecording.findUniqueOrThrow({ where: { id: recordingId } })).status;
    expect(await reactions()).toEqual([
      { kind: "recording.finalize", status: "PENDING" },
      { kind: "ticket.escalate", status: "PENDING" },
    ]);
    expect(await escalations()).toBe(0);
    expect(await recordingStatus()).toBe("RECORDING");

    await killHard(first.child);
    await startServer({ JOBS_WORKER: "on", JOBS_POLL_INTERVAL: "100ms" });

    await expect.poll(escalations, { timeout: 60_000 }).toBe(1);
    await expect.poll(recordingStatus, { timeout: 60_000 }).toBe("COMPLETE");
    await expect.poll(reactions, { timeout: 60_000 }).toEqual([
      { kind: "recording.finalize", status: "SUCCEEDED" },
      { kind: "ticket.escalate", status: "SUCCEEDED" },
    ]);
    const recording = await prisma.sessionRecording.findUniqueOrThrow({ where: { id: recordingId } });
    expect(recording.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    const call = await prisma.liveSession.findUniqueOrThrow({ where: { escalationOfTicketId: ticket.id } });
    expect(call).toMatchObject({ type: "SUPPORT_CALL", hostId: admin.id, title: "Urgent support: Production is down" });
  });
});
