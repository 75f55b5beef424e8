import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, open, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import type { Viewer } from "../auth/auth.service.ts";
import type { Clock } from "../clock.ts";
import { forbidden, InvalidTransitionError, NotFoundError, ValidationError } from "../errors.ts";
import type { FileLinks } from "../files/file-links.ts";
import { formatBytes } from "../files/file-store.ts";
import type { LiveSession, PrismaClient, SessionRecording } from "../generated/prisma/client.ts";
import { SessionOptionDisabledError } from "../sessions/sessions.errors.ts";
import {
  ChunkOutOfOrderError,
  ChunkTooLargeError,
  ChunkTypeError,
  RecordingClosedError,
  RecordingNotOnError,
} from "./recordings.errors.ts";

export interface RecordingLimits {
  chunkMaxBytes: number;
  maxBytes: number;
}

const mimeTypeInput = z
  .string()
  .trim()
  .toLowerCase()
  .max(200, "must be at most 200 characters")
  .regex(/^(video|audio)\/(webm|mp4)(\s*;.*)?$/, "expected a WebM or MP4 type such as video/webm;codecs=vp8,opus");

const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];

/** Whether the first bytes match the declared container: EBML header for WebM, an `ftyp` box for MP4. */
export function matchesContainer(mimeType: string, bytes: Uint8Array): boolean {
  if (/\/webm/.test(mimeType)) return EBML_MAGIC.every((byte, index) => bytes[index] === byte);
  return bytes.length >= 8 && Buffer.from(bytes.subarray(4, 8)).toString("latin1") === "ftyp";
}

/**
 * Recordings made in the host's browser, stored as one append-only file per recording under `<root>/<id>.rec`.
 * Chunks arrive in order (`seq` = the number of chunks stored so far); a chunk is appended after truncating the
 * file back to the committed size (so a crash mid-append loses at most that chunk), then the row is updated. A chunk
 * already stored is acknowledged without being written again. Work on one recording is serialized in-process.
 */
