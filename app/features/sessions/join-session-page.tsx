import { useParams } from "@solidjs/router";
import { createQuery, createSubscription, Provider } from "@urql/solid";
import { batch, createEffect, createSignal, lazy, Match, onCleanup, Show, Switch } from "solid-js";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { afterFirstRead } from "../../graphql/subscription-start.ts";
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

  const link = () => info.data?.sessionByLink;

  const close = () => {
    participant()?.dispose();
    setParticipant(null);
  };
  onCleanup(close);

  const finish = (message: string) => {
    close();
    forgetParticipant(params.token);
    setStage({ kind: "done", message });
  };

  /** With a participant token: the waiting room or the call, watched by ParticipantWatch. */
  const enter = (token: string, id: string, status: string, peerId?: string | null) => {
    close();
    batch(() => {
      setSessionId(id);
      setStage(status === "ADMITTED" && peerId ? { kind: "room", peerId } : { kind: "waiting" });
      setParticipant(createParticipantClient(token));
    });
  };

  // A reload resumes with the stored token.
  const stored = loadParticipant(params.token);
  if (stored) {
    const probe = createParticipantClient(stored.token);
    void probe.client
      .query(MyParticipantQuery, { sessionId: stored.sessionId })
      .toPromise()
      .then((result) => {
        probe.dispose();
        const me = result.data?.myParticipant;
        if (me && (me.status === "ADMITTED" || me.status === "WAITING")) {
          enter(stored.token, stored.sessionId, me.status, me.peerId);
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
    finish("You left the session.");
  };

  return (
    <section class="narrow" aria-labelledby="join-title">
      <Show when={participant()} keyed>
        {(connection) => (
          <Provider value={connection.client}>
            <ParticipantWatch
              sessionId={sessionId()}
              onAdmitted={(peerId) => {
                if (stage().kind === "waiting") setStage({ kind: "room", peerId });
              }}
              onFinished={finish}
            />
          </Provider>
        )}
      </Show>
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
              onEnded={() => finish("The session has ended. Thank you for joining.")}
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
        <Match when={link()?.status === "ENDED" || link()?.status === "CANCELLED" ? link() : undefined}>
          {(session) => (
            <div class="waiting-screen" data-testid="join-ended">
              <h1 id="join-title">{session().title}</h1>
              <p role="status">
                {session().status === "CANCELLED"
                  ? "This session was cancelled. Ask the host if there is a new one."
                  : "This session has ended. Thank you for your interest."}
              </p>
              <p class="session-meta">Hosted by {session().hostName}</p>
            </div>
          )}
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

/**
 * Our own participant row and the session's state from the participant client's cache, which the session's
 * subscriptions keep live: admitted → the call; denied, removed, or the session over → a message.
 */
function ParticipantWatch(props: {
  sessionId: string;
  onAdmitted: (peerId: string) => void;
  onFinished: (message: string) => void;
}) {
  // Admission may have happened before the subscriptions started: the query asks once, and the subscriptions start
  // from the session's events as that answer left them, so an admission in between is not missed either.
  const [mine] = createQuery({
    query: MyParticipantQuery,
    variables: { sessionId: props.sessionId },
    requestPolicy: "network-only",
  });
  const live = afterFirstRead(
    () => mine.data?.liveSession,
    (after) => ({ sessionId: props.sessionId, after }),
  );
  createSubscription({ query: RosterEventsSubscription, ...live });
  const [state] = createSubscription({ query: SessionStateSubscription, ...live });
  createEffect(() => {
    const me = mine.data?.myParticipant;
    if (me?.status === "ADMITTED" && me.peerId) props.onAdmitted(me.peerId);
    if (me?.status === "DENIED") props.onFinished("The host did not let you in.");
    if (me?.status === "REMOVED") props.onFinished("The host removed you from this session.");
  });
  createEffect(() => {
    const kind = state.data?.sessionState.kind;
    if (kind === "ENDED") props.onFinished("The session has ended. Thank you for joining.");
    if (kind === "CANCELLED") props.onFinished("The session was cancelled.");
  });
  return null;
}
