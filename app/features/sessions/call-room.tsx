import { type Client, createQuery, createSubscription, Provider } from "@urql/solid";
import { createEffect, createMemo, createSignal, type JSX, on, onCleanup, Show } from "solid-js";
import { afterFirstRead } from "../../graphql/subscription-start.ts";
import { CallView } from "../call/CallView.tsx";
import { CallClient } from "../call/call-client.ts";
import { createCallGestures } from "./call-gestures.ts";
import { GiveConsentMutation, RoomQuery } from "./call-room.documents.ts";
import { ChatPanel } from "./chat-panel.tsx";
import { type ResultOf, RosterEventsSubscription, SessionStateSubscription } from "./sessions.documents.ts";
import { createSfuSignaling } from "./sfu-signaling.ts";

type Session = NonNullable<ResultOf<typeof RoomQuery>["liveSession"]>;
type Participant = Session["participants"][number];
type IceServer = ResultOf<typeof RoomQuery>["iceServers"][number];

interface CallRoomProps {
  client: Client;
  sessionId: string;
  peerId: string;
  /** The PeerJS token: the participant token, or the host's access token. */
  signalingToken: () => Promise<string>;
  onLeave: () => void;
  onEnded: () => void;
  /** Offer the participant to consent to recording (participants only). */
  askConsent?: boolean;
  /** The participants sheet over the call (the host's tools); by default, who is in the call. */
  people?: () => JSX.Element;
}

/**
 * The call for a host or an admitted participant: the roster is the session's participants in the normalized cache
 * (kept live by sessionParticipantEvents), ICE servers come from the API, and the signaling token is the participant
 * token (the host sends their access token). Ends by itself when the session ends.
 */
export function CallRoom(props: CallRoomProps) {
  return (
    <Provider value={props.client}>
      <Room {...props} />
    </Provider>
  );
}

