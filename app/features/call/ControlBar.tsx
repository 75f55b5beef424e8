import { createSignal, For, type JSX, Show } from "solid-js";
import type { LocalState } from "./call-types.ts";
import {
  CameraIcon,
  ChatIcon,
  HandIcon,
  LeaveIcon,
  MicIcon,
  PeopleIcon,
  ScreenShareIcon,
  SmileIcon,
  SwitchCameraIcon,
} from "./icons.tsx";

/** The reactions anyone in a call can send; they float over the sender's tile for a moment. */
export const REACTIONS = ["👍", "❤️", "😂", "🎉", "👏", "😮"] as const;

export type CallPanel = "chat" | "people";

/**
 * The bottom bar: icon buttons whose accessible names say what a press does, pressed states for toggles, and Leave
 * set apart in red. The bar scrolls sideways when a narrow phone cannot show every button; Leave stays in view.
 */
export interface ControlBarProps {
  local: LocalState;
  canShareScreen: boolean;
  canSwitchCamera: boolean;
  handRaised: boolean;
  /** Which extras the call offers (chat only when the session has it). */
  panels: CallPanel[];
  openPanel: CallPanel | null;
  setAudioMuted(muted: boolean): void;
  setVideoOff(off: boolean): void;
  switchCamera(): void;
  toggleScreenShare(): void;
  setHandRaised(raised: boolean): void;
  react(emoji: string): void;
  togglePanel(panel: CallPanel): void;
  leave(): void;
}

const PANEL_BUTTONS: Record<CallPanel, { label: string; icon: () => JSX.Element }> = {
  chat: { label: "Chat", icon: ChatIcon },
  people: { label: "Participants", icon: PeopleIcon },
};

/** Microphone and camera on/off: in the control bar and over the pre-join preview. */
export function MediaToggles(props: {
  local: LocalState;
  setAudioMuted(muted: boolean): void;
  setVideoOff(off: boolean): void;
}): JSX.Element {
  return (
    <>
      <button
        type="button"
        class="round"
        aria-pressed={props.local.audioMuted}
        aria-label={props.local.audioMuted ? "Unmute microphone" : "Mute microphone"}
        onClick={() => props.setAudioMuted(!props.local.audioMuted)}
      >
        <MicIcon off={props.local.audioMuted} />
      </button>
      <button
        type="button"
        class="round"
        aria-pressed={props.local.videoOff}
        aria-label={props.local.videoOff ? "Turn camera on" : "Turn camera off"}
        onClick={() => props.setVideoOff(!props.local.videoOff)}
      >
        <CameraIcon off={props.local.videoOff} />
      </button>
    </>
  );
}

export function ControlBar(props: ControlBarProps): JSX.Element {
  const [picking, setPicking] = createSignal(false);
  return (
    <div class="control-bar">
      <Show when={picking()}>
        <fieldset class="reaction-picker">
          <legend class="visually-hidden">Send a reaction</legend>
          <For each={REACTIONS}>
            {(emoji) => (
              <button
                type="button"
                aria-label={`React ${emoji}`}
                onClick={() => {
                  props.react(emoji);
                  setPicking(false);
                }}
              >
                <span aria-hidden="true">{emoji}</span>
              </button>
            )}
          </For>
        </fieldset>
      </Show>
      <div class="controls" role="toolbar" aria-label="Call controls">
        <div class="controls-scroll">
          <Show when={props.local.stream}>
            <MediaToggles {...props} />
            <Show when={props.canSwitchCamera}>
              <button type="button" class="round" aria-label="Switch camera" onClick={() => props.switchCamera()}>
                <SwitchCameraIcon />
              </button>
            </Show>
            <Show when={props.canShareScreen}>
              <button
                type="button"
                class="round"
                aria-pressed={props.local.screenSharing}
                aria-label={props.local.screenSharing ? "Stop sharing your screen" : "Share your screen"}
                onClick={() => props.toggleScreenShare()}
              >
                <ScreenShareIcon />
              </button>
            </Show>
          </Show>
          <button
            type="button"
            class="round"
            aria-pressed={props.handRaised}
            aria-label={props.handRaised ? "Lower your hand" : "Raise your hand"}
            onClick={() => props.setHandRaised(!props.handRaised)}
          >
            <HandIcon />
          </button>
          <button
            type="button"
            class="round"
            aria-expanded={picking()}
            aria-label="Reactions"
            onClick={() => setPicking(!picking())}
          >
            <SmileIcon />
          </button>
          <For each={props.panels}>
            {(panel) => (
              <button
                type="button"
                class="round"
                aria-expanded={props.openPanel === panel}
                aria-label={PANEL_BUTTONS[panel].label}
                onClick={() => props.togglePanel(panel)}
              >
                {PANEL_BUTTONS[panel].icon()}
              </button>
            )}
          </For>
        </div>
        <button type="button" class="round leave" aria-label="Leave the call" onClick={() => props.leave()}>
          <LeaveIcon />
        </button>
      </div>
    </div>
  );
}
