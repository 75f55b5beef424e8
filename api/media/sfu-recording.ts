import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { JobRun } from "../jobs/job-worker.ts";
import type { Logger } from "../ops/logger.ts";
import type { RecordingService } from "../recordings/recordings.service.ts";
import { convertRoomRecording, findRoomTracks, removeTracks } from "./janus-recording.ts";
import type { MediaRooms } from "./media-router.ts";

/**
 * Recording of SFU sessions, done by the media server under the consent rules of every recording: the host turns it
 * on (`setSessionRecording`, which needs every admitted participant's consent) and a `SessionRecording` row with
 * source SERVER opens in that transaction (api/sessions/session-reactions.jobs.ts). Janus then records the session's
 * room into a folder of that recording (`<recordingsDir>/<recordingId>/`, VideoRoom `rec_dir` + `enable_recording`),
 * including a room recreated after a Janus restart. Turning it off or ending the session queues the
 * `recording.finalize` job, which lands here: PROCESSING, then janus-pp-rec per track and ffmpeg into one WebM
 * stored like a browser recording (COMPLETE, same download), and the `.mjr` files deleted. A crash mid-conversion
 * leaves the job to be retried (the conversion starts over from the `.mjr` files, which stay until it is stored).
 */
export class SfuRecordings {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      recordings: RecordingService;
      /** The session's room's recording switch: the broker, or in server mode the router to the room's owner. */
      rooms: Pick<MediaRooms, "startRecording" | "stopRecording">;
      /** Where Janus writes `.mjr` files, as this server sees it; null: this media server cannot record. */
      recordingsDir: string | null;
      logger: Logger;
      /** How long the job waits for Janus to close the recording's files before taking them as they are. */
      closeWaitMs?: number;
    },
  ) {}

  /** The folder of one server recording's `.mjr` files. */
  folderOf(recordingId: string): string | null {
    if (!this.deps.recordingsDir || !/^[a-z0-9]+$/i.test(recordingId)) return null;
    return join(this.deps.recordingsDir, recordingId);
  }

  /** The folder the session's room records into now (its open server recording's), created; null when not recording. */
  async openFolderOf(sessionId: string): Promise<string | null> {
    const open = await this.deps.prisma.sessionRecording.findFirst({
      where: { sessionId, source: "SERVER", status: "RECORDING", session: { recording: true } },
      select: { id: true },
    });
    const folder = open ? this.folderOf(open.id) : null;
    if (folder) await mkdir(folder, { recursive: true });
    return folder;
  }

  /**
   * Makes Janus's recording of the session's room follow the session: on while an open server recording exists and
   * the session's recording is on, off otherwise. Called on RECORDING_CHANGED, TOPOLOGY_CHANGED, ENDED.
   */
  async sync(sessionId: string): Promise<void> {
    if (!this.deps.recordingsDir) {
      const open = await this.deps.prisma.sessionRecording.findMany({
        where: { sessionId, source: "SERVER", status: "RECORDING" },
        select: { id: true },
      });
      for (const { id } of open)
        await this.deps.recordings.fail(
          id,
          "this media server cannot record (set JANUS_REC_DIR for an external Janus)",
        );
      return;
    }
    const folder = await this.openFolderOf(sessionId);
    if (folder) await this.deps.rooms.startRecording(sessionId, folder);
    else await this.deps.rooms.stopRecording(sessionId);
  }

  /** Waits until Janus closed (renamed) every `.mjr.tmp` of the folder, or the wait is over. */
  private async closed(folder: string): Promise<void> {
    const deadline = Date.now() + (this.deps.closeWaitMs ?? 15_000);
    while (Date.now() < deadline) {
      const names = await readdir(folder).catch(() => [] as string[]);
      if (!names.some((name) => name.endsWith(".mjr.tmp"))) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The `recording.finalize` job of a server recording: convert, store, clean up. Idempotent. */
  async finish(recordingId: string, run: Pick<JobRun, "attempt" | "maxAttempts">): Promise<void> {
    const row = await this.deps.prisma.sessionRecording.findUnique({ where: { id: recordingId } });
    if (row?.source !== "SERVER" || row.status === "COMPLETE" || row.status === "FAILED") return;
    const folder = this.folderOf(recordingId);
    if (!folder) {
      await this.deps.recordings.fail(recordingId, "this media server cannot record");
      return;
    }
    await this.deps.recordings.markProcessing(recordingId);
    await this.deps.rooms.stopRecording(row.sessionId, folder);
    await this.closed(folder);
    // Files still open now belong to a Janus that died (or never closed them): what they hold is kept.
    const tracks = await findRoomTracks(folder, null, { includeUnfinished: true });
    const work = await mkdtemp(join(tmpdir(), "sfu-recording-"));
    try {
      const converted = tracks.length > 0 ? await convertRoomRecording(tracks, join(work, "recording.webm")) : null;
      if (!converted) {
        await this.deps.recordings.fail(recordingId, "nothing was recorded: no one sent audio or video meanwhile");
      } else {
        await this.deps.recordings.storeFile(recordingId, { ...converted, sourcePath: converted.path });
      }
      await removeTracks(tracks);
      await rm(folder, { recursive: true, force: true });
    } catch (error) {
      this.deps.logger.warn({ err: error, recordingId, attempt: run.attempt }, "converting a server recording failed");
      if (run.attempt >= run.maxAttempts) {
        await this.deps.recordings.fail(recordingId, "the recording could not be converted into a playable file");
        await rm(folder, { recursive: true, force: true });
      }
      throw error;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
