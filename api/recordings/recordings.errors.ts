import { DomainError } from "../errors.ts";

/** The session allows recording but the host has not turned it on (which needs everyone's consent). */
export class RecordingNotOnError extends DomainError {
  override readonly code = "RECORDING_OFF";
  constructor() {
    super("Recording is off for this session: turn it on first (setSessionRecording), which needs everyone's consent");
  }
}

/** The recording is finished (or failed): no more chunks, no second finish. */
export class RecordingClosedError extends DomainError {
  override readonly code = "RECORDING_CLOSED";
  constructor(readonly status: string) {
    super(`This recording is ${status.toLowerCase()} and takes no more data`);
  }
}

/** A chunk arrived out of order; `expectedSeq` is the one the server waits for. */
export class ChunkOutOfOrderError extends DomainError {
  override readonly code = "CHUNK_OUT_OF_ORDER";
  constructor(
    readonly seq: number,
    readonly expectedSeq: number,
  ) {
    super(`Chunk ${seq} arrived out of order: the next expected chunk is ${expectedSeq}`);
  }
}

export class ChunkTooLargeError extends DomainError {
  override readonly code = "CHUNK_TOO_LARGE";
}

export class ChunkTypeError extends DomainError {
  override readonly code = "UNSUPPORTED_MEDIA_TYPE";
}
