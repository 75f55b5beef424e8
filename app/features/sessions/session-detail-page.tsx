import { A, useParams } from "@solidjs/router";
import { createSignal, For, lazy, onCleanup, onMount, Show } from "solid-js";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { client, queryLatest } from "../../graphql/client.ts";
import { freshAccessToken } from "../../graphql/session.ts";
import { dateTime, label } from "../../lib/format.ts";
import { ChatPanel } from "./chat-panel.tsx";
import { PushOptIn } from "./push-opt-in.tsx";
import {
  HostActionsMutation,
  ParticipantActions,
  ParticipantEventsSubscription,
  WaitingRoomSubscription,
} from "./session-detail.documents.ts";
import { LiveSessionQuery, type ResultOf, SessionStateSubscription } from "./sessions.documents.ts";
import "./sessions.css";

/** The call (peerjs and the call view) loads only when someone enters it. */
const CallRoom = lazy(() => import("./call-room.tsx"));

type Session = NonNullable<ResultOf<typeof LiveSessionQuery>["liveSession"]>;
type Participant = Session["participants"][number];

/**
 * A session for its host (`/sessions/:id`): link (copy, rotate), start/end/cancel, lock, recording, the live waiting
 * room and participants (admit/deny one or all, remove, promote/demote), chat, "Join call", analytics.
 */
