import type { LocalState } from "./call-types.ts";

interface LocalMediaOptions {
  /** Camera constraints besides the device (default: ideal 1280×720). */
  videoConstraints?: MediaTrackConstraints;
  /** Puts a new track on every connection's sender of that kind (no renegotiation). */
  replaceOnSenders: (kind: "audio" | "video", track: MediaStreamTrack | null) => Promise<void>;
  /** A toggle changed (mute, camera, screen share): the others are told and the store publishes a new state. */
  toggled: () => void;
}

/** Lists cameras, microphones and speakers (labels appear once the user allowed media). */
export async function listDevices(): Promise<{
  audio: MediaDeviceInfo[];
  video: MediaDeviceInfo[];
  output: MediaDeviceInfo[];
}> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return {
    audio: devices.filter((device) => device.kind === "audioinput"),
    video: devices.filter((device) => device.kind === "videoinput"),
    output: devices.filter((device) => device.kind === "audiooutput"),
  };
}

/** A black video track, so a sender exists for screen share even without a camera. */
function blankVideoTrack(): MediaStreamTrack {
  const canvas = Object.assign(document.createElement("canvas"), { width: 320, height: 180 });
  const context = canvas.getContext("2d");
  if (context) context.fillRect(0, 0, canvas.width, canvas.height);
  const track = canvas.captureStream(1).getVideoTracks()[0];
  if (!track) throw new Error("canvas capture is not supported");
  return track;
}

/**
 * This participant's camera, microphone and screen: one local stream whose video track is the camera or, while
 * sharing, the screen; device switches and the screen replace the track on every sender without renegotiation.
 */
export class LocalMedia {
  state: LocalState = { stream: null, audioMuted: false, videoOff: false, screenSharing: false };
  private cameraTrack: MediaStreamTrack | null = null;
  private screenTrack: MediaStreamTrack | null = null;

  constructor(private options: LocalMediaOptions) {}

  /** Opens the camera and microphone (or switches devices while in the call). */
  async open(devices: { audioDeviceId?: string; videoDeviceId?: string } = {}): Promise<MediaStream> {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: devices.audioDeviceId ? { deviceId: { exact: devices.audioDeviceId } } : true,
      video: {
        ...(this.options.videoConstraints ?? { width: { ideal: 1280 }, height: { ideal: 720 } }),
        ...(devices.videoDeviceId ? { deviceId: { exact: devices.videoDeviceId } } : {}),
      },
    });
    const previous = this.state.stream;
    const audio = stream.getAudioTracks()[0] ?? null;
    const video = stream.getVideoTracks()[0] ?? blankVideoTrack();
    if (audio) audio.enabled = !this.state.audioMuted;
    video.enabled = !this.state.videoOff;
    if (previous) {
      // Device switch while in the call: replace the tracks on every sender, no renegotiation.
      for (const old of previous.getTracks()) {
        if (old === this.screenTrack) continue;
        previous.removeTrack(old);
        old.stop();
      }
      if (audio) previous.addTrack(audio);
      this.cameraTrack = video;
      if (!this.screenTrack) previous.addTrack(video);
      await this.options.replaceOnSenders("audio", audio);
      if (!this.screenTrack) await this.options.replaceOnSenders("video", video);
    } else {
      this.cameraTrack = video;
      this.state.stream = new MediaStream([...(audio ? [audio] : []), video]);
    }
    this.state.audioDeviceId = audio?.getSettings().deviceId;
    this.state.videoDeviceId = video.getSettings().deviceId;
    return this.state.stream as MediaStream;
  }

  setAudioMuted(muted: boolean): void {
    for (const track of this.state.stream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.state.audioMuted = muted;
    this.options.toggled();
  }

  setVideoOff(off: boolean): void {
    if (this.cameraTrack) this.cameraTrack.enabled = !off;
    this.state.videoOff = off;
    this.options.toggled();
  }

  /** Shares the screen in place of the camera on every connection (RTCRtpSender.replaceTrack). */
  async startScreenShare(): Promise<void> {
    if (this.screenTrack) return;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track) return;
    this.screenTrack = track;
    track.addEventListener("ended", () => void this.stopScreenShare());
    const stream = this.state.stream;
    if (stream && this.cameraTrack) {
      stream.removeTrack(this.cameraTrack);
      stream.addTrack(track);
    }
    await this.options.replaceOnSenders("video", track);
    this.state.screenSharing = true;
    this.options.toggled();
  }

  async stopScreenShare(): Promise<void> {
    const track = this.screenTrack;
    if (!track) return;
    this.screenTrack = null;
    track.stop();
    const stream = this.state.stream;
    if (stream && this.cameraTrack) {
      stream.removeTrack(track);
      stream.addTrack(this.cameraTrack);
    }
    await this.options.replaceOnSenders("video", this.cameraTrack);
    this.state.screenSharing = false;
    this.options.toggled();
  }

  /** Demoted: the camera and microphone are released (privacy), screen share ends. */
  async release(): Promise<void> {
    if (this.screenTrack) await this.stopScreenShare();
    for (const track of this.state.stream?.getTracks() ?? []) track.stop();
    this.cameraTrack = null;
    this.state = { ...this.state, stream: null };
  }

  /** Leaving: every local track stops. */
  stop(): void {
    for (const track of this.state.stream?.getTracks() ?? []) track.stop();
    this.cameraTrack?.stop();
    this.screenTrack?.stop();
    this.screenTrack = null;
    this.state = { ...this.state, stream: null, screenSharing: false };
  }
}
