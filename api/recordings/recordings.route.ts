import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { GraphQLError } from "graphql";
import type { AuthService, Viewer } from "../auth/auth.service.ts";
import { DomainError, NotFoundError, ValidationError } from "../errors.ts";
import { bearerToken } from "../http/request-auth.ts";
import { ChunkOutOfOrderError, ChunkTooLargeError, ChunkTypeError, RecordingClosedError } from "./recordings.errors.ts";
import type { RecordingService } from "./recordings.service.ts";

const CHUNK_PATH = /^\/recordings\/([A-Za-z0-9]+)\/chunks\/(\d{1,9})$/;
const DOWNLOAD_PATH = /^\/files\/recordings\/([A-Za-z0-9]+)$/;

/** Every path this route answers (chunk uploads and downloads); the HTTP router mounts it on these. */
export const RECORDING_PATHS = /^\/(?:files\/)?recordings\//;

function json(response: ServerResponse, status: number, body: Record<string, unknown>, close = false) {
  response
    .writeHead(status, { "content-type": "application/json", ...(close ? { connection: "close" } : {}) })
    .end(JSON.stringify(body));
}

/** Reads the body up to `limit` bytes; null when it is larger (the rest is not read). */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return null;
  const parts: Buffer[] = [];
  let total = 0;
  for await (const part of request as AsyncIterable<Buffer>) {
    total += part.byteLength;
    if (total > limit) return null;
    parts.push(part);
  }
  return Buffer.concat(parts);
}

function statusOf(error: DomainError): number {
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ChunkTooLargeError) return 413;
  if (error instanceof ChunkTypeError) return 415;
  if (error instanceof ChunkOutOfOrderError || error instanceof RecordingClosedError) return 409;
  if (error instanceof ValidationError) return 400;
  return 400;
}

/**
 * POST /recordings/<id>/chunks/<seq> (raw body, `Authorization: Bearer <host's access token>`): stores one chunk.
 * GET /files/recordings/<id>: downloads a finished recording with a signed link from `SessionRecording.url`, or with
 * `Authorization: Bearer` under the same rule as the field (the session's host and admins).
 */
export function createRecordingsRoute(deps: { auth: AuthService; recordings: RecordingService }) {
  const authenticate = async (request: IncomingMessage): Promise<Viewer | null> => {
    const bearer = bearerToken(request.headers.authorization);
    return bearer ? deps.auth.authenticate(bearer) : null;
  };

  async function upload(request: IncomingMessage, response: ServerResponse, recordingId: string, seq: number) {
    const viewer = await authenticate(request);
    if (!viewer) {
      json(response, 401, { code: "UNAUTHENTICATED", message: "Send the host's access token" }, true);
      request.resume();
      return;
    }
    const body = await readBody(request, deps.recordings.limits.chunkMaxBytes);
    if (!body) {
      const message = `A chunk may hold at most ${deps.recordings.limits.chunkMaxBytes} bytes`;
      json(response, 413, { code: "CHUNK_TOO_LARGE", message }, true);
      return;
    }
    try {
      const { recording, duplicate } = await deps.recordings.appendChunk(viewer, recordingId, seq, body);
      json(response, duplicate ? 200 : 201, {
        id: recording.id,
        seq,
        duplicate,
        chunkCount: recording.chunkCount,
        size: Number(recording.size),
      });
    } catch (error) {
      if (error instanceof DomainError) {
        const extra = error instanceof ChunkOutOfOrderError ? { expectedSeq: error.expectedSeq } : {};
        json(response, statusOf(error), { code: error.code, message: error.message, ...extra });
        return;
      }
      if (error instanceof GraphQLError && error.extensions.code === "FORBIDDEN") {
        json(response, 403, { code: "FORBIDDEN", message: error.message });
        return;
      }
      throw error;
    }
  }

  async function download(request: IncomingMessage, response: ServerResponse, recordingId: string, url: URL) {
    let recording: Awaited<ReturnType<RecordingService["visibleRecording"]>> = null;
    if (deps.recordings.verifyLink(recordingId, url.searchParams.get("expires"), url.searchParams.get("signature"))) {
      recording = await deps.recordings.visibleRecording(null, recordingId);
    } else {
      const viewer = await authenticate(request);
      if (!viewer) {
        response.writeHead(401, { "content-type": "text/plain; charset=utf-8" }).end("Sign in or use a fresh link");
        return;
      }
      recording = await deps.recordings.visibleRecording(viewer, recordingId);
    }
    if (!recording) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found");
      return;
    }
    const type = recording.mimeType.split(";")[0] ?? "application/octet-stream";
    const extension = type.endsWith("mp4") ? "mp4" : "webm";
    const fileName = `recording-${recording.session.publicId}-${recording.startedAt.toISOString().replace(/[:.]/g, "-")}.${extension}`;
    response.writeHead(200, {
      "content-type": type,
      "content-length": Number(recording.size),
      "content-disposition": `attachment; filename="${fileName}"`,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, max-age=300",
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    await pipeline(deps.recordings.openFile(recording.id, Number(recording.size)), response);
  }

  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const chunk = CHUNK_PATH.exec(url.pathname);
    if (chunk) {
      if (request.method !== "POST" && request.method !== "PUT") {
        response.writeHead(405, { allow: "POST, PUT" }).end();
        return;
      }
      await upload(request, response, chunk[1] as string, Number(chunk[2]));
      return;
    }
    const file = DOWNLOAD_PATH.exec(url.pathname);
    if (file) {
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      await download(request, response, file[1] as string, url);
      return;
    }
    response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found");
  };
}
