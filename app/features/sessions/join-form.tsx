import type { TypedDocumentNode } from "@urql/core";
import { createSignal, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { createActionKeys, mutateOnce } from "../../graphql/idempotent.ts";
import { fieldErrorMap, validateEmail, validateRequired } from "../../lib/field-errors.ts";
import {
  JoinSessionMutation,
  RequestVerificationCodeMutation,
  type SessionByLinkQuery,
} from "./join-session.documents.ts";
import { createParticipantClient } from "./participant-client.ts";
import type { ResultOf } from "./sessions.documents.ts";

type LinkInfo = NonNullable<ResultOf<typeof SessionByLinkQuery>["sessionByLink"]>;
type Joined = Extract<
  NonNullable<ResultOf<typeof JoinSessionMutation>["joinSession"]>,
  { __typename: "JoinSessionPayload" }
>;

/**
 * The join form (name, email, password, verification code, recording consent) and a clear message for every
 * refusal; `onJoined` gets the participant token and who joined.
 */
export function JoinForm(props: {
  token: string;
  session: LinkInfo;
  onJoined: (joined: Joined, who: { name: string; email: string }) => void;
}) {
  const [name, setName] = createSignal("");
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [code, setCode] = createSignal("");
  const [consent, setConsent] = createSignal(false);
  const [needsConsent, setNeedsConsent] = createSignal(false);
  const [codeSent, setCodeSent] = createSignal(false);
  const [touched, setTouched] = createSignal(false);
  const joinKeys = createActionKeys();
  const [busy, setBusy] = createSignal(false);
  const [serverErrors, setServerErrors] = createSignal<Record<string, string>>({});
  const [refusal, setRefusal] = createSignal("");

  const errors = () => ({
    name: serverErrors().name ?? validateRequired(name(), "Enter your name"),
    email: serverErrors().email ?? validateEmail(email()),
    password:
      serverErrors().password ??
      (props.session.requiresPassword ? validateRequired(password(), "Enter the session password") : undefined),
    verificationCode:
      serverErrors().verificationCode ??
      (codeSent() && !/^\d{6}$/.test(code().trim()) ? "Enter the 6-digit code from the email" : undefined),
  });

  const requestCode = async () => {
    setTouched(true);
    if (errors().email) return;
    setBusy(true);
    const result = await participantFreeMutation(RequestVerificationCodeMutation, {
      token: props.token,
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
    const variables = {
      input: {
        token: props.token,
        name: name().trim(),
        email: email().trim(),
        ...(props.session.requiresPassword ? { password: password() } : {}),
        ...(codeSent() ? { verificationCode: code().trim() } : {}),
        ...(consent() ? { recordingConsent: true } : {}),
      },
    };
    const result = await participantFreeMutation(JoinSessionMutation, variables, joinKeys.keyFor(variables));
    joinKeys.settle(!result.error?.networkError);
    setBusy(false);
    const outcome = result.data?.joinSession;
    switch (outcome?.__typename) {
      case "JoinSessionPayload":
        return props.onJoined(outcome, { name: name().trim(), email: email().trim() });
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

  /** A field's input handler: the new value, and the last answer's errors cleared (they were about the old values). */
  const edit = (set: (value: string) => void) => (event: { currentTarget: HTMLInputElement }) => {
    set(event.currentTarget.value);
    setServerErrors({});
    setRefusal("");
  };

  return (
    <form onSubmit={join} novalidate aria-describedby="join-refusal">
      <Field
        label="Your name"
        name="name"
        autocomplete="name"
        value={name()}
        onInput={edit(setName)}
        error={touched() ? errors().name : undefined}
      />
      <Field
        label="Email"
        type="email"
        name="email"
        autocomplete="email"
        inputmode="email"
        hint={
          props.session.allowedEmailDomains.length
            ? `Addresses at ${props.session.allowedEmailDomains.join(", ")} only`
            : undefined
        }
        value={email()}
        onInput={edit(setEmail)}
        error={touched() ? errors().email : undefined}
      />
      <Show when={props.session.requiresPassword}>
        <Field
          label="Session password"
          type="password"
          name="password"
          autocomplete="off"
          value={password()}
          onInput={edit(setPassword)}
          error={touched() ? errors().password : undefined}
        />
      </Show>
      <Show when={props.session.emailVerificationRequired}>
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
            onInput={edit(setCode)}
            error={touched() ? errors().verificationCode : undefined}
          />
          <button type="button" class="button small secondary" disabled={busy()} onClick={requestCode}>
            Send a new code
          </button>
        </Show>
      </Show>
      <Show when={props.session.recording || needsConsent()}>
        <div class="checks">
          <label>
            <input type="checkbox" checked={consent()} onChange={(event) => setConsent(event.currentTarget.checked)} />I
            agree to this session being recorded
          </label>
        </div>
      </Show>
      <p class="refusal" id="join-refusal" role="alert" hidden={!refusal()} data-testid="join-refusal">
        {refusal()}
      </p>
      <button type="submit" class="button primary block" disabled={busy()}>
        {props.session.waitingRoom ? "Ask to join" : "Join"}
      </button>
    </form>
  );
}

function waitText(seconds: number): string {
  return seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
}

/** Public mutations (join, code) go without any token, through a short-lived client. */
async function participantFreeMutation<Data, Variables extends Record<string, unknown>>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  idempotencyKey?: string,
) {
  const { client, dispose } = createParticipantClient("");
  try {
    if (idempotencyKey) return await mutateOnce(client, document, variables, idempotencyKey);
    return await client.mutation(document, variables).toPromise();
  } finally {
    dispose();
  }
}
