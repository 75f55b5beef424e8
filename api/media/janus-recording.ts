import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { SessionRecording } from "../generated/prisma/client.ts";
import type { RecordingService } from "../recordings/recordings.service.ts";

const run = promisify(execFile);

/**
 * Recording through the SFU: Janus VideoRoom writes each publisher's tracks of a recorded room to its rec_dir as
 * `.mjr` files (RTP packets as received, one track per file, named `videoroom-<room>-user-<feed>-<time>-<kind>-<n>`).
 * This turns them into one playable WebM: `janus-pp-rec` (Debian's janus-tools) depacketizes each track (VP8/VP9 to
 * WebM, Opus to Ogg) without re-encoding; `ffmpeg` (Debian) then puts them in one file: the presenter's video
 * copied as is, and the audio of every publisher, each placed at the time it started, mixed (Opus re-encoded: cheap)
 * or copied when there is only one. Video of the other publishers is not composited (that would mean decoding and
 * encoding every stream); a webinar's file is the presenter with everyone's voice.
 */

export interface RecordedTrack {
  path: string;
  /** The feed (publisher) id the track belongs to. */
  feed: string;
  kind: "audio" | "video";
  codec: string;
  /** When the first packet was written (ms since epoch), from the file's header. */
  startedAt: number;
}

export interface ConvertedRecording {
  path: string;
  mimeType: string;
  durationMs: number;
  startedAt: Date;
}

export class RecordingConversionError extends Error {
  override name = "RecordingConversionError";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The header janus-pp-rec reads from an `.mjr` file: `t` a/v/d, `c` codec, `s` created and `u` first write (µs). */
async function readHeader(path: string): Promise<{ t: string; c: string; s: number; u?: number } | null> {
  try {
    const { stdout } = await run("janus-pp-rec", ["-j", path], { timeout: 30_000 });
    const json = /\{.*\}/s.exec(stdout)?.[0];
    return json ? JSON.parse(json) : null;
  } catch {
    return null;
  }
}

/**
 * The finished recordings (`.mjr`) of a room (null: of every room in the folder, e.g. a session's rooms before and
 * after a Janus restart), audio and video tracks only. `includeUnfinished` adds the `.mjr.tmp` files Janus was still
 * writing: what it recorded before it died (a managed Janus that crashed mid-session).
 */
export async function findRoomTracks(
  recordingsDir: string,
  room: string | number | null,
  options: { includeUnfinished?: boolean } = {},
): Promise<RecordedTrack[]> {
  const suffix = options.includeUnfinished ? "\\.mjr(?:\\.tmp)?" : "\\.mjr";
  const roomPattern = room === null ? ".+?" : escapeRegExp(String(room));
  const pattern = new RegExp(`^videoroom-${roomPattern}-user-(.+)-\\d+-(audio|video)(?:-\\d+)?${suffix}$`);
  const names = await readdir(recordingsDir).catch(() => [] as string[]);
  const tracks: RecordedTrack[] = [];
  for (const name of names.sort()) {
    const match = pattern.exec(name);
    if (!match) continue;
    const path = join(recordingsDir, name);
    const header = await readHeader(path);
    if (!header || (header.t !== "a" && header.t !== "v")) continue;
    tracks.push({
      path,
      feed: match[1] as string,
      kind: header.t === "a" ? "audio" : "video",
      codec: header.c,
      startedAt: Math.round((header.u ?? header.s) / 1000),
    });
  }
  return tracks;
}

/** The length of a media file, read by ffprobe. */
export async function probeDurationMs(path: string): Promise<number> {
  const { stdout } = await run(
    "ffprobe",
    ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path],
    { timeout: 60_000 },
  );
  const seconds = Number.parseFloat(stdout.trim());
  if (!Number.isFinite(seconds)) throw new RecordingConversionError(`no duration in ${path}`);
  return Math.round(seconds * 1000);
}

/** Depacketizes one track: VP8/VP9 to WebM, Opus to Ogg. */
async function depacketize(track: RecordedTrack, dir: string, index: number): Promise<string | null> {
  const extension =
    track.kind === "video" ? (/^vp[89]$/.test(track.codec) ? "webm" : null) : track.codec === "opus" ? "opus" : null;
  if (!extension) return null;
  const out = join(dir, `${index}-${track.kind}.${extension}`);
  await run("janus-pp-rec", [track.path, out], { timeout: 10 * 60_000 });
  const size = await stat(out).then(
    (file) => file.size,
    () => 0,
  );
  return size > 0 ? out : null;
}

/**
 * Converts a room's tracks into one WebM at `outPath`: the video of `presenter` (or of the publisher whose video
 * file is largest) and the audio of every publisher. Null when the room recorded nothing playable.
 */
