import { createEffect, createMemo, createSignal, For, type JSX, on, onCleanup, onMount, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { isOnline } from "../../lib/online.ts";
import { type CallPanel, ControlBar } from "./ControlBar.tsx";
import { type CallClient, type CallState, listDevices, type RemoteState, type RosterEntry } from "./call-client.ts";
import { CloseIcon } from "./icons.tsx";
import { ParticipantTile } from "./ParticipantTile.tsx";
import { PreJoin } from "./PreJoin.tsx";
import {
  keepScreenAwake,
  mediaAlreadyAllowed,
  pictureInPictureOnHide,
  rememberDevices,
  rememberedDevices,
} from "./phone-habits.ts";
import "./call.css";
import "./call-tiles.css";
import "./call-controls.css";

/**
 * The call screen, after LiveKit's VideoConference prefab: a pre-join (preview, devices, level), then the tiles in
 * the layout their number calls for (see `layoutOf`), a control bar, and sheets over the video for chat and
 * participants. It renders the client's state and calls its methods; hands and reactions come from the caller
 * (the sessions API carries them, so they reach everyone whatever carries the media).
 */
export interface CallReaction {
  id: string;
  peerId: string;
  emoji: string;
}

export interface CallViewProps {
  client: CallClient;
  /** Participants in the room, from the session subscription. */
  roster: RosterEntry[];
  /** This participant's name on their own tile. */
  selfName?: string;
  /** Shown to everyone while the host records (the sessions API tells who records). */
  recording?: boolean;
  /** Whether this participant may share a screen (the session's screen-share setting and role). */
  canShareScreen?: boolean;
  /** Peer ids with a raised hand, in the order raised. */
  hands?: string[];
  /** Reactions as they arrive; each floats over its sender's tile for a moment. */
  reactions?: CallReaction[];
  onRaiseHand?: (raised: boolean) => void;
  onReact?: (emoji: string) => void;
  /** The chat, shown in a sheet over the call (only when the session has chat). */
  chat?: () => JSX.Element;
  /** The participants sheet: the host's tools, or who is here. */
  people?: () => JSX.Element;
  /** A line shown over the call (e.g. the recording consent question). */
  notice?: () => JSX.Element;
  onLeave?: () => void;
}

/**
 * - solo: only you; pair: the other fills the screen, you in a corner; grid: up to 4 tiles;
 * - speaker: more than 4, the active speaker large over a scrollable filmstrip;
 * - focus: someone shares a screen, pinned large (shown whole) over the filmstrip.
 */
export type CallLayout = "solo" | "pair" | "grid" | "speaker" | "focus";

export function layoutOf(remotes: number, sharing: boolean): CallLayout {
  if (sharing) return "focus";
  if (remotes === 0) return "solo";
  if (remotes === 1) return "pair";
  return remotes <= 3 ? "grid" : "speaker";
}

const SELF = "self";
/** How long a reaction floats over a tile. */
const REACTION_MS = 4000;
/** Below this audio level nobody is speaking. */
const SPEAKING_LEVEL = 0.03;

/**
 * Whether this browser can make calls at all. Some have no WebRTC (Debian's WebKitGTK, a few in-app browsers, browsers
 * with WebRTC switched off): the call screen then says so instead of failing on the first RTCPeerConnection.
 */
export const canCall = () => typeof RTCPeerConnection !== "undefined";

/** In place of the call where WebRTC is missing: what is wrong, what to do, the chat if the session has one. */
function CallUnsupported(props: Pick<CallViewProps, "chat" | "onLeave">): JSX.Element {
  return (
    <section class="call call-unsupported" aria-label="Call">
      <div class="call-unsupported-message" role="alert">
        <h2>This browser cannot make video calls</h2>
        <p>
          It has no WebRTC, which calls need. Open this link in an up-to-date Safari, Chrome, Edge or Firefox to join
          with video and sound.
        </p>
      </div>
      <Show when={props.chat}>{(chat) => <div class="call-unsupported-chat">{chat()()}</div>}</Show>
      <button type="button" class="join" onClick={() => props.onLeave?.()}>
        Leave
      </button>
    </section>
  );
}

export function CallView(props: CallViewProps): JSX.Element {
  if (!canCall()) return <CallUnsupported chat={props.chat} onLeave={props.onLeave} />;
  // A store reconciled by peer id: each remote keeps its object across the client's updates, so the keyed <For>
  // keeps its tile (and <video> element) instead of building a new one on every quality sample.
  const [state, setState] = createStore<CallState>({ ...props.client.state });
  onCleanup(props.client.subscribe((next) => setState(reconcile(next, { key: "peerId" }))));
  const [devices, setDevices] = createSignal<{
    audio: MediaDeviceInfo[];
    video: MediaDeviceInfo[];
    output: MediaDeviceInfo[];
  }>({ audio: [], video: [], output: [] });
  const [audioOutputId, setAudioOutputId] = createSignal(rememberedDevices().audioOutputId);
  const [failure, setFailure] = createSignal<string | null>(null);

  /** Whether the camera preview was started (on mount when already allowed, else by the user's tap). */
  const [previewStarted, setPreviewStarted] = createSignal(false);
  const startPreview = async () => {
    setPreviewStarted(true);
    const remembered = rememberedDevices();
    try {
      // The devices chosen last time, or the defaults when one of them is gone.
      await props.client
        .startPreview({ audioDeviceId: remembered.audioDeviceId, videoDeviceId: remembered.videoDeviceId })
        .catch(() => props.client.startPreview());
      setDevices(await listDevices());
    } catch (error) {
      setFailure(error instanceof Error ? error.message : "Camera or microphone unavailable");
    }
  };
  // Safari asks for the camera only from a user gesture (and it is good manners everywhere): the preview starts by
  // itself only where this site may already use camera and microphone; otherwise a tap starts it (or Join does).
  // A webinar attendee sends nothing: no camera or microphone is opened for them (until they are made presenter).
  onMount(async () => {
    if (props.client.state.publishes && (await mediaAlreadyAllowed())) await startPreview();
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

  const pick = async (kind: "audio" | "video" | "output", deviceId: string) => {
    if (kind === "output") {
      setAudioOutputId(deviceId);
      rememberDevices({ audioOutputId: deviceId });
      return;
    }
    await props.client.startPreview({
      audioDeviceId: kind === "audio" ? deviceId : state.local.audioDeviceId,
      videoDeviceId: kind === "video" ? deviceId : state.local.videoDeviceId,
    });
    rememberDevices({ audioDeviceId: state.local.audioDeviceId, videoDeviceId: state.local.videoDeviceId });
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

  const inCall = () => state.status === "joined" || state.status === "joining";

  return (
    <section class="call" aria-label="Call">
      <Show when={failure() ?? state.error}>
        {(message) => (
          <p class="call-alert" role="alert">
            {message()}
          </p>
        )}
      </Show>
      <Show
        when={inCall()}
        fallback={
          <Show when={state.status !== "left"} fallback={<p class="call-left">You left the call.</p>}>
            <PreJoin
              local={state.local}
              devices={devices()}
              audioOutputId={audioOutputId()}
              pick={(kind, id) => void pick(kind, id)}
              setAudioMuted={(muted) => props.client.setAudioMuted(muted)}
              setVideoOff={(off) => props.client.setVideoOff(off)}
              previewStarted={previewStarted()}
              listenOnly={!state.publishes}
              startPreview={() => void startPreview()}
              join={() => void join()}
            />
          </Show>
        }
      >
        <InCall
          {...props}
          state={state}
          devices={devices()}
          audioOutputId={audioOutputId()}
          pick={(kind, id) => void pick(kind, id)}
          leave={leave}
        />
      </Show>
    </section>
  );
}

function InCall(
  props: CallViewProps & {
    state: CallState;
    devices: { video: MediaDeviceInfo[] };
    audioOutputId?: string;
    pick(kind: "video", deviceId: string): void;
    leave(): void;
  },
): JSX.Element {
  keepScreenAwake();
  const videos = new Map<string, HTMLVideoElement>();
  const [panel, setPanel] = createSignal<CallPanel | null>(null);
  const [ownHand, setOwnHand] = createSignal(false);
  const [floating, setFloating] = createSignal<CallReaction[]>([]);
  const local = () => props.state.local;
  const selfPeer = () => props.client.peerId;

  const shown = createMemo(() => props.state.remotes.filter((remote) => remote.publishes));
  const presenter = () => {
    const id = props.state.presenterId;
    return id === null ? null : id === selfPeer() ? SELF : id;
  };
  const layout = createMemo(() => layoutOf(shown().length, presenter() !== null));

  /** The loudest remote, kept until someone else is clearly louder (no flicker between two speakers). */
  const activeSpeaker = createMemo<string | undefined>((previous) => {
    const remotes = shown();
    const current = remotes.find((remote) => remote.peerId === previous);
    // Through the media server, the server says who speaks (its audio levels): that wins.
    const talking = remotes.find((remote) => remote.talking);
    if (talking && !current?.talking) return talking.peerId;
    const loudest = remotes.reduce<RemoteState | undefined>(
      (best, remote) => (remote.audioLevel > (best?.audioLevel ?? SPEAKING_LEVEL) ? remote : best),
      undefined,
    );
    if (loudest && (!current || loudest.audioLevel > current.audioLevel * 1.5)) return loudest.peerId;
    return current?.peerId ?? remotes[0]?.peerId;
  });

  const stage = () => {
    switch (layout()) {
      case "focus":
        return presenter();
      case "speaker":
        return activeSpeaker();
      case "pair":
        return shown()[0]?.peerId;
      case "solo":
        return SELF;
      default:
        return undefined;
    }
  };
  const place = (id: string) => {
    if (id === stage()) return "stage";
    if (layout() === "pair") return "corner";
    return layout() === "grid" ? "grid" : "strip";
  };

  pictureInPictureOnHide(() => videos.get(stage() ?? "") ?? videos.get(shown()[0]?.peerId ?? ""));

  const hands = () => props.hands ?? (ownHand() ? [selfPeer()] : []);
  const handRaised = (peerId: string) => hands().includes(peerId);
  const setHandRaised = (raised: boolean) => {
    setOwnHand(raised);
    props.onRaiseHand?.(raised);
  };

  // Each reaction floats for a moment after it first arrives.
  const seen = new Set<string>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  onCleanup(() => {
    for (const timer of timers) clearTimeout(timer);
  });
  const float = (reaction: CallReaction) => {
    setFloating((list) => [...list, reaction]);
    const timer = setTimeout(() => {
      timers.delete(timer);
      setFloating((list) => list.filter((item) => item !== reaction));
    }, REACTION_MS);
    timers.add(timer);
  };
  createEffect(() => {
    for (const reaction of props.reactions ?? []) {
      if (seen.has(reaction.id)) continue;
      seen.add(reaction.id);
      float(reaction);
    }
  });
  const reactionsOf = (peerId: string) => floating().filter((reaction) => reaction.peerId === peerId);

  const switchCamera = () => {
    const cameras = props.devices.video;
    const index = cameras.findIndex((camera) => camera.deviceId === local().videoDeviceId);
    const next = cameras[(index + 1) % cameras.length];
    if (next) props.pick("video", next.deviceId);
  };

  const panels = (): CallPanel[] => [...(props.chat ? (["chat"] as const) : []), "people"];
  const reconnecting = () => !isOnline() || props.state.remotes.some((remote) => remote.connection === "reconnecting");

  return (
    <div class="call-screen">
      <div class="call-banners">
        <Show when={props.recording}>
          <p class="call-recording" role="status">
            <span aria-hidden="true">●</span> This session is being recorded
          </p>
        </Show>
        {props.notice?.()}
        <Show when={reconnecting()}>
          <p class="call-reconnecting" role="status">
            Reconnecting…
          </p>
        </Show>
      </div>
      <div class="call-stage">
        <div class={`call-tiles ${layout()}`} data-layout={layout()}>
          <For each={shown()}>
            {(remote) => (
              <ParticipantTile
                name={remote.name ?? "Participant"}
                stream={remote.stream}
                audioMuted={remote.audioMuted}
                videoOff={remote.videoOff}
                handRaised={handRaised(remote.peerId)}
                presenter={presenter() === remote.peerId}
                place={place(remote.peerId)}
                quality={remote.quality}
                reconnecting={remote.connection === "reconnecting"}
                speaking={remote.talking === true}
                audioOnly={remote.audioOnly === true}
                reactions={reactionsOf(remote.peerId)}
                audioOutputId={props.audioOutputId}
                videoRef={(element) => videos.set(remote.peerId, element)}
              />
            )}
          </For>
          <Show when={local().stream}>
            <ParticipantTile
              self
              name={props.selfName ?? "You"}
              stream={local().stream}
              audioMuted={local().audioMuted}
              videoOff={local().videoOff}
              handRaised={handRaised(selfPeer())}
              presenter={presenter() === SELF}
              place={place(SELF)}
              reactions={reactionsOf(selfPeer())}
            />
          </Show>
        </div>
        <Show when={panel()}>
          {(open) => (
            <section class="call-sheet" aria-labelledby="call-sheet-title">
              <header>
                <h2 id="call-sheet-title">{open() === "chat" ? "Chat" : "Participants"}</h2>
                <button type="button" class="round" aria-label="Close" onClick={() => setPanel(null)}>
                  <CloseIcon />
                </button>
              </header>
              <div class="call-sheet-body">
                {open() === "chat" ? props.chat?.() : (props.people?.() ?? <RosterList {...props} hands={hands()} />)}
              </div>
            </section>
          )}
        </Show>
      </div>
      <ControlBar
        local={local()}
        canShareScreen={props.canShareScreen !== false && "getDisplayMedia" in (navigator.mediaDevices ?? {})}
        canSwitchCamera={props.devices.video.length > 1}
        handRaised={handRaised(selfPeer())}
        panels={panels()}
        openPanel={panel()}
        setAudioMuted={(muted) => props.client.setAudioMuted(muted)}
        setVideoOff={(off) => props.client.setVideoOff(off)}
        switchCamera={switchCamera}
        toggleScreenShare={() =>
          void (local().screenSharing ? props.client.stopScreenShare() : props.client.startScreenShare())
        }
        setHandRaised={setHandRaised}
        react={(emoji) => {
          props.onReact?.(emoji);
          if (!props.onReact) float({ id: `${Date.now()}`, peerId: selfPeer(), emoji });
        }}
        togglePanel={(next) => setPanel(panel() === next ? null : next)}
        leave={props.leave}
      />
    </div>
  );
}

/** Who is in the call, hands first in the order raised (when the caller gives no participants sheet). */
function RosterList(props: { client: CallClient; state: CallState; hands: string[]; selfName?: string }): JSX.Element {
  const people = () => {
    const order = (peerId: string) => {
      const index = props.hands.indexOf(peerId);
      return index === -1 ? Number.MAX_SAFE_INTEGER : index;
    };
    return [...props.state.remotes].sort((a, b) => order(a.peerId) - order(b.peerId));
  };
  return (
    <ul class="call-roster">
      <li>
        {props.selfName ?? "You"} (you){props.hands.includes(props.client.peerId) ? " · hand raised" : ""}
      </li>
      <For each={people()}>
        {(remote) => (
          <li>
            {remote.name ?? "Participant"}
            {props.hands.includes(remote.peerId) ? " · hand raised" : ""}
            {remote.audioMuted ? " · muted" : ""}
          </li>
        )}
      </For>
    </ul>
  );
}
