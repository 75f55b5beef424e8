import { A, useParams } from "@solidjs/router";
import { createQuery, createSubscription } from "@urql/solid";
import { createSignal, lazy, Match, Show, Switch } from "solid-js";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { client } from "../../graphql/client.ts";
import { freshAccessToken } from "../../graphql/session.ts";
import { afterFirstRead } from "../../graphql/subscription-start.ts";
import { dateTime, label } from "../../lib/format.ts";
import { ChatPanel } from "./chat-panel.tsx";
import { createHostActions, type HostActions } from "./host-actions.ts";
import { PushOptIn } from "./push-opt-in.tsx";
import {
  HostActionsMutation,
  ParticipantEventsSubscription,
  WaitingRoomSubscription,
} from "./session-detail.documents.ts";
import { KnockToast, PeoplePanel, WaitingRoomPanel } from "./session-people.tsx";
import { SessionRecordings } from "./session-recordings.tsx";
import { LiveSessionQuery, type ResultOf, SessionStateSubscription } from "./sessions.documents.ts";
import "./sessions.css";

/** The call (peerjs and the call view) loads only when someone enters it. */
const CallRoom = lazy(() => import("./call-room.tsx"));

type Session = NonNullable<ResultOf<typeof LiveSessionQuery>["liveSession"]>;

/**
 * A session for its host (`/sessions/:id`): link (copy, rotate), start/end/cancel, lock, recording, the live waiting
 * room and participants (admit/deny one or all, remove, promote/demote), chat, "Join call", analytics.
 * Everything shown comes from the normalized cache: the query fills it, mutations and the session's subscriptions
 * update it (see app/graphql/cache.ts).
 */
export default function SessionDetailPage() {
  const params = useParams<{ id: string }>();
  // Another session's page (the router keeps this component) starts afresh: no call, notice or error carried over.
  return (
    <Show when={params.id} keyed>
      {(id) => <SessionDetail id={id} />}
    </Show>
  );
}

function SessionDetail(props: { id: string }) {
  const [result, refetch] = createQuery({ query: LiveSessionQuery, variables: { id: props.id } });
  const live = afterFirstRead(
    () => result.data?.liveSession,
    (after) => ({ sessionId: props.id, after }),
  );
  createSubscription({ query: ParticipantEventsSubscription, ...live });
  createSubscription({ query: WaitingRoomSubscription, ...live });
  // A state event (started, edited elsewhere, ended) changes more than the fields it carries: read the session again.
  createSubscription({ query: SessionStateSubscription, ...live }, (_previous, event) => {
    refetch({ requestPolicy: "network-only" });
    return event;
  });

  return (
    <section aria-labelledby="session-title">
      <Switch>
        <Match when={result.data?.liveSession}>{(session) => <SessionHostView session={session()} />}</Match>
        <Match when={result.data && !result.data.liveSession}>
          <h1 id="session-title">Session not found</h1>
          <p>It does not exist or you do not host it.</p>
          <A href="/sessions">Back to sessions</A>
        </Match>
        <Match when={result.error && !result.data}>
          <h1 id="session-title">Session</h1>
          <ErrorState
            message="The session could not be loaded."
            onRetry={() => refetch({ requestPolicy: "network-only" })}
          />
        </Match>
        <Match when={true}>
          <h1 id="session-title">Session</h1>
          <LoadingState label="Loading the session" rows={5} />
        </Match>
      </Switch>
    </section>
  );
}

