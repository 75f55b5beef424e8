import { createEffect, createMemo, createSignal, For, type JSX, on, onCleanup, onMount, Show } from "solid-js";
import { type CallClient, type CallState, listDevices, type RemoteState, type RosterEntry } from "./call-client.ts";
import type { Quality } from "./quality.ts";
import "./call.css";

/**
 * The call screen: a pre-join preview with device pickers, then an adaptive grid of tiles (the shared screen
 * large), touch-sized controls with accessible labels, a quality badge per remote tile and a recording indicator.
 * It only renders the client's state and calls its methods.
 */
export interface CallViewProps {
  client: CallClient;
  /** Participants in the room, from the session subscription. */
  roster: RosterEntry[];
  /** Shown to everyone while the host records (the sessions API tells who records). */
  recording?: boolean;
  /** Whether this participant may share a screen (the session's screen-share setting and role). */
  canShareScreen?: boolean;
  onLeave?: () => void;
}

function Video(props: { stream: MediaStream | null; muted?: boolean; label: string }): JSX.Element {
  let element: HTMLVideoElement | undefined;
  createEffect(() => {
    if (!element) return;
    element.srcObject = props.stream;
    if (props.stream) void element.play().catch(() => undefined);
  });
  return <video ref={element} autoplay playsinline muted={props.muted} aria-label={props.label} />;
}

const QUALITY_TEXT: Record<Quality, string> = {
  good: "Good connection",
  fair: "Fair connection",
  poor: "Poor connection",
  unknown: "Measuring connection",
};

function RemoteTile(props: { remote: RemoteState; presenter: boolean }): JSX.Element {
  const name = () => props.remote.name ?? "Participant";
  return (
    <div class="tile" classList={{ presenter: props.presenter }}>
      <Video stream={props.remote.stream} label={`${name()}'s video`} />
      <span class={`badge ${props.remote.quality}`} role="status" aria-label={QUALITY_TEXT[props.remote.quality]}>
        {props.remote.connection === "reconnecting" ? "Reconnecting…" : props.remote.quality}
      </span>
      <span class="tile-label">
        {name()}
        {props.remote.audioMuted ? " · muted" : ""}
        {props.remote.videoOff ? " · camera off" : ""}
        {props.presenter ? " · presenting" : ""}
      </span>
    </div>
  );
}

export function CallView(props: CallViewProps): JSX.Element {
  const [state, setState] = createSignal<CallState>(props.client.state, { equals: false });
  const [devices, setDevices] = createSignal<{ audio: MediaDeviceInfo[]; video: MediaDeviceInfo[] }>({
    audio: [],
    video: [],
  });
  const [failure, setFailure] = createSignal<string | null>(null);
  onCleanup(props.client.subscribe(setState));

  onMount(async () => {
    try {
      await props.client.startPreview();
      setDevices(await listDevices());
    } catch (error) {
      setFailure(error instanceof Error ? error.message : "Camera or microphone unavailable");
    }
  });

  // Roster changes from the session subscription reach the client once joined (join() takes the first roster).
  createEffect(
    on(
      () => props.roster,
      (roster) => {
        const status = props.client.state.status;
        if (status === "joined" || status === "joining") props.client.setRoster(roster);
      },
      { defer: true },
    ),
  );

  const pick = async (kind: "audio" | "video", deviceId: string) => {
    const local = state().local;
    await props.client.startPreview({
      audioDeviceId: kind === "audio" ? deviceId : local.audioDeviceId,
      videoDeviceId: kind === "video" ? deviceId : local.videoDeviceId,
    });
  };

  const join = async () => {
    try {
      await props.client.join(props.roster);
    } catch (error) {
      setFailure(error instanceof Error ? error.message : "Could not join the call");
    }
  };

  const leave = () => {
    props.client.leave();
    props.onLeave?.();
  };

  const presenterId = createMemo(() => state().presenterId);
  const local = () => state().local;

  return (
    <section class="call" aria-label="Call">
      <Show when={props.recording}>
        <div class="recording" role="status">
          ● This session is being recorded
        </div>
      </Show>
      <Show when={failure() ?? state().error}>{(message) => <p role="alert">{message()}</p>}</Show>
      <Show
        when={state().status === "joined" || state().status === "joining"}
        fallback={
          <Show when={state().status !== "left"} fallback={<p>You left the call.</p>}>
            <div class="prejoin">
              <Video stream={local().stream} muted label="Your camera preview" />
              <label>
                Camera{" "}
                <select
                  aria-label="Camera"
                  value={local().videoDeviceId ?? ""}
                  onChange={(event) => void pick("video", event.currentTarget.value)}
                >
                  <For each={devices().video}>
                    {(device) => <option value={device.deviceId}>{device.label || "Camera"}</option>}
                  </For>
                </select>
              </label>
              <label>
                Microphone{" "}
                <select
                  aria-label="Microphone"
                  value={local().audioDeviceId ?? ""}
                  onChange={(event) => void pick("audio", event.currentTarget.value)}
                >
                  <For each={devices().audio}>
                    {(device) => <option value={device.deviceId}>{device.label || "Microphone"}</option>}
                  </For>
                </select>
              </label>
              <button type="button" onClick={() => void join()}>
                Join
              </button>
            </div>
          </Show>
        }
      >
        <div class="call-grid" classList={{ presenting: presenterId() !== null }}>
          <For each={state().remotes.filter((remote) => remote.peerId === presenterId())}>
            {(remote) => <RemoteTile remote={remote} presenter />}
          </For>
          <Show when={local().stream}>
            <div class="tile" classList={{ presenter: presenterId() !== null && local().screenSharing }}>
              <Video stream={local().stream} muted label="Your video" />
              <span class="tile-label">You{local().audioMuted ? " · muted" : ""}</span>
            </div>
          </Show>
          <For each={state().remotes.filter((remote) => remote.peerId !== presenterId() && remote.publishes)}>
            {(remote) => <RemoteTile remote={remote} presenter={false} />}
          </For>
        </div>
        <div class="controls" role="toolbar" aria-label="Call controls">
          <Show when={local().stream}>
            <button
              type="button"
              aria-pressed={local().audioMuted}
              aria-label={local().audioMuted ? "Unmute microphone" : "Mute microphone"}
              onClick={() => props.client.setAudioMuted(!local().audioMuted)}
            >
              {local().audioMuted ? "Unmute" : "Mute"}
            </button>
            <button
              type="button"
              aria-pressed={local().videoOff}
              aria-label={local().videoOff ? "Turn camera on" : "Turn camera off"}
              onClick={() => props.client.setVideoOff(!local().videoOff)}
            >
              {local().videoOff ? "Camera on" : "Camera off"}
            </button>
            <Show when={props.canShareScreen !== false && "getDisplayMedia" in (navigator.mediaDevices ?? {})}>
              <button
                type="button"
                aria-pressed={local().screenSharing}
                aria-label={local().screenSharing ? "Stop sharing your screen" : "Share your screen"}
                onClick={() =>
                  void (local().screenSharing ? props.client.stopScreenShare() : props.client.startScreenShare())
                }
              >
                {local().screenSharing ? "Stop sharing" : "Share screen"}
              </button>
            </Show>
          </Show>
          <button type="button" class="leave" aria-label="Leave the call" onClick={leave}>
            Leave
          </button>
        </div>
      </Show>
    </section>
  );
}
