import { useParams } from "@solidjs/router";
import { createQuery } from "@urql/solid";
import { createSignal, lazy, Match, onCleanup, Show, Switch } from "solid-js";
import { Field } from "../../components/field.tsx";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { fieldErrorMap, validateEmail, validateRequired } from "../../lib/field-errors.ts";
import { dateTime as formatDateTime, label } from "../../lib/format.ts";
import {
  JoinSessionMutation,
  LeaveSessionMutation,
  MyParticipantQuery,
  RegisterSessionPushMutation,
  RequestVerificationCodeMutation,
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
  const [name, setName] = createSignal("");
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [code, setCode] = createSignal("");
  const [consent, setConsent] = createSignal(false);
  const [needsConsent, setNeedsConsent] = createSignal(false);
  const [codeSent, setCodeSent] = createSignal(false);
  const [touched, setTouched] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [serverErrors, setServerErrors] = createSignal<Record<string, string>>({});
  const [refusal, setRefusal] = createSignal("");
  let stopWatching: (() => void) | null = null;

  const link = () => info.data?.sessionByLink;
  const errors = () => ({
    name: serverErrors().name ?? validateRequired(name(), "Enter your name"),
    email: serverErrors().email ?? validateEmail(email()),
    password:
      serverErrors().password ??
      (link()?.requiresPassword ? validateRequired(password(), "Enter the session password") : undefined),
    verificationCode:
      serverErrors().verificationCode ??
      (codeSent() && !/^\d{6}$/.test(code().trim()) ? "Enter the 6-digit code from the email" : undefined),
  });

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
          setName(stored.name);
          setEmail(stored.email);
          enter(stored.token, stored.sessionId, stored.participantId, me.status, me.peerId);
        } else forgetParticipant(params.token);
      });
  }

  const requestCode = async () => {
    setTouched(true);
    if (errors().email) return;
    setBusy(true);
    const result = await participantFreeMutation(RequestVerificationCodeMutation, {
      token: params.token,
      email: email().trim(),
    });
    setBusy(false);
    const outcome = result.data?.requestSessionVerificationCode;
    if (outcome?.__typename === "VerificationCodeSent") {
      setCodeSent(true);
      setRefusal("");
    } else if (outcome?.__typename === "RateLimitedError") {
      setRefusal(`Too many codes requested. Try again in ${waitText(outcome.retryAfterSeconds)}.`);
    } else if (outcome?.__typename === "ValidationError") {
      setServerErrors(fieldErrorMap(outcome.fieldErrors));
    } else setRefusal(outcome?.message ?? result.error?.message ?? "Could not send a code");
  };

  const join = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    setRefusal("");
    const e = errors();
    if (e.name || e.email || e.password || e.verificationCode) return;
    if (needsConsent() && !consent()) return setRefusal("Tick the box to agree to being recorded, or do not join.");
    setBusy(true);
    const result = await participantFreeMutation(JoinSessionMutation, {
      input: {
        token: params.token,
        name: name().trim(),
        email: email().trim(),
        ...(link()?.requiresPassword ? { password: password() } : {}),
        ...(codeSent() ? { verificationCode: code().trim() } : {}),
        ...(consent() ? { recordingConsent: true } : {}),
      },
    });
    setBusy(false);
    const outcome = result.data?.joinSession;
    switch (outcome?.__typename) {
      case "JoinSessionPayload": {
        const p = outcome.participant;
        saveParticipant(params.token, {
          token: outcome.participantToken,
          sessionId: outcome.session.id,
          participantId: p.id,
          name: name().trim(),
          email: email().trim(),
        });
        enter(outcome.participantToken, outcome.session.id, p.id, p.status, p.peerId);
        return;
      }
      case "ValidationError":
        setServerErrors(fieldErrorMap(outcome.fieldErrors));
        return setRefusal("Check the highlighted fields.");
      case "SessionFullError":
        return setRefusal(`This session is full (${outcome.maxParticipants} participants). Try again later.`);
      case "WrongPasswordError":
        setServerErrors({ password: "That password is not right." });
        return setRefusal("Wrong password.");
      case "EmailDomainNotAllowedError":
        setServerErrors({ email: `Use an address at ${outcome.allowedDomains.join(", ")}.` });
        return setRefusal(`Only addresses at ${outcome.allowedDomains.join(", ")} may join.`);
      case "SessionEndedError":
        return setRefusal(outcome.status === "CANCELLED" ? "This session was cancelled." : "This session has ended.");
      case "ParticipantRemovedError":
        return setRefusal(
          outcome.reason === "DENIED"
            ? "The host did not let you in to this session."
            : "The host removed you from this session.",
        );
      case "SessionLockedError":
        return setRefusal("The host locked this session: nobody new can join now.");
      case "RateLimitedError":
        return setRefusal(`Too many attempts. Try again in ${waitText(outcome.retryAfterSeconds)}.`);
      case "RecordingConsentRequiredError":
        setNeedsConsent(true);
        return setRefusal("This session is being recorded. Agree to the recording to join.");
      case "EmailVerificationRequiredError":
        setCodeSent(false);
        return setRefusal("Verify your email: send yourself a code, then enter it.");
      case "InvalidVerificationCodeError":
        setServerErrors({ verificationCode: `That code is not right (${outcome.attemptsLeft} attempts left).` });
        return setRefusal("Wrong verification code.");
      case "TooManyAttemptsError":
        setCodeSent(false);
        return setRefusal("Too many wrong codes. Request a new code.");
      case "SessionNotFoundError":
        return setRefusal("This link does not work any more. Ask the host for a new one.");
      default:
        return setRefusal(result.error?.message ?? "Could not join. Check your connection and try again.");
    }
  };

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
              <form onSubmit={join} novalidate aria-describedby="join-refusal">
                <Field
                  label="Your name"
                  name="name"
                  autocomplete="name"
                  value={name()}
                  onInput={(event) => {
                    setName(event.currentTarget.value);
                    setServerErrors({});
                  }}
                  error={touched() ? errors().name : undefined}
                />
                <Field
                  label="Email"
                  type="email"
                  name="email"
                  autocomplete="email"
                  inputmode="email"
                  hint={
                    session().allowedEmailDomains.length
                      ? `Addresses at ${session().allowedEmailDomains.join(", ")} only`
                      : undefined
                  }
                  value={email()}
                  onInput={(event) => {
                    setEmail(event.currentTarget.value);
                    setServerErrors({});
                  }}
                  error={touched() ? errors().email : undefined}
                />
                <Show when={session().requiresPassword}>
                  <Field
                    label="Session password"
                    type="password"
                    name="password"
                    autocomplete="off"
                    value={password()}
                    onInput={(event) => {
                      setPassword(event.currentTarget.value);
                      setServerErrors({});
                    }}
                    error={touched() ? errors().password : undefined}
                  />
                </Show>
                <Show when={session().emailVerificationRequired}>
                  <Show
                    when={codeSent()}
                    fallback={
                      <p>
                        This session checks your email.{" "}
                        <button type="button" class="button secondary" disabled={busy()} onClick={requestCode}>
                          Email me a code
                        </button>
                      </p>
                    }
                  >
                    <Field
                      label="Verification code"
                      name="code"
                      inputmode="numeric"
                      autocomplete="one-time-code"
                      maxLength={6}
                      hint="The 6-digit code we emailed you"
                      value={code()}
                      onInput={(event) => {
                        setCode(event.currentTarget.value);
                        setServerErrors({});
                      }}
                      error={touched() ? errors().verificationCode : undefined}
                    />
                    <button type="button" class="button small secondary" disabled={busy()} onClick={requestCode}>
                      Send a new code
                    </button>
                  </Show>
                </Show>
                <Show when={session().recording || needsConsent()}>
                  <div class="checks">
                    <label>
                      <input
                        type="checkbox"
                        checked={consent()}
                        onChange={(event) => setConsent(event.currentTarget.checked)}
                      />
                      I agree to this session being recorded
                    </label>
                  </div>
                </Show>
                <p class="refusal" id="join-refusal" role="alert" hidden={!refusal()} data-testid="join-refusal">
                  {refusal()}
                </p>
                <button type="submit" class="button primary block" disabled={busy()}>
                  {session().waitingRoom ? "Ask to join" : "Join"}
                </button>
              </form>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}

function waitText(seconds: number): string {
  return seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
}

/** Public mutations (join, code) go without any token, through a short-lived client. */
async function participantFreeMutation<Data, Variables extends Record<string, unknown>>(
  document: import("@urql/core").TypedDocumentNode<Data, Variables>,
  variables: Variables,
) {
  const { client, dispose } = createParticipantClient("");
  try {
    return await client.mutation(document, variables).toPromise();
  } finally {
    dispose();
  }
}