export async function convertRoomRecording(
  tracks: RecordedTrack[],
  outPath: string,
  options: { presenter?: string | number } = {},
): Promise<ConvertedRecording | null> {
  if (tracks.length === 0) return null;
  const work = await mkdtemp(join(tmpdir(), "janus-recording-"));
  try {
    const videos: { track: RecordedTrack; file: string; size: number }[] = [];
    const audios: { track: RecordedTrack; file: string }[] = [];
    for (const [index, track] of tracks.entries()) {
      const file = await depacketize(track, work, index);
      if (!file) continue;
      if (track.kind === "video") videos.push({ track, file, size: (await stat(file)).size });
      else audios.push({ track, file });
    }
    const video =
      videos.find((candidate) => candidate.track.feed === String(options.presenter)) ??
      videos.sort((a, b) => b.size - a.size)[0];
    if (!video && audios.length === 0) return null;
    const inputs = [...(video ? [video] : []), ...audios];
    const origin = Math.min(...inputs.map((input) => input.track.startedAt));
    const args = ["-y", "-v", "error"];
    for (const input of inputs) {
      const offset = (input.track.startedAt - origin) / 1000;
      if (offset > 0 && (input === video || audios.length === 1)) args.push("-itsoffset", offset.toFixed(3));
      args.push("-i", input.file);
    }
    const audioStart = video ? 1 : 0;
    if (video) args.push("-map", "0:v", "-c:v", "copy");
    if (audios.length === 1) {
      args.push("-map", `${audioStart}:a`, "-c:a", "copy");
    } else if (audios.length > 1) {
      // Each voice delayed to when it started, then mixed at full level (normalize=0 keeps a lone voice as loud).
      const delayed = audios.map((input, index) => {
        const delayMs = input.track.startedAt - origin;
        return `[${audioStart + index}:a]adelay=${delayMs}:all=1[a${index}]`;
      });
      const mixed = `${audios.map((_, index) => `[a${index}]`).join("")}amix=inputs=${audios.length}:duration=longest:normalize=0[mix]`;
      args.push("-filter_complex", [...delayed, mixed].join(";"), "-map", "[mix]", "-c:a", "libopus", "-b:a", "64k");
    }
    args.push("-f", "webm", outPath);
    await run("ffmpeg", args, { timeout: 30 * 60_000 });
    const codecs = [video ? video.track.codec : null, audios.length > 0 ? "opus" : null].filter(Boolean).join(",");
    return {
      path: outPath,
      mimeType: `${video ? "video" : "audio"}/webm;codecs=${codecs}`,
      durationMs: await probeDurationMs(outPath),
      startedAt: new Date(origin),
    };
  } catch (error) {
    if (error instanceof RecordingConversionError) throw error;
    throw new RecordingConversionError(`converting the room recording failed: ${(error as Error).message}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Deletes a room's `.mjr` files once they are converted (or found unusable). */
export async function removeTracks(tracks: RecordedTrack[]): Promise<void> {
  await Promise.all(tracks.map((track) => rm(track.path, { force: true })));
}

/**
 * Turns a recorded room into a stored recording: converted, handed to the recordings storage (same download,
 * listing and analytics as the host's browser recordings), then the `.mjr` files are deleted. The caller records a
 * room only under the consent rules of today's recordings (the session's recording on), and calls this once the
 * room's recording stopped (Janus renamed its `.mjr.tmp` files). Janus closes a publisher's files when it
 * unpublishes or its PeerConnection ends (seen here: a publisher that only sent `leave`, its PeerConnection still
 * up, kept them open even after the room was destroyed): unpublish first, or pass `includeUnfinished`.
 * Null when the room recorded nothing.
 */
export async function importRoomRecording(deps: {
  recordings: RecordingService;
  recordingsDir: string;
  /** The VideoRoom room id. */
  room: string | number;
  sessionId: string;
  startedById: string;
  /** The feed (publisher) id whose video the file shows; by default the one with the most video. */
  presenter?: string | number;
  /** Also the `.mjr.tmp` files of a Janus that died while recording. */
  includeUnfinished?: boolean;
}): Promise<SessionRecording | null> {
  const tracks = await findRoomTracks(deps.recordingsDir, deps.room, { includeUnfinished: deps.includeUnfinished });
  if (tracks.length === 0) return null;
  const work = await mkdtemp(join(tmpdir(), "janus-import-"));
  try {
    const converted = await convertRoomRecording(tracks, join(work, "recording.webm"), { presenter: deps.presenter });
    if (!converted) return null;
    const recording = await deps.recordings.importFile({
      sessionId: deps.sessionId,
      startedById: deps.startedById,
      sourcePath: converted.path,
      mimeType: converted.mimeType,
      startedAt: converted.startedAt,
      durationMs: converted.durationMs,
    });
    await removeTracks(tracks);
    return recording;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