export class RecordingService {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly links: FileLinks,
    private readonly root: string,
    readonly limits: RecordingLimits,
  ) {}

  /** Host and admins see a session's recordings (the same rule as managing the session). */
  canView(viewer: Viewer | null, session: Pick<LiveSession, "hostId">): boolean {
    return viewer !== null && (viewer.role === "ADMIN" || viewer.userId === session.hostId);
  }

  /** Signed, short-lived download path, like `Attachment.url`. */
  downloadUrl(recording: Pick<SessionRecording, "id" | "status">): string | null {
    return recording.status === "COMPLETE" ? this.links.sign(`recordings/${recording.id}`) : null;
  }

  verifyLink(recordingId: string, expires: string | null, signature: string | null): boolean {
    return this.links.verify(`recordings/${recordingId}`, expires, signature);
  }

  /** A recording the viewer may download (COMPLETE, and host or admin), or null. */
  async visibleRecording(viewer: Viewer | null, recordingId: string) {
    const recording = await this.prisma.sessionRecording.findUnique({
      where: { id: recordingId },
      include: { session: { select: { hostId: true, publicId: true } } },
    });
    if (recording?.status !== "COMPLETE") return null;
    if (viewer !== null && !this.canView(viewer, recording.session)) return null;
    return recording;
  }

  /** The stored bytes of a recording, up to its committed size. */
  openFile(recordingId: string, size: number) {
    return createReadStream(this.pathOf(recordingId), { start: 0, end: Math.max(0, size - 1) });
  }

  pathOf(recordingId: string): string {
    if (!/^[a-z0-9]+$/i.test(recordingId)) throw new Error("not a recording id");
    return join(this.root, `${recordingId}.rec`);
  }

  /** Starts a recording: the session's host, while it is live and its recording is on (consent given). */
  async start(viewer: Viewer, sessionId: string, mimeType: unknown): Promise<SessionRecording> {
    const parsed = mimeTypeInput.safeParse(mimeType);
    if (!parsed.success) throw ValidationError.field("mimeType", parsed.error.issues[0]?.message ?? "invalid");
    const session = await this.prisma.liveSession.findUnique({ where: { id: sessionId } });
    if (!session) throw new NotFoundError("LiveSession");
    if (session.hostId !== viewer.userId) throw forbidden("Only the session's host records it");
    if (session.status !== "LIVE")
      throw new InvalidTransitionError(session.status, session.status, "recording happens only while live");
    if (!session.recordingEnabled) throw new SessionOptionDisabledError("RECORDING");
    if (!session.recording) throw new RecordingNotOnError();
    // A host whose tab crashed starts again: what the earlier recording holds is kept as its own file.
    await this.finalizeOpen(session.id);
    await mkdir(this.root, { recursive: true });
    const recording = await this.prisma.sessionRecording.create({
      data: { sessionId: session.id, startedById: viewer.userId, mimeType: parsed.data, startedAt: this.clock.now() },
    });
    await writeFile(this.pathOf(recording.id), new Uint8Array(0));
    return recording;
  }

  /**
   * Stores a recording the server made (a Janus room recording, converted: api/media/janus-recording.ts) as one
   * COMPLETE recording, so listing, download and analytics treat it like one uploaded from the host's browser.
   * The session's recording must be allowed (`recordingEnabled`); the file is copied in and the source left alone.
   */
  async importFile(input: {
    sessionId: string;
    startedById: string;
    sourcePath: string;
    mimeType: string;
    startedAt: Date;
    durationMs: number;
  }): Promise<SessionRecording> {
    const session = await this.prisma.liveSession.findUnique({ where: { id: input.sessionId } });
    if (!session) throw new NotFoundError("LiveSession");
    if (!session.recordingEnabled) throw new SessionOptionDisabledError("RECORDING");
    const recording = await this.prisma.sessionRecording.create({
      data: {
        sessionId: session.id,
        startedById: input.startedById,
        source: "SERVER",
        status: "PROCESSING",
        mimeType: mimeTypeInput.parse(input.mimeType),
        startedAt: input.startedAt,
      },
    });
    return this.storeFile(recording.id, input);
  }

  /**
   * Completes a server recording (source SERVER, RECORDING or PROCESSING) with the converted file: copied in, hashed,
   * COMPLETE with its real start and duration. A copy that fails leaves nothing behind: the row becomes FAILED.
   */
  async storeFile(
    recordingId: string,
    input: { sourcePath: string; mimeType: string; startedAt: Date; durationMs: number },
  ): Promise<SessionRecording> {
    const mimeType = mimeTypeInput.parse(input.mimeType);
    const { size } = await stat(input.sourcePath);
    if (size > this.limits.maxBytes) {
      const reason = `the recording is larger than ${formatBytes(this.limits.maxBytes)}`;
      await this.fail(recordingId, reason);
      throw new ChunkTooLargeError(`A recording may hold at most ${formatBytes(this.limits.maxBytes)}`);
    }
    await mkdir(this.root, { recursive: true });
    const path = this.pathOf(recordingId);
    try {
      await copyFile(input.sourcePath, path);
      const hash = createHash("sha256");
      await pipeline(createReadStream(path), hash);
      return await this.prisma.sessionRecording.update({
        where: { id: recordingId },
        data: {
          status: "COMPLETE",
          mimeType,
          size: BigInt(size),
          chunkCount: 1,
          sha256: hash.digest("hex"),
          startedAt: input.startedAt,
          endedAt: new Date(input.startedAt.getTime() + input.durationMs),
          durationMs: input.durationMs,
        },
      });
    } catch (error) {
      // Nothing half-written: the row says why, and the partial copy goes.
      await rm(path, { force: true });
      await this.fail(recordingId, "the server recording could not be stored");
      throw error;
    }
  }

  /** Who makes the recording (browser or media server), or null when it does not exist. */
  async sourceOf(recordingId: string): Promise<"BROWSER" | "SERVER" | null> {
    const row = await this.prisma.sessionRecording.findUnique({ where: { id: recordingId }, select: { source: true } });
    return row?.source ?? null;
  }

  /** A server recording whose media is being converted (the PWA shows "processing"). */
  async markProcessing(recordingId: string): Promise<SessionRecording> {
    await this.prisma.sessionRecording.updateMany({
      where: { id: recordingId, status: "RECORDING" },
      data: { status: "PROCESSING", endedAt: this.clock.now() },
    });
    return this.prisma.sessionRecording.findUniqueOrThrow({ where: { id: recordingId } });
  }

  /** Closes an open or processing recording as FAILED with a reason the host reads. */
  async fail(recordingId: string, reason: string): Promise<void> {
    await this.prisma.sessionRecording.updateMany({
      where: { id: recordingId, status: { in: ["RECORDING", "PROCESSING"] } },
      data: { status: "FAILED", failureReason: reason, endedAt: this.clock.now() },
    });
  }

  /** Stores chunk `seq`; returns whether it was a re-upload of a chunk already stored. */
  async appendChunk(
    viewer: Viewer,
    recordingId: string,
    seq: number,
    bytes: Uint8Array,
  ): Promise<{ recording: SessionRecording; duplicate: boolean }> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw ValidationError.field("seq", "must be a whole number from 0");
    return this.withLock(recordingId, async () => {
      const recording = await this.uploadable(viewer, recordingId);
      if (seq < recording.chunkCount) return { recording, duplicate: true };
      if (recording.status !== "RECORDING") throw new RecordingClosedError(recording.status);
      if (seq > recording.chunkCount) throw new ChunkOutOfOrderError(seq, recording.chunkCount);
      if (bytes.byteLength > this.limits.chunkMaxBytes)
        throw new ChunkTooLargeError(`A chunk may hold at most ${formatBytes(this.limits.chunkMaxBytes)}`);
      const size = Number(recording.size);
      if (size + bytes.byteLength > this.limits.maxBytes)
        throw new ChunkTooLargeError(`A recording may hold at most ${formatBytes(this.limits.maxBytes)}`);
      if (seq === 0 && !matchesContainer(recording.mimeType, bytes))
        throw new ChunkTypeError(`The first chunk is not ${recording.mimeType.split(";")[0]} data`);
      const path = this.pathOf(recording.id);
      const handle = await open(path, "r+");
      try {
        // Bytes past the committed size are from an append whose row update never happened: drop them.
        await handle.truncate(size);
        if (bytes.byteLength > 0) await handle.write(bytes, 0, bytes.byteLength, size);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const updated = await this.prisma.sessionRecording.update({
        where: { id: recording.id, chunkCount: seq, status: "RECORDING" },
        data: { chunkCount: seq + 1, size: BigInt(size + bytes.byteLength) },
      });
      return { recording: updated, duplicate: false };
    });
  }

  /** The host ends the recording: COMPLETE with size and SHA-256. Finishing a finished recording returns it. */
  async finish(viewer: Viewer, recordingId: string): Promise<SessionRecording> {
    const recording = await this.uploadable(viewer, recordingId);
    if (recording.status === "FAILED") throw new RecordingClosedError(recording.status);
    return this.finalize(recording.id);
  }

  /** Finalizes every open browser recording of a session (server recordings are closed by their own job). */
  async finalizeOpen(sessionId: string): Promise<void> {
    const open = await this.prisma.sessionRecording.findMany({
      where: { sessionId, status: "RECORDING", source: "BROWSER" },
      select: { id: true },
    });
    for (const { id } of open) await this.finalize(id);
  }

  /** Closes an open recording: COMPLETE with size and SHA-256, or FAILED when empty. A closed one is returned as is. */
  async finalize(recordingId: string): Promise<SessionRecording> {
    return this.withLock(recordingId, async () => {
      const recording = await this.prisma.sessionRecording.findUniqueOrThrow({ where: { id: recordingId } });
      if (recording.status !== "RECORDING" || recording.source !== "BROWSER") return recording;
      const now = this.clock.now();
      const ended = { endedAt: now, durationMs: Math.max(0, now.getTime() - recording.startedAt.getTime()) };
      if (recording.size === 0n) {
        return this.prisma.sessionRecording.update({
          where: { id: recording.id },
          data: { ...ended, status: "FAILED", failureReason: "no data was uploaded" },
        });
      }
      const path = this.pathOf(recording.id);
      await truncate(path, Number(recording.size));
      const hash = createHash("sha256");
      await pipeline(createReadStream(path), hash);
      return this.prisma.sessionRecording.update({
        where: { id: recording.id },
        data: { ...ended, status: "COMPLETE", sha256: hash.digest("hex") },
      });
    });
  }

  /** The recording if the viewer started it; admins are told FORBIDDEN, everyone else NotFound. */
  private async uploadable(viewer: Viewer, recordingId: string): Promise<SessionRecording> {
    const recording = await this.prisma.sessionRecording.findUnique({
      where: { id: recordingId },
      include: { session: { select: { hostId: true } } },
    });
    if (!recording) throw new NotFoundError("SessionRecording");
    if (recording.startedById !== viewer.userId) {
      if (this.canView(viewer, recording.session)) throw forbidden("Only the host who started it records");
      throw new NotFoundError("SessionRecording");
    }
    // The media server records SFU sessions itself: nothing is uploaded to (or finished on) those.
    if (recording.source === "SERVER") throw new RecordingClosedError("recorded by the media server");
    const { session: _session, ...row } = recording;
    return row;
  }

  private async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }
}