export default function SessionDetailPage() {
  const params = useParams<{ id: string }>();
  const [session, setSession] = createSignal<Session | null>(null);
  const [status, setStatus] = createSignal<"loading" | "ready" | "missing" | "error">("loading");
  const [people, setPeople] = createSignal<Participant[]>([]);
  const [waiting, setWaiting] = createSignal<Participant[]>([]);
  const [notice, setNotice] = createSignal("");
  const [actionError, setActionError] = createSignal("");
  const [inCall, setInCall] = createSignal(false);
  const [busy, setBusy] = createSignal(false);

  const load = async () => {
    const result = await queryLatest(LiveSessionQuery, { id: params.id });
    if (result.error && !result.data) return setStatus("error");
    const s = result.data?.liveSession;
    if (!s) return setStatus("missing");
    setSession(s);
    setPeople(s.participants);
    setWaiting(s.waitingList);
    setStatus("ready");
  };

  onMount(() => {
    void load();
    const subscriptions = [
      client.subscription(ParticipantEventsSubscription, { sessionId: params.id }).subscribe((result) => {
        const p = result.data?.sessionParticipantEvents.participant;
        if (!p) return;
        setPeople((list) =>
          list.some((x) => x.id === p.id) ? list.map((x) => (x.id === p.id ? p : x)) : [...list, p],
        );
      }),
      client.subscription(WaitingRoomSubscription, { sessionId: params.id }).subscribe((result) => {
        const update = result.data?.sessionWaitingRoom;
        if (update) setWaiting(update.waiting);
      }),
      client.subscription(SessionStateSubscription, { sessionId: params.id }).subscribe((result) => {
        if (result.data?.sessionState) void load();
      }),
    ];
    onCleanup(() => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    });
  });

  /** Runs a host action; error results are shown, a returned session replaces the current one. */
  const act = async (run: () => Promise<{ __typename: string; message?: string } | undefined>, done?: string) => {
    setBusy(true);
    setActionError("");
    setNotice("");
    const outcome = await run().catch(() => undefined);
    setBusy(false);
    if (!outcome) return setActionError("The action failed. Check your connection.");
    if ("message" in outcome && outcome.message && outcome.__typename !== "LiveSession") {
      return setActionError(outcome.message);
    }
    if (outcome.__typename === "LiveSession") setSession(outcome as unknown as Session);
    if (done) setNotice(done);
  };
  const hostAction = (kind: "start" | "end" | "cancel" | "rotate", done: string) =>
    act(async () => {
      const result = await client.mutation(HostActionsMutation[kind], { id: params.id }).toPromise();
      const data = result.data as Record<string, { __typename: string; message?: string }> | undefined;
      return data ? Object.values(data)[0] : undefined;
    }, done);
  const participantAction = (kind: "admit" | "deny" | "remove", participantId: string) =>
    act(async () => {
      const result = await client.mutation(ParticipantActions[kind], { participantId }).toPromise();
      const data = result.data as Record<string, { __typename: string; message?: string }> | undefined;
      return data ? Object.values(data)[0] : undefined;
    });

  const copyLink = async () => {
    const url = session()?.joinUrl ?? "";
    try {
      await navigator.clipboard.writeText(url);
      setNotice("Link copied.");
    } catch {
      setNotice(`Copy this link: ${url}`);
    }
  };

  const admitted = () => people().filter((p) => p.status === "ADMITTED" && p.role !== "HOST");
  const hostPeer = () => people().find((p) => p.role === "HOST")?.peerId ?? null;

  return (
    <section aria-labelledby="session-title">
      <Show when={status() === "loading"}>
        <h1 id="session-title">Session</h1>
        <LoadingState label="Loading the session" rows={5} />
      </Show>
      <Show when={status() === "missing"}>
        <h1 id="session-title">Session not found</h1>
        <p>It does not exist or you do not host it.</p>
        <A href="/sessions">Back to sessions</A>
      </Show>
      <Show when={status() === "error"}>
        <h1 id="session-title">Session</h1>
        <ErrorState message="The session could not be loaded." onRetry={() => void load()} />
      </Show>
      <Show when={status() === "ready" && session()}>
        {(s) => (
          <>
            <h1 id="session-title">{s().title}</h1>
            <p class="session-meta" data-testid="session-status">
              {s().publicId} · {label(s().type)} · <strong>{label(s().status)}</strong> ·{" "}
              {dateTime(s().scheduledStartAt)} – {dateTime(s().scheduledEndAt)}
              {s().locked ? " · locked" : ""}
              {s().recording ? " · recording" : ""}
            </p>
            <Show when={s().ticket}>
              {(ticket) => (
                <p>
                  Ticket: <A href={`/tickets/${ticket().id}`}>{`${ticket().reference} ${ticket().subject}`}</A>
                </p>
              )}
            </Show>
            <p role="status" class="session-meta" aria-live="polite">
              {notice()}
            </p>
            <Show when={actionError()}>
              <p role="alert" class="refusal">
                {actionError()}
              </p>
            </Show>

            <div class="session-panel">
              <h2>Link</h2>
              <p style={{ "overflow-wrap": "anywhere" }}>
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
                    if (confirm("Cancel this session? Invitees are told."))
                      void hostAction("cancel", "Session cancelled.");
                  }}
                >
                  Cancel session
                </button>
              </Show>
              <Show when={s().status === "LIVE"}>
                <button
                  type="button"
                  class="button primary"
                  disabled={!hostPeer()}
                  onClick={() => setInCall(!inCall())}
                >
                  {inCall() ? "Hide call" : "Join call"}
                </button>
                <button
                  type="button"
                  class="button secondary"
                  aria-pressed={s().locked}
                  disabled={busy()}
                  onClick={() =>
                    void act(async () => {
                      const r = await client
                        .mutation(HostActionsMutation.lock, { id: s().id, locked: !s().locked })
                        .toPromise();
                      return r.data?.setSessionLocked;
                    })
                  }
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
                      void act(async () => {
                        const r = await client
                          .mutation(HostActionsMutation.recording, { id: s().id, recording: !s().recording })
                          .toPromise();
                        return r.data?.setSessionRecording;
                      })
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
                      setInCall(false);
                      void hostAction("end", "The session has ended.");
                    }
                  }}
                >
                  End session
                </button>
              </Show>
              <A href={`/sessions/${s().id}/analytics`} class="button secondary">
                Analytics
              </A>
            </div>

            <Show when={inCall() && hostPeer()}>
              {(peerId) => (
                <CallRoom
                  client={client}
                  sessionId={s().id}
                  peerId={peerId()}
                  signalingToken={async () => (await freshAccessToken()) ?? ""}
                  onLeave={() => setInCall(false)}
                  onEnded={() => setInCall(false)}
                />
              )}
            </Show>

            <Show when={s().status === "SCHEDULED" || s().status === "LIVE"}>
              <section class="session-panel" aria-labelledby="waiting-title" data-testid="waiting-panel">
                <h2 id="waiting-title">Waiting room ({waiting().length})</h2>
                <Show when={waiting().length === 0}>
                  <p>Nobody is waiting.</p>
                </Show>
                <Show when={waiting().length > 0}>
                  <div class="session-actions">
                    <button
                      type="button"
                      class="button primary"
                      disabled={busy()}
                      onClick={() =>
                        void act(
                          async () =>
                            (await client.mutation(ParticipantActions.admitAll, { sessionId: s().id }).toPromise()).data
                              ?.admitAllParticipants,
                        )
                      }
                    >
                      Admit all
                    </button>
                    <button
                      type="button"
                      class="button secondary"
                      disabled={busy()}
                      onClick={() =>
                        void act(
                          async () =>
                            (await client.mutation(ParticipantActions.denyAll, { sessionId: s().id }).toPromise()).data
                              ?.denyAllParticipants,
                        )
                      }
                    >
                      Deny all
                    </button>
                  </div>
                  <ul class="people">
                    <For each={waiting()}>
                      {(p) => (
                        <li>
                          <span class="who">
                            {p.name} <span class="session-meta">{p.email}</span>
                          </span>
                          <button
                            type="button"
                            class="button small primary"
                            aria-label={`Admit ${p.name}`}
                            disabled={busy()}
                            onClick={() => void participantAction("admit", p.id)}
                          >
                            Admit
                          </button>
                          <button
                            type="button"
                            class="button small secondary"
                            aria-label={`Deny ${p.name}`}
                            disabled={busy()}
                            onClick={() => void participantAction("deny", p.id)}
                          >
                            Deny
                          </button>
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
              </section>

              <section class="session-panel" aria-labelledby="people-title">
                <h2 id="people-title">In the session ({admitted().length})</h2>
                <Show when={admitted().length === 0}>
                  <p>Nobody has joined yet.</p>
                </Show>
                <ul class="people">
                  <For each={admitted()}>
                    {(p) => (
                      <li>
                        <span class="who">
                          {p.name} · {label(p.role)}
                          {p.recordingConsent ? "" : s().recording ? " · no recording consent" : ""}
                        </span>
                        <Show when={s().type === "WEBINAR"}>
                          <button
                            type="button"
                            class="button small secondary"
                            disabled={busy()}
                            aria-label={
                              p.role === "PRESENTER" ? `Make ${p.name} an attendee` : `Make ${p.name} a presenter`
                            }
                            onClick={() =>
                              void act(
                                async () =>
                                  (
                                    await client
                                      .mutation(ParticipantActions.role, {
                                        participantId: p.id,
                                        role: p.role === "PRESENTER" ? "ATTENDEE" : "PRESENTER",
                                      })
                                      .toPromise()
                                  ).data?.setParticipantRole,
                              )
                            }
                          >
                            {p.role === "PRESENTER" ? "Demote" : "Promote"}
                          </button>
                        </Show>
                        <button
                          type="button"
                          class="button small secondary"
                          aria-label={`Remove ${p.name}`}
                          disabled={busy()}
                          onClick={() => {
                            if (confirm(`Remove ${p.name} from the session?`)) void participantAction("remove", p.id);
                          }}
                        >
                          Remove
                        </button>
                      </li>
                    )}
                  </For>
                </ul>
              </section>
            </Show>

            <Show when={s().chatEnabled && !inCall() && s().status !== "CANCELLED"}>
              <ChatPanel client={client} sessionId={s().id} />
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
          </>
        )}
      </Show>
    </section>
  );
}
