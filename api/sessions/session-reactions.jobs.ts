import type { Viewer } from "../auth/auth.service.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { JobRun, JobWorker } from "../jobs/job-worker.ts";
import { enqueueJob } from "../jobs/jobs.service.ts";
import type { RecordingService } from "../recordings/recordings.service.ts";
import type { SessionService } from "./sessions.service.ts";

/**
 * Reactions between domains, as jobs written in the transaction of the change that causes them: a crash after
 * the commit delays the reaction until a worker runs it, never loses it. Each handler is idempotent, so a retry
 * or a second job for the same change does no harm.
 */
declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /**
     * A ticket was created urgent or raised to urgent by `actor`: the sessions domain schedules its support call.
     * At most one per ticket, however many jobs ask for it.
     */
    "ticket.escalate": { ticketId: string; actor: Viewer };
    /** Recording was turned off or the session ended while this recording was open: close it (size, SHA-256). */
    "recording.finalize": { recordingId: string };
  }
}

/**
 * Queues the finalize of every recording of the session that is open now, in the caller's transaction. One job per
 * recording, ever (dedupe key): stopping twice before the worker runs queues nothing more. Recordings started later
 * (recording turned on again) are not touched.
 */
export async function finalizeOpenRecordingsLater(tx: Prisma.TransactionClient, sessionId: string, now: Date) {
  const open = await tx.sessionRecording.findMany({
    where: { sessionId, status: "RECORDING" },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  for (const { id } of open) {
    await enqueueJob(
      tx,
      "recording.finalize",
      { recordingId: id },
      { runAt: now, dedupeKey: `recording-finalize:${id}` },
    );
  }
}

/**
 * Opens the media server's recording of an SFU session (source SERVER, one at a time), in the caller's transaction:
 * recording turned on in an SFU session, or a recorded session moving to the SFU. The media side starts Janus's
 * room recording when it hears RECORDING_CHANGED / TOPOLOGY_CHANGED; the finalize job converts it.
 */
export async function openServerRecording(
  tx: Prisma.TransactionClient,
  session: { id: string; hostId: string },
  now: Date,
): Promise<void> {
  const open = await tx.sessionRecording.findFirst({
    where: { sessionId: session.id, source: "SERVER", status: "RECORDING" },
    select: { id: true },
  });
  if (open) return;
  await tx.sessionRecording.create({
    data: {
      sessionId: session.id,
      startedById: session.hostId,
      source: "SERVER",
      mimeType: "video/webm",
      startedAt: now,
    },
  });
}

/** Converts a finished server recording (api/media/sfu-recording.ts); registered by the media side. */
export type ServerRecordingFinisher = (recordingId: string, run: JobRun) => Promise<void>;

export function registerSessionReactionJobs(
  worker: JobWorker,
  deps: { sessions: SessionService; recordings: RecordingService; finishServerRecording?: ServerRecordingFinisher },
): void {
  worker.register("ticket.escalate", async ({ ticketId, actor }) => {
    await deps.sessions.ticketCalls.escalateTicket(ticketId, actor);
  });
  // Finalizing a recording that is already closed (finished by the host, or by an earlier run) changes nothing.
  // A server recording (SFU session) is converted instead: janus-pp-rec and ffmpeg, retried if the process dies.
  worker.register("recording.finalize", async ({ recordingId }, run) => {
    const row = await deps.recordings.sourceOf(recordingId);
    if (row === "SERVER" && deps.finishServerRecording) await deps.finishServerRecording(recordingId, run);
    else if (row === "SERVER") await deps.recordings.fail(recordingId, "this server has no media server to record");
    else await deps.recordings.finalize(recordingId);
  });
}
