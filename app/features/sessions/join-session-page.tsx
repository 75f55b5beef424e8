import { useParams } from "@solidjs/router";
import { createQuery } from "@urql/solid";
import { createSignal, lazy, Match, onCleanup, Show, Switch } from "solid-js";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { dateTime as formatDateTime, label } from "../../lib/format.ts";
import { JoinForm } from "./join-form.tsx";
import {
  LeaveSessionMutation,
  MyParticipantQuery,
  RegisterSessionPushMutation,
  SessionByLinkQuery,
} from "./join-session.documents.ts";
import { createParticipantClient, forgetParticipant, loadParticipant, saveParticipant } from "./participant-client.ts";
import { PushOptIn, type PushRegistrar } from "./push-opt-in.tsx";
import { RosterEventsSubscription, SessionStateSubscription } from "./sessions.documents.ts";
import "./sessions.css";

/** The call (peerjs and the call view) loads only when someone enters it. */
const CallRoom = lazy(() => import("./call-room.tsx"));

type Stage =
  | { kind: "form" }
  | { kind: "waiting"; peerId?: string }
  | { kind: "room"; peerId: string }
  | { kind: "done"; message: string };

/**
 * Join page (`/session/join/:token`): what the session is, the form (name, email, password, verification code,
 * recording consent), a clear message for every refusal, the waiting room (moves on by itself when admitted), then the
 * call and the chat. The participant token is kept per link in sessionStorage, so a reload resumes.
 */
