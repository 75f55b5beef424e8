import type { Client } from "@urql/core";
import { createSignal, onCleanup, onMount, Show } from "solid-js";
import { CallView } from "../call/CallView.tsx";
import { CallClient, type RosterEntry } from "../call/call-client.ts";
import { GiveConsentMutation, RoomQuery } from "./call-room.documents.ts";
import { ChatPanel } from "./chat-panel.tsx";
import { type ResultOf, RosterEventsSubscription, SessionStateSubscription } from "./sessions.documents.ts";

type Participant = NonNullable<ResultOf<typeof RoomQuery>["liveSession"]>["participants"][number];

/**
 * The call for a host or an admitted participant: the roster comes from the session (participants now, then
 * sessionParticipantEvents), ICE servers from the API, and the signaling token is the participant token (the host
 * sends their access token). Ends by itself when the session ends.
 */
export function CallRoom(props: {
  client: Client;
  sessionId: string;
  peerId: string;
  /** The PeerJS token: the participant token, or the host's access token. */
  signalingToken: () => Promise<string>;
  onLeave: () => void;
  onEnded: () => void;
  /** Offer the participant to consent to recording (participants only). */
  askConsent?: boolean;
}) {
  const [roster, setRoster] = createSignal<RosterEntry[]>([]);
  const [recording, setRecording] = createSignal(false);
  const [call, setCall] = createSignal<CallClient | null>(null);
  const [info, setInfo] = createSignal<{ screenShare: boolean; chat: boolean; title: string } | null>(null);
  const [failure, setFailure] = createSignal("");
  /** A participant (not the host) who has not consented yet, in a session that may be recorded. */
  const [askConsent, setAskConsent] = createSignal(false);
  const people = new Map<string, Participant>();
  let webinar = false;
  let sending = true;
  let canAsk = false;

  const publishes = (p: Participant) => !webinar || p.role !== "ATTENDEE";
  const refreshRoster = () =>
    setRoster(
      [...people.values()]
        .filter((p) => p.status === "ADMITTED" && p.peerId && p.peerId !== props.peerId)
        .map((p) => ({ peerId: p.peerId as string, publishes: publishes(p), name: p.name })),
    );

  onMount(async () => {
    const events = props.client
      .subscription(RosterEventsSubscription, { sessionId: props.sessionId })
      .subscribe((result) => {
        const event = result.data?.sessionParticipantEvents;
        if (!event) return;
        people.set(event.participant.id, event.participant);
        refreshRoster();
        const me = [...people.values()].find((p) => p.peerId === props.peerId);
        if (me) setAskConsent(canAsk && me.role !== "HOST" && !me.recordingConsent);
        if (me && publishes(me) !== sending) {
          sending = publishes(me);
          void call()?.setPublishing(sending);
        }
      });
    const state = props.client
      .subscription(SessionStateSubscription, { sessionId: props.sessionId })
      .subscribe((result) => {
        const event = result.data?.sessionState;
        if (!event) return;
        setRecording(event.session.recording);
        if (event.kind === "ENDED" || event.kind === "CANCELLED") {
          call()?.leave();
          props.onEnded();
        }
      });
    onCleanup(() => {
      events.unsubscribe();
      state.unsubscribe();
      call()?.leave();
    });

    const result = await props.client.query(RoomQuery, { id: props.sessionId }).toPromise();
    const session = result.data?.liveSession;
    if (!session) return setFailure(result.error?.message ?? "You are not in this session any more.");
    if (session.status === "ENDED" || session.status === "CANCELLED") return props.onEnded();
    webinar = session.type === "WEBINAR";
    for (const p of session.participants) people.set(p.id, p);
    refreshRoster();
    setRecording(session.recording);
    const me = session.participants.find((p) => p.peerId === props.peerId);
    sending = me ? publishes(me) : true;
    canAsk = session.recordingEnabled && props.askConsent === true;
    setAskConsent(canAsk && me?.role !== "HOST" && me?.recordingConsent === false);
    const url = new URL(location.href);
    setCall(
      new CallClient({
        host: url.hostname,
        port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
        secure: url.protocol === "https:",
        peerId: props.peerId,
        token: await props.signalingToken(),
        iceServers: (result.data?.iceServers ?? []).map((s) => ({
          urls: s.urls,
          ...(s.username ? { username: s.username } : {}),
          ...(s.credential ? { credential: s.credential } : {}),
        })),
        topology: webinar ? "webinar" : "mesh",
        publishes: sending,
      }),
    );
    setInfo({ screenShare: session.screenShareEnabled, chat: session.chatEnabled, title: session.title });
  });

  return (
    <div class="room">
      <Show when={failure()}>
        <p role="alert">{failure()}</p>
      </Show>
      <Show when={askConsent()}>
        <p class="session-meta">
          The host may record this session.{" "}
          <button
            type="button"
            class="button small secondary"
            onClick={async () => {
              const result = await props.client.mutation(GiveConsentMutation, {}).toPromise();
              if (result.data?.giveRecordingConsent.recordingConsent) setAskConsent(false);
            }}
          >
            I agree to be recorded
          </button>
        </p>
      </Show>
      <Show when={call()} fallback={<p role="status">Connecting to the call…</p>}>
        {(client) => (
          <CallView
            client={client()}
            roster={roster()}
            recording={recording()}
            canShareScreen={info()?.screenShare ?? false}
            onLeave={props.onLeave}
          />
        )}
      </Show>
      <Show when={info()?.chat}>
        <ChatPanel client={props.client} sessionId={props.sessionId} />
      </Show>
    </div>
  );
}

export default CallRoom;
