import { createEffect, createSignal, createUniqueId, For, type JSX, onCleanup, Show } from "solid-js";
import { MediaToggles } from "./ControlBar.tsx";
import type { LocalState } from "./call-types.ts";
import { Video } from "./ParticipantTile.tsx";
import { canChooseAudioOutput } from "./phone-habits.ts";

/**
 * Before joining, on one screen: the camera preview, microphone and camera toggles, the device pickers (remembered
 * for next time by the caller), a live microphone level, and Join.
 */
export interface PreJoinProps {
  local: LocalState;
  devices: { audio: MediaDeviceInfo[]; video: MediaDeviceInfo[]; output: MediaDeviceInfo[] };
  audioOutputId?: string;
  pick(kind: "audio" | "video" | "output", deviceId: string): void;
  setAudioMuted(muted: boolean): void;
  setVideoOff(off: boolean): void;
  /** Whether the preview was started; until then a button starts it (camera access follows a tap). */
  previewStarted: boolean;
  startPreview(): void;
  join(): void;
  /** A webinar attendee: no camera or microphone, only the speaker to choose and Join. */
  listenOnly?: boolean;
}

/** The microphone's loudness, 0..1, sampled on animation frames from a WebAudio analyser. */
function microphoneLevel(stream: () => MediaStream | null): () => number {
  const [level, setLevel] = createSignal(0);
  createEffect(() => {
    const track = stream()?.getAudioTracks()[0];
    if (!track || typeof AudioContext === "undefined") return;
    const audio = new AudioContext();
    const analyser = audio.createAnalyser();
    analyser.fftSize = 512;
    audio.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    let frame = 0;
    const read = () => {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128) / 128);
      setLevel(track.enabled ? Math.min(1, peak * 1.5) : 0);
      frame = requestAnimationFrame(read);
    };
    read();
    onCleanup(() => {
      cancelAnimationFrame(frame);
      void audio.close();
    });
  });
  return level;
}

function DevicePicker(props: {
  label: string;
  devices: MediaDeviceInfo[];
  value: string | undefined;
  onChange: (deviceId: string) => void;
}): JSX.Element {
  const id = createUniqueId();
  return (
    <div class="prejoin-field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.value ?? props.devices[0]?.deviceId ?? ""}
        onChange={(event) => props.onChange(event.currentTarget.value)}
      >
        <For each={props.devices}>
          {(device, index) => (
            <option value={device.deviceId}>{device.label || `${props.label} ${index() + 1}`}</option>
          )}
        </For>
      </select>
    </div>
  );
}

export function PreJoin(props: PreJoinProps): JSX.Element {
  if (props.listenOnly) return <ListenOnlyPreJoin {...props} />;
  const level = microphoneLevel(() => props.local.stream);
  return (
    <div class="prejoin">
      <div class="prejoin-preview">
        <Video stream={props.local.stream} muted label="Your camera preview" />
        <Show when={props.local.videoOff}>
          <p class="prejoin-off">Camera is off</p>
        </Show>
        <Show when={!props.previewStarted && !props.local.stream}>
          <div class="prejoin-off">
            <button type="button" class="prejoin-start" onClick={() => props.startPreview()}>
              Turn on camera and microphone
            </button>
          </div>
        </Show>
        <div class="prejoin-toggles">
          <MediaToggles local={props.local} setAudioMuted={props.setAudioMuted} setVideoOff={props.setVideoOff} />
        </div>
      </div>
      <label class="prejoin-level">
        <span>Microphone level</span>
        <meter min={0} max={1} low={0.05} high={0.9} optimum={0.5} value={level()} />
      </label>
      <DevicePicker
        label="Camera"
        devices={props.devices.video}
        value={props.local.videoDeviceId}
        onChange={(id) => props.pick("video", id)}
      />
      <DevicePicker
        label="Microphone"
        devices={props.devices.audio}
        value={props.local.audioDeviceId}
        onChange={(id) => props.pick("audio", id)}
      />
      <SpeakerAndJoin {...props} />
    </div>
  );
}

/** The speaker picker (where the browser lets a page choose) and Join: the end of both pre-join screens. */
function SpeakerAndJoin(props: PreJoinProps): JSX.Element {
  return (
    <>
      <Show when={canChooseAudioOutput && props.devices.output.length > 0}>
        <DevicePicker
          label="Speaker"
          devices={props.devices.output}
          value={props.audioOutputId}
          onChange={(id) => props.pick("output", id)}
        />
      </Show>
      <button type="button" class="join" onClick={() => props.join()}>
        Join
      </button>
    </>
  );
}

/** An attendee of a webinar joins to watch: nothing of theirs is sent, so no camera or microphone is asked for. */
function ListenOnlyPreJoin(props: PreJoinProps): JSX.Element {
  return (
    <div class="prejoin">
      <div class="prejoin-attendee">
        <p>
          <strong>You join as an attendee.</strong> You will see and hear the presenters; your camera and microphone
          stay off. Use the chat or raise your hand to take part.
        </p>
      </div>
      <SpeakerAndJoin {...props} />
    </div>
  );
}