export default function JoinSessionPage() {
  const params = useParams<{ token: string }>();
  const [info, refetch] = createQuery({
    query: SessionByLinkQuery,
    variables: () => ({ token: params.token }),
    requestPolicy: "network-only",
  });
  const [stage, setStage] = createSignal<Stage>({ kind: "form" });
  const [participant, setParticipant] = createSignal<ReturnType<typeof createParticipantClient> | null>(null);
  const [sessionId, setSessionId] = createSignal("");
  let stopWatching: (() => void) | null = null;

  const link = () => info.data?.sessionByLink;

  const close = () => {
    stopWatching?.();
    stopWatching = null;
    participant()?.dispose();
    setParticipant(null);
  };
  onCleanup(close);

  /** Watches our own participant row and the session: admitted → call, denied/removed/ended → message. */
  const enter = (token: string, id: string, participantId: string, status: string, peerId?: string | null) => {
    close();
    const connection = createParticipantClient(token);
    setParticipant(connection);
    setSessionId(id);
    const finish = (message: string) => {
      close();
      forgetParticipant(params.token);
      setStage({ kind: "done", message });
    };
    const events = connection.client.subscription(RosterEventsSubscription, { sessionId: id }).subscribe((result) => {
      const event = result.data?.sessionParticipantEvents;
      if (!event || event.participantId !== participantId) return;
      const p = event.participant;
      if (p.status === "ADMITTED" && p.peerId && stage().kind !== "room") setStage({ kind: "room", peerId: p.peerId });
      if (p.status === "DENIED") finish("The host did not let you in.");
      if (p.status === "REMOVED") finish("The host removed you from this session.");
    });
    const state = connection.client.subscription(SessionStateSubscription, { sessionId: id }).subscribe((result) => {
      const kind = result.data?.sessionState.kind;
      if (kind === "ENDED") finish("The session has ended. Thank you for joining.");
      if (kind === "CANCELLED") finish("The session was cancelled.");
    });
    stopWatching = () => {
      events.unsubscribe();
      state.unsubscribe();
    };
    setStage(status === "ADMITTED" && peerId ? { kind: "room", peerId } : { kind: "waiting" });
    // Admission may have happened before the subscription started: ask once.
    void connection.client
      .query(MyParticipantQuery, {})
      .toPromise()
      .then((result) => {
        const me = result.data?.myParticipant;
        if (me?.status === "ADMITTED" && me.peerId && stage().kind === "waiting")
          setStage({ kind: "room", peerId: me.peerId });
      });
  };

  // A reload resumes with the stored token.
  const stored = loadParticipant(params.token);
  if (stored) {
    const probe = createParticipantClient(stored.token);
    void probe.client
      .query(MyParticipantQuery, {})
      .toPromise()
      .then((result) => {
        probe.dispose();
        const me = result.data?.myParticipant;
        if (me && (me.status === "ADMITTED" || me.status === "WAITING")) {
          enter(stored.token, stored.sessionId, stored.participantId, me.status, me.peerId);
        } else forgetParticipant(params.token);
      });
  }

  /** Reminders before the start reach this participant's device through their participant token. */
  const registerParticipantPush: PushRegistrar = async (endpoint, keys) => {
    const connection = participant();
    if (!connection) return "Join the session first.";
    const result = await connection.client.mutation(RegisterSessionPushMutation, { endpoint, keys }).toPromise();
    const outcome = result.data?.registerSessionPushSubscription;
    if (outcome?.__typename === "PushSubscription") return null;
    return outcome?.message ?? result.error?.message ?? "Could not register this device.";
  };

  const leave = async () => {
    const connection = participant();
    if (connection) await connection.client.mutation(LeaveSessionMutation, {}).toPromise();
    close();
    forgetParticipant(params.token);
    setStage({ kind: "done", message: "You left the session." });
  };

  return (
    <section class="narrow" aria-labelledby="join-title">
      <Switch>
        <Match when={stage().kind === "room" && participant() && stage()}>
          {(current) => (
            <CallRoom
              client={(participant() as ReturnType<typeof createParticipantClient>).client}
              sessionId={sessionId()}
              peerId={(current() as { peerId: string }).peerId}
              signalingToken={async () => loadParticipant(params.token)?.token ?? ""}
              askConsent
              onLeave={() => void leave()}
              onEnded={() => {
                close();
                forgetParticipant(params.token);
                setStage({ kind: "done", message: "The session has ended. Thank you for joining." });
              }}
            />
          )}
        </Match>
        <Match when={stage().kind === "done" && stage()}>
          {(current) => (
            <div class="waiting-screen">
              <h1 id="join-title">{link()?.title ?? "Live session"}</h1>
              <p role="status" data-testid="join-done">
                {(current() as { message: string }).message}
              </p>
            </div>
          )}
        </Match>
        <Match when={stage().kind === "waiting"}>
          <div class="waiting-screen" data-testid="waiting-room">
            <h1 id="join-title">Waiting for the host</h1>
            <p role="status">The host will let you in soon. This page moves on by itself; keep it open.</p>
            <PushOptIn register={registerParticipantPush} />
            <button type="button" class="button secondary" onClick={() => void leave()}>
              Leave
            </button>
          </div>
        </Match>
        <Match when={info.fetching && !info.data}>
          <h1 id="join-title">Join a live session</h1>
          <LoadingState label="Loading the session" rows={4} />
        </Match>
        <Match when={info.error && !info.data}>
          <h1 id="join-title">Join a live session</h1>
          <ErrorState message="The session could not be loaded." onRetry={() => refetch()} />
        </Match>
        <Match when={!link()}>
          <h1 id="join-title">Join a live session</h1>
          <p class="refusal" role="alert">
            This link does not work. It may have been replaced: ask the host for a new one.
          </p>
        </Match>
        <Match when={link()}>
          {(session) => (
            <>
              <h1 id="join-title">{session().title}</h1>
              <p class="session-meta">
                {label(session().type)} · Hosted by {session().hostName} · {formatDateTime(session().scheduledStartAt)}{" "}
                · {session().participantCount}/{session().maxParticipants} in
              </p>
              <Show when={session().description}>
                <p>{session().description}</p>
              </Show>
              <Show when={session().status === "ENDED" || session().status === "CANCELLED"}>
                <p class="refusal" role="alert">
                  {session().status === "CANCELLED" ? "This session was cancelled." : "This session has ended."}
                </p>
              </Show>
              <Show when={session().locked}>
                <p class="refusal">The host locked this session: nobody new can join now.</p>
              </Show>
              <JoinForm
                token={params.token}
                session={session()}
                onJoined={(joined, who) => {
                  saveParticipant(params.token, {
                    token: joined.participantToken,
                    sessionId: joined.session.id,
                    participantId: joined.participant.id,
                    ...who,
                  });
                  enter(
                    joined.participantToken,
                    joined.session.id,
                    joined.participant.id,
                    joined.participant.status,
                    joined.participant.peerId,
                  );
                }}
              />
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
