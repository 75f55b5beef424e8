import { createEffect, createSignal, For, type JSX, onCleanup, onMount, Show } from "solid-js";
import { HandIcon, MicIcon } from "./icons.tsx";
import type { Quality } from "./quality.ts";

/**
 * One participant's tile: their video (never cropped by more than a sliver: see `objectFit`), name, muted and hand-raised
 * state, connection quality, and the reactions they just sent floating over it.
 */
export interface ParticipantTileProps {
  name: string;
  stream: MediaStream | null;
  /** This participant's own tile: the element is muted (no echo) and mirrored like a mirror. */
  self?: boolean;
  audioMuted: boolean;
  videoOff: boolean;
  handRaised: boolean;
  /** Shows a shared screen: always shown whole. */
  presenter: boolean;
  /** Where the layout puts the tile (see call-tiles.css). */
  place: "stage" | "corner" | "grid" | "strip";
  quality?: Quality;
  reconnecting?: boolean;
  /** The active speaker (SFU: from the media server's audio levels). */
  speaking?: boolean;
  /** Their video is paused for a poor connection; audio continues. */
  audioOnly?: boolean;
  reactions: { id: string; emoji: string }[];
  /** Speaker or headset the audio plays to (setSinkId), when chosen. */
  audioOutputId?: string;
  videoRef?: (element: HTMLVideoElement) => void;
}

const QUALITY_TEXT: Record<Quality, string> = {
  good: "Good connection",
  fair: "Fair connection",
  poor: "Poor connection",
  unknown: "Measuring connection",
};

/** How far the tile's and the video's shapes may differ before `cover` would crop a face: then `contain`. */
const MAX_COVER_RATIO = 1.35;

export function Video(props: {
  stream: MediaStream | null;
  muted?: boolean;
  label: string;
  audioOutputId?: string;
  ref?: (element: HTMLVideoElement) => void;
  onResize?: (width: number, height: number) => void;
}): JSX.Element {
  let element: HTMLVideoElement | undefined;
  createEffect(() => {
    // Assigning srcObject again, even the same stream, reloads the element: playback would start over.
    if (!element || element.srcObject === props.stream) return;
    element.srcObject = props.stream;
    if (props.stream) void element.play().catch(() => undefined);
  });
  createEffect(() => {
    const sinkId = props.audioOutputId;
    if (element && sinkId !== undefined && "setSinkId" in element)
      void (element as HTMLVideoElement & { setSinkId(id: string): Promise<void> }).setSinkId(sinkId).catch(() => {});
  });
  return (
    <video
      ref={(video) => {
        element = video;
        props.ref?.(video);
      }}
      autoplay
      playsinline
      muted={props.muted}
      aria-label={props.label}
      onResize={(event) => props.onResize?.(event.currentTarget.videoWidth, event.currentTarget.videoHeight)}
    />
  );
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase())
    .join("");
}

export function ParticipantTile(props: ParticipantTileProps): JSX.Element {
  let tile: HTMLDivElement | undefined;
  const [tileShape, setTileShape] = createSignal(16 / 9);
  const [videoShape, setVideoShape] = createSignal(16 / 9);
  onMount(() => {
    if (!tile || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => {
      const box = entry?.contentRect;
      if (box && box.height > 0) setTileShape(box.width / box.height);
    });
    observer.observe(tile);
    onCleanup(() => observer.disconnect());
  });
  const objectFit = () => {
    if (props.presenter) return "contain";
    const ratio = tileShape() / videoShape();
    return ratio < MAX_COVER_RATIO && ratio > 1 / MAX_COVER_RATIO ? "cover" : "contain";
  };

  return (
    <div
      ref={tile}
      // One class string: a dynamic `class` next to `classList` would wipe the classList's classes on each change.
      class={[
        "tile",
        props.place,
        props.presenter ? "presenter" : "",
        props.self ? "self" : "",
        props.handRaised ? "hand-raised" : "",
        props.speaking ? "speaking" : "",
      ].join(" ")}
      data-fit={objectFit()}
    >
      <Video
        stream={props.stream}
        muted={props.self}
        label={props.self ? "Your video" : `${props.name}'s video`}
        audioOutputId={props.self ? undefined : props.audioOutputId}
        ref={props.videoRef}
        onResize={(width, height) => height > 0 && setVideoShape(width / height)}
      />
      <Show when={(props.videoOff || props.audioOnly) && !props.presenter}>
        {/* Camera off: the initials say so to screen readers too; a paused video says so in text below. */}
        <Show
          when={props.videoOff}
          fallback={
            <div class="avatar" aria-hidden="true">
              <span>{initials(props.name) || "?"}</span>
            </div>
          }
        >
          <div class="avatar" role="img" aria-label="Camera off">
            <span>{initials(props.name) || "?"}</span>
          </div>
        </Show>
      </Show>
      <Show when={props.reconnecting}>
        <span class="tile-reconnecting">Reconnecting…</span>
      </Show>
      <Show when={props.audioOnly && !props.reconnecting}>
        <span class="tile-reconnecting">Video paused: poor connection</span>
      </Show>
      <Show when={props.speaking}>
        <span class="visually-hidden">{props.name} is speaking</span>
      </Show>
      <Show when={props.quality}>
        {(quality) => (
          <span class={`quality ${quality()}`} role="img" aria-label={QUALITY_TEXT[quality()]}>
            <i />
            <i />
            <i />
          </span>
        )}
      </Show>
      <div class="tile-label">
        <Show when={props.handRaised}>
          <span class="tile-hand" role="img" aria-label="Hand raised">
            <HandIcon />
          </span>
        </Show>
        <Show when={props.audioMuted}>
          <span class="tile-muted" role="img" aria-label="Microphone off">
            <MicIcon off />
          </span>
        </Show>
        <span class="tile-name">{props.self ? `${props.name} (you)` : props.name}</span>
      </div>
      <div class="tile-reactions">
        <For each={props.reactions}>
          {(reaction) => (
            <span class="reaction" role="img" aria-label={`${props.name} reacted ${reaction.emoji}`}>
              {reaction.emoji}
            </span>
          )}
        </For>
      </div>
    </div>
  );
}
