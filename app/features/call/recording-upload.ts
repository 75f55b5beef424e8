import type { RecordingChunk } from "./recorder.ts";

/**
 * Connects `CallRecorder` to the API: `startRecordingUpload` calls `startSessionRecording`, then hands back the
 * `upload` function the recorder takes (each chunk is POSTed raw to `/recordings/<id>/chunks/<index>` with the host's
 * access token; the server stores chunks in order and acknowledges a re-sent chunk without storing it twice) and
 * `finish`, which calls `finishSessionRecording` once the recorder has stopped.
 *
 *   const upload = await startRecordingUpload({ apiBase, accessToken, sessionId, mimeType: recorder.mimeType });
 *   const recorder = new CallRecorder({ upload: upload.upload });  // or construct first and pass its mimeType
 *   ...; await recorder.stop(); await upload.finish();
 */
export interface RecordingUploadOptions {
  /** Origin of the API, e.g. "" (same origin) or "https://support.example.com". */
  apiBase: string;
  /** The host's access token, or a getter returning the current one (tokens are refreshed during long calls). */
  accessToken: string | (() => string);
  sessionId: string;
  /** The recorder's `mimeType` (default video/webm). */
  mimeType?: string;
  fetch?: typeof fetch;
}

export interface FinishedRecording {
  id: string;
  status: "RECORDING" | "COMPLETE" | "FAILED";
  size: number;
  sha256: string | null;
  url: string | null;
}

export interface RecordingUpload {
  recordingId: string;
  /** Pass as `RecorderOptions.upload`; throws on failure so the recorder retries. */
  upload: (chunk: RecordingChunk) => Promise<void>;
  /** Marks the recording complete; call after `CallRecorder.stop()` resolved. */
  finish: () => Promise<FinishedRecording>;
}

/** A failure the server explained (`code` such as RECORDING_OFF, CHUNK_OUT_OF_ORDER, CHUNK_TOO_LARGE). */
export class RecordingUploadError extends Error {
  override name = "RecordingUploadError";
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const RECORDING_FIELDS = "id status size sha256 url";

export async function startRecordingUpload(options: RecordingUploadOptions): Promise<RecordingUpload> {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.apiBase.replace(/\/$/, "");
  const token = () => (typeof options.accessToken === "function" ? options.accessToken() : options.accessToken);

  async function gql(query: string, variables: Record<string, unknown>, field: string): Promise<FinishedRecording> {
    const response = await fetchImpl(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token()}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as {
      data?: Record<string, (FinishedRecording & { __typename: string; code?: string; message?: string }) | null>;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    const result = body.data?.[field];
    if (body.errors?.length || !result) {
      const error = body.errors?.[0];
      throw new RecordingUploadError(error?.extensions?.code ?? "ERROR", error?.message ?? `${field} failed`);
    }
    if (result.__typename !== "SessionRecording")
      throw new RecordingUploadError(result.code ?? result.__typename, result.message ?? result.__typename);
    return result;
  }

  const started = await gql(
    `mutation($sessionId: ID!, $mimeType: String!) { startSessionRecording(sessionId: $sessionId, mimeType: $mimeType) {
      __typename ... on Error { code message } ... on SessionRecording { ${RECORDING_FIELDS} } } }`,
    { sessionId: options.sessionId, mimeType: options.mimeType ?? "video/webm" },
    "startSessionRecording",
  );
  const recordingId = started.id;

  return {
    recordingId,
    upload: async (chunk) => {
      const response = await fetchImpl(`${base}/recordings/${encodeURIComponent(recordingId)}/chunks/${chunk.index}`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream", authorization: `Bearer ${token()}` },
        body: chunk.data,
      });
      if (response.ok) return;
      const failure = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new RecordingUploadError(
        failure.code ?? `HTTP_${response.status}`,
        failure.message ?? `Uploading chunk ${chunk.index} failed (${response.status})`,
        response.status,
      );
    },
    finish: () =>
      gql(
        `mutation($id: ID!) { finishSessionRecording(recordingId: $id) {
          __typename ... on Error { code message } ... on SessionRecording { ${RECORDING_FIELDS} } } }`,
        { id: recordingId },
        "finishSessionRecording",
      ),
  };
}