function Room(props: CallRoomProps) {
  // From the server: ICE servers carry short-lived TURN credentials, so a cached answer will not do.
  const [room] = createQuery({ query: RoomQuery, variables: { id: props.sessionId }, requestPolicy: "network-only" });
  // From the room's first read on: someone admitted while it loads is in the roster all the same.
  const live = afterFirstRead(
    () => room.data?.liveSession,
    (after) => ({ sessionId: props.sessionId, after }),
  );
  createSubscription({ query: RosterEventsSubscription, ...live });
  createSubscription({ query: SessionStateSubscription, ...live });
  const [call, setCall] = createSignal<CallClient | null>(null);

  const session = () => room.data?.liveSession ?? undefined;
  const over = () => session()?.status === "ENDED" || session()?.status === "CANCELLED";
  const publishes = (p: Participant) => session()?.type !== "WEBINAR" || p.role !== "ATTENDEE";
  const me = () => session()?.participants.find((p) => p.peerId === props.peerId);
  const roster = createMemo(() =>
    (session()?.participants ?? [])
      .filter((p) => p.status === "ADMITTED" && p.peerId && p.peerId !== props.peerId)
      .map((p) => ({ peerId: p.peerId as string, publishes: publishes(p), name: p.name, participantId: p.id })),
  );
  /** A participant (not the host) who has not consented yet, in a session that may be recorded. */
  const askConsent = () => {
    const self = me();
    return props.askConsent === true && session()?.recordingEnabled && self && self.role !== "HOST"
      ? !self.recordingConsent
      : false;
  };
  const gestures = createCallGestures({
    client: props.client,
    sessionId: props.sessionId,
    participants: () => session()?.participants ?? [],
    selfId: () => me()?.id,
    onMute: () => call()?.setAudioMuted(true),
  });
  const failure = () =>
    session() || (!room.data && !room.error) ? "" : (room.error?.message ?? "You are not in this session any more.");

  let signaling: ReturnType<typeof createSfuSignaling> | null = null;
  const sfu = () => {
    signaling ??= createSfuSignaling(props.client, props.sessionId);
    return signaling;
  };

  let disposed = false;
  onCleanup(() => {
    disposed = true;
    call()?.leave();
  });

  const connect = async (current: Session, iceServers: IceServer[]) => {
    const url = new URL(location.href);
    const self = current.participants.find((p) => p.peerId === props.peerId);
    const token = await props.signalingToken();
    if (disposed) return;
    setCall(
      new CallClient({
        host: url.hostname,
        port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
        secure: url.protocol === "https:",
        peerId: props.peerId,
        token,
        iceServers: iceServers.map((s) => ({
          urls: s.urls,
          ...(s.username ? { username: s.username } : {}),
          ...(s.credential ? { credential: s.credential } : {}),
        })),
        topology: current.type === "WEBINAR" ? "webinar" : "mesh",
        sfu: current.topology === "SFU" ? sfu() : null,
        publishes: self ? publishes(self) : true,
      }),
    );
  };

  // The call starts once the session is known and not over; it ends with the session.
  const joinable = createMemo(() => !!session() && !over());
  createEffect(
    on(joinable, (ready) => {
      const current = session();
      if (ready && current && !call()) void connect(current, room.data?.iceServers ?? []);
    }),
  );
  createEffect(
    on(over, (ended) => {
      if (!ended) return;
      call()?.leave();
      props.onEnded();
    }),
  );
  // The server moved the session to the media server (a meeting grew past 4): switch without leaving.
  createEffect(
    on(
      () => session()?.topology,
      (topology) => {
        const running = call();
        if (topology === "SFU" && running && !running.usesSfu) void running.switchTopology(sfu());
      },
    ),
  );
  // One short of the move to the media server: the call readies its connection there, idle, so the move is quick.
  createEffect(() => {
    const current = session();
    const running = call();
    const from = current?.mediaStandbyFrom;
    if (!current || !running || from == null || current.topology === "SFU" || running.usesSfu) return;
    const inRoom = current.participants.filter((p) => p.status === "ADMITTED").length;
    if (inRoom >= from) running.prepareSfu(sfu());
  });
  // Promoted to presenter or demoted to attendee (webinars): send media or stop.
  createEffect(() => {
    const self = me();
    if (self) void call()?.setPublishing(publishes(self));
  });

  return (
    <div class="room">
      <Show when={failure()}>
        <p role="alert">{failure()}</p>
      </Show>
      <Show when={call()} fallback={<p role="status">Connecting to the call…</p>}>
        {(client) => (
          <CallView
            client={client()}
            roster={roster()}
            selfName={me()?.name}
            recording={session()?.recording ?? false}
            canShareScreen={session()?.screenShareEnabled ?? false}
            chat={session()?.chatEnabled ? () => <ChatPanel sessionId={props.sessionId} /> : undefined}
            people={props.people}
            hands={gestures.hands()}
            reactions={gestures.reactions()}
            onRaiseHand={gestures.onRaiseHand}
            onReact={gestures.onReact}
            notice={() => (
              <>
                <Show when={gestures.unmuteAsked()}>
                  <p class="call-notice" role="status">
                    The host asks you to unmute.{" "}
                    <button
                      type="button"
                      class="button small secondary"
                      onClick={() => {
                        client().setAudioMuted(false);
                        gestures.dismissUnmute();
                      }}
                    >
                      Unmute
                    </button>{" "}
                    <button type="button" class="button small secondary" onClick={gestures.dismissUnmute}>
                      Not now
                    </button>
                  </p>
                </Show>
                <Show when={askConsent()}>
                  <p class="call-notice">
                    The host may record this session.{" "}
                    <button
                      type="button"
                      class="button small secondary"
                      onClick={() => void props.client.mutation(GiveConsentMutation, {}).toPromise()}
                    >
                      I agree to be recorded
                    </button>
                  </p>
                </Show>
              </>
            )}
            onLeave={props.onLeave}
          />
        )}
      </Show>
    </div>
  );
}

export default CallRoom;