function SessionHostView(props: { session: Session }) {
  const actions = createHostActions();
  const [inCall, setInCall] = createSignal(false);
  const s = () => props.session;
  const busy = () => actions.busy();
  const hostAction = (kind: "start" | "end" | "cancel" | "rotate", done: string) =>
    actions.run(HostActionsMutation[kind], { id: s().id }, done);
  const hostPeer = () => s().participants.find((p) => p.role === "HOST")?.peerId ?? null;
  /** Scheduled or live: an ended or cancelled session keeps only its record (no chat, reminders or people). */
  const open = () => s().status === "SCHEDULED" || s().status === "LIVE";

  /** In the call, the page gives way to it; the host's tools are in the call's participants sheet. */
  const callScreen = () => (
    <Show when={hostPeer()}>
      {(peerId) => (
        <CallRoom
          client={client}
          sessionId={s().id}
          peerId={peerId()}
          signalingToken={async () => (await freshAccessToken()) ?? ""}
          onLeave={() => setInCall(false)}
          onEnded={() => setInCall(false)}
          people={() => (
            <div class="host-sheet">
              <Feedback actions={actions} />
              <div class="session-actions">
                <LiveControls session={s()} actions={actions} onEnd={() => setInCall(false)} />
              </div>
              <WaitingRoomPanel session={s()} actions={actions} />
              <PeoplePanel session={s()} actions={actions} />
            </div>
          )}
        />
      )}
    </Show>
  );

  const copyLink = async () => {
    const url = s().joinUrl ?? "";
    try {
      await navigator.clipboard.writeText(url);
      actions.setNotice("Link copied.");
    } catch {
      actions.setNotice(`Copy this link: ${url}`);
    }
  };

  return (
    <>
      <h1 id="session-title">{s().title}</h1>
      <p class="session-meta" data-testid="session-status">
        {s().publicId} · {label(s().type)} · <strong>{label(s().status)}</strong> · {dateTime(s().scheduledStartAt)} –{" "}
        {dateTime(s().scheduledEndAt)}
        {s().locked ? " · locked" : ""}
        {s().recording ? " · recording" : ""}
      </p>
      <Show when={s().mediaNotice}>
        {(notice) => (
          <p class="refusal" role="alert" data-testid="media-notice">
            {notice()}
          </p>
        )}
      </Show>
      <Show when={s().ticket}>
        {(ticket) => (
          <p>
            Ticket: <A href={`/tickets/${ticket().id}`}>{`${ticket().reference} ${ticket().subject}`}</A>
          </p>
        )}
      </Show>
      <Show when={!inCall()} fallback={callScreen()}>
        <Feedback actions={actions} />

        <div class="session-panel">
          <h2>Link</h2>
          <p class="wrap-anywhere">
            <code data-testid="join-url">{s().joinUrl}</code>
          </p>
          <div class="session-actions">
            <button type="button" class="button secondary" onClick={() => void copyLink()}>
              Copy link
            </button>
            <Show when={s().status === "SCHEDULED" || s().status === "LIVE"}>
              <button
                type="button"
                class="button secondary"
                disabled={busy()}
                onClick={() => {
                  if (confirm("The old link stops working at once. Invitees get the new one. Continue?"))
                    void hostAction("rotate", "New link created; invitees were sent it.");
                }}
              >
                New link
              </button>
            </Show>
          </div>
        </div>

        <div class="session-actions">
          <Show when={s().status === "SCHEDULED"}>
            <button
              type="button"
              class="button primary"
              disabled={busy()}
              onClick={() => void hostAction("start", "The session is live.")}
            >
              Start session
            </button>
            <A href={`/sessions/${s().id}/edit`} class="button secondary">
              Edit
            </A>
            <button
              type="button"
              class="button secondary"
              disabled={busy()}
              onClick={() => {
                if (confirm("Cancel this session? Invitees are told.")) void hostAction("cancel", "Session cancelled.");
              }}
            >
              Cancel session
            </button>
          </Show>
          <Show when={s().status === "LIVE"}>
            <button type="button" class="button primary" disabled={!hostPeer()} onClick={() => setInCall(!inCall())}>
              {inCall() ? "Hide call" : "Join call"}
            </button>
            <LiveControls session={s()} actions={actions} onEnd={() => setInCall(false)} />
          </Show>
          <A href={`/sessions/${s().id}/analytics`} class="button secondary">
            Analytics
          </A>
        </div>

        <Show when={s().recordingEnabled && s().status !== "SCHEDULED" && s().status !== "CANCELLED"}>
          <SessionRecordings sessionId={s().id} recording={s().recording} />
        </Show>
        <Show when={open()}>
          <WaitingRoomPanel session={s()} actions={actions} />
          <PeoplePanel session={s()} actions={actions} />
          <Show when={s().chatEnabled}>
            <ChatPanel sessionId={s().id} />
          </Show>
          <div class="session-panel">
            <h2>Reminders</h2>
            <p class="session-meta">
              {s().reminderOffsets.length
                ? `Invitees are reminded ${s().reminderOffsets.join(" and ")} minutes before.`
                : "No reminders."}
            </p>
            <PushOptIn />
          </div>
        </Show>
      </Show>
      <Show when={inCall() && open()}>
        <KnockToast session={s()} actions={actions} />
      </Show>
    </>
  );
}

/** Lock, recording and end for everyone: on the page and in the host's sheet over the call. */
function LiveControls(props: { session: Session; actions: HostActions; onEnd: () => void }) {
  const s = () => props.session;
  const busy = () => props.actions.busy();
  return (
    <>
      <button
        type="button"
        class="button secondary"
        aria-pressed={s().locked}
        disabled={busy()}
        onClick={() => void props.actions.run(HostActionsMutation.lock, { id: s().id, locked: !s().locked })}
      >
        {s().locked ? "Unlock" : "Lock"}
      </button>
      <Show when={s().recordingEnabled}>
        <button
          type="button"
          class="button secondary"
          aria-pressed={s().recording}
          disabled={busy()}
          onClick={() =>
            void props.actions.run(HostActionsMutation.recording, { id: s().id, recording: !s().recording })
          }
        >
          {s().recording ? "Stop recording" : "Start recording"}
        </button>
      </Show>
      <button
        type="button"
        class="button danger"
        disabled={busy()}
        onClick={() => {
          if (confirm("End the session for everyone?")) {
            props.onEnd();
            void props.actions.run(HostActionsMutation.end, { id: s().id }, "The session has ended.");
          }
        }}
      >
        End session
      </button>
    </>
  );
}

/** What the last host action did, or why it was refused. */
function Feedback(props: { actions: HostActions }) {
  return (
    <>
      <p role="status" class="session-meta" aria-live="polite">
        {props.actions.notice()}
      </p>
      <Show when={props.actions.error()}>
        <p role="alert" class="refusal">
          {props.actions.error()}
        </p>
      </Show>
    </>
  );
}
