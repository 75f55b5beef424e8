import { createEffect, createSignal, For, on, Show } from "solid-js";
import { label } from "../../lib/format.ts";
import { LowerHandMutation, RequestMicMutation } from "./call-gestures.documents.ts";
import type { HostActions } from "./host-actions.ts";
import { ParticipantActions } from "./session-detail.documents.ts";
import type { LiveSessionQuery, ResultOf } from "./sessions.documents.ts";

type Session = NonNullable<ResultOf<typeof LiveSessionQuery>["liveSession"]>;

/** The live waiting room of a session: admit or deny one person or everyone. */
export function WaitingRoomPanel(props: { session: Session; actions: HostActions }) {
  const waiting = () => props.session.waitingList;
  const busy = () => props.actions.busy();
  return (
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
            onClick={() => void props.actions.run(ParticipantActions.admitAll, { sessionId: props.session.id })}
          >
            Admit all
          </button>
          <button
            type="button"
            class="button secondary"
            disabled={busy()}
            onClick={() => void props.actions.run(ParticipantActions.denyAll, { sessionId: props.session.id })}
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
                  onClick={() => void props.actions.run(ParticipantActions.admit, { participantId: p.id })}
                >
                  Admit
                </button>
                <button
                  type="button"
                  class="button small secondary"
                  aria-label={`Deny ${p.name}`}
                  disabled={busy()}
                  onClick={() => void props.actions.run(ParticipantActions.deny, { participantId: p.id })}
                >
                  Deny
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

/** Raised hands first, in the order raised; then everyone else in arrival order. */
const handsFirst = (a: { handRaisedAt?: unknown }, b: { handRaisedAt?: unknown }) =>
  a.handRaisedAt && b.handRaisedAt
    ? String(a.handRaisedAt).localeCompare(String(b.handRaisedAt))
    : Number(!!b.handRaisedAt) - Number(!!a.handRaisedAt);

/**
 * Who is in the session now (the host aside), raised hands first in the order raised: lower a hand, mute or ask to
 * unmute, promote or demote (webinars), remove.
 */
export function PeoplePanel(props: { session: Session; actions: HostActions }) {
  const admitted = () =>
    props.session.participants.filter((p) => p.status === "ADMITTED" && p.role !== "HOST").sort(handsFirst);
  const busy = () => props.actions.busy();
  return (
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
                {p.recordingConsent ? "" : props.session.recording ? " · no recording consent" : ""}
                {p.handRaisedAt ? " · ✋ hand raised" : ""}
              </span>
              <Show when={p.handRaisedAt}>
                <button
                  type="button"
                  class="button small secondary"
                  aria-label={`Lower ${p.name}'s hand`}
                  disabled={busy()}
                  onClick={() => void props.actions.run(LowerHandMutation, { participantId: p.id })}
                >
                  Lower hand
                </button>
              </Show>
              <button
                type="button"
                class="button small secondary"
                aria-label={`Mute ${p.name}`}
                disabled={busy()}
                onClick={() => void props.actions.run(RequestMicMutation, { participantId: p.id, request: "MUTE" })}
              >
                Mute
              </button>
              <button
                type="button"
                class="button small secondary"
                aria-label={`Ask ${p.name} to unmute`}
                disabled={busy()}
                onClick={() =>
                  void props.actions.run(
                    RequestMicMutation,
                    { participantId: p.id, request: "ASK_TO_UNMUTE" },
                    `Asked ${p.name} to unmute`,
                  )
                }
              >
                Ask to unmute
              </button>
              <Show when={props.session.type === "WEBINAR"}>
                <button
                  type="button"
                  class="button small secondary"
                  disabled={busy()}
                  aria-label={p.role === "PRESENTER" ? `Make ${p.name} an attendee` : `Make ${p.name} a presenter`}
                  onClick={() =>
                    void props.actions.run(ParticipantActions.role, {
                      participantId: p.id,
                      role: p.role === "PRESENTER" ? "ATTENDEE" : "PRESENTER",
                    })
                  }
                >
                  {p.role === "PRESENTER" ? "Demote" : "Promote"}
                </button>
              </Show>
              <button
                type="button"
                class="button small danger"
                aria-label={`Remove ${p.name}`}
                disabled={busy()}
                onClick={() => {
                  if (confirm(`Remove ${p.name} from the session?`))
                    void props.actions.run(ParticipantActions.remove, { participantId: p.id });
                }}
              >
                Remove
              </button>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}

/** A short two-tone chime (WebAudio): someone knocked. Silent where audio cannot start. */
function chime(): void {
  if (typeof AudioContext === "undefined") return;
  const audio = new AudioContext();
  const gain = audio.createGain();
  gain.connect(audio.destination);
  gain.gain.setValueAtTime(0.15, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
  for (const [index, frequency] of [660, 880].entries()) {
    const tone = audio.createOscillator();
    tone.frequency.value = frequency;
    tone.connect(gain);
    tone.start(audio.currentTime + index * 0.15);
    tone.stop(audio.currentTime + 0.6);
  }
  setTimeout(() => void audio.close(), 1000);
}

/**
 * While the host is in the call: a toast (with a chime) for each new person in the waiting room, to admit them
 * without opening the sheet.
 */
export function KnockToast(props: { session: Session; actions: HostActions }) {
  const [knocking, setKnocking] = createSignal<Session["waitingList"][number] | null>(null);
  createEffect(
    on(
      () => props.session.waitingList.map((p) => p.id),
      (ids, previous) => {
        const newcomer = ids.find((id) => !previous?.includes(id));
        if (newcomer && previous) {
          setKnocking(props.session.waitingList.find((p) => p.id === newcomer) ?? null);
          chime();
        } else if (!ids.includes(knocking()?.id ?? "")) setKnocking(null);
      },
    ),
  );
  return (
    <Show when={knocking()}>
      {(p) => (
        <div class="knock-toast" role="status">
          <span>{p().name} asks to join</span>
          <button
            type="button"
            class="button small primary"
            onClick={() => {
              setKnocking(null);
              void props.actions.run(ParticipantActions.admit, { participantId: p().id });
            }}
          >
            Admit
          </button>
          <button type="button" class="button small secondary" onClick={() => setKnocking(null)}>
            Later
          </button>
        </div>
      )}
    </Show>
  );
}
