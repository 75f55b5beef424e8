/**
 * Records a call in the host's browser: the mixed audio of everyone (WebAudio) and the active video (drawn on a
 * canvas, so the recorded video can switch between speakers and the shared screen without restarting
 * MediaRecorder). Chunks are handed to `upload` every `chunkMs` as they are produced, so a crash loses at most the
 * last chunk. Concatenated in order, the chunks form one playable WebM file.
 */
export interface RecordingChunk {
  /** 0, 1, 2, … in recording order. */
  index: number;
  data: Blob;
  /** True for the chunk emitted when recording stops. */
  final: boolean;
  mimeType: string;
}

export interface RecorderOptions {
  /** Sends one chunk to the server (the sessions API's upload endpoint); retried with backoff when it fails. */
  upload: (chunk: RecordingChunk) => Promise<void>;
  /** How often a chunk is cut, ms (default 5000). */
  chunkMs?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Upload attempts per chunk before `onError` is called (default 5). */
  maxAttempts?: number;
  onError?: (error: unknown) => void;
}

export const RECORDING_MIME_TYPES = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm"];

export class CallRecorder {
  private readonly audioContext = new AudioContext();
  private readonly destination = this.audioContext.createMediaStreamDestination();
  private readonly sources = new Map<string, MediaStreamAudioSourceNode>();
  private readonly canvas = document.createElement("canvas");
  private readonly video = Object.assign(document.createElement("video"), { muted: true, playsInline: true });
  private recorder: MediaRecorder | null = null;
  private drawTimer: ReturnType<typeof setInterval> | null = null;
  private index = 0;
  private queue: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | null = null;
  readonly mimeType: string;

  constructor(private readonly options: RecorderOptions) {
    this.canvas.width = options.width ?? 1280;
    this.canvas.height = options.height ?? 720;
    this.mimeType =
      RECORDING_MIME_TYPES.find(
        (type) => typeof MediaRecorder !== "undefined" && MediaRecorder.isTypeSupported(type),
      ) ?? "video/webm";
  }

  /** Adds (or replaces) one participant's audio in the mix. */
  setAudio(id: string, stream: MediaStream | null): void {
    this.sources.get(id)?.disconnect();
    this.sources.delete(id);
    if (!stream || stream.getAudioTracks().length === 0) return;
    const source = this.audioContext.createMediaStreamSource(stream);
    source.connect(this.destination);
    this.sources.set(id, source);
  }

  /** Which video is recorded now: the presenter's screen or the active speaker. */
  setActiveVideo(stream: MediaStream | null): void {
    if (this.video.srcObject === stream) return;
    this.video.srcObject = stream;
    if (stream) void this.video.play().catch(() => undefined);
  }

  private draw(): void {
    const context = this.canvas.getContext("2d");
    if (!context) return;
    context.fillStyle = "#000";
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const { videoWidth, videoHeight } = this.video;
    if (videoWidth > 0 && videoHeight > 0) {
      const scale = Math.min(this.canvas.width / videoWidth, this.canvas.height / videoHeight);
      const width = videoWidth * scale;
      const height = videoHeight * scale;
      context.drawImage(this.video, (this.canvas.width - width) / 2, (this.canvas.height - height) / 2, width, height);
    }
  }

  start(): void {
    if (this.recorder) return;
    void this.audioContext.resume();
    this.draw();
    // Timers rather than requestAnimationFrame: recording must go on when the tab is in the background.
    this.drawTimer = setInterval(() => this.draw(), 1000 / (this.options.fps ?? 15));
    const videoTrack = this.canvas.captureStream(this.options.fps ?? 15).getVideoTracks()[0];
    const stream = new MediaStream([...(videoTrack ? [videoTrack] : []), ...this.destination.stream.getAudioTracks()]);
    const recorder = new MediaRecorder(stream, { mimeType: this.mimeType });
    this.recorder = recorder;
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size === 0 && recorder.state !== "inactive") return;
      const chunk: RecordingChunk = {
        index: this.index++,
        data: event.data,
        final: recorder.state === "inactive",
        mimeType: this.mimeType,
      };
      this.queue = this.queue.then(() => this.uploadWithRetry(chunk));
    });
    recorder.start(this.options.chunkMs ?? 5000);
  }

  private async uploadWithRetry(chunk: RecordingChunk): Promise<void> {
    const attempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.upload(chunk);
        return;
      } catch (error) {
        if (attempt >= attempts) {
          this.options.onError?.(error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** attempt)));
      }
    }
  }

  get recording(): boolean {
    return this.recorder?.state === "recording";
  }

  /** Stops recording; resolves once the last chunk was uploaded. */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    const recorder = this.recorder;
    this.stopped = new Promise<void>((resolve) => {
      if (!recorder || recorder.state === "inactive") {
        resolve();
        return;
      }
      recorder.addEventListener("stop", () => resolve(), { once: true });
      recorder.stop();
    }).then(async () => {
      if (this.drawTimer) clearInterval(this.drawTimer);
      for (const track of recorder?.stream.getTracks() ?? []) track.stop();
      for (const source of this.sources.values()) source.disconnect();
      // "stop" fires after the last dataavailable, whose upload is queued by now.
      await this.queue;
      await this.audioContext.close();
    });
    return this.stopped;
  }
}
