import { useNavigate } from "@solidjs/router";
import { createMutation, createQuery } from "@urql/solid";
import { createSignal, For, type JSX, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { cacheStorage } from "../../graphql/client.ts";
import { clearSession } from "../../graphql/session.ts";
import { validateEmail, validatePassword } from "../../lib/field-errors.ts";
import { timeAgo } from "../../lib/format.ts";
import {
  ChangePasswordMutation,
  MySignInsQuery,
  RequestEmailChangeMutation,
  SignOutEverywhereMutation,
} from "./account.documents.ts";

/** "Chrome on Android" from a user agent: enough to recognise one's own devices. */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "A browser";
  const system = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
      ? "iOS"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : "";
  return system ? `${browser} on ${system}` : browser;
}

type Result = { ok: boolean; text: string };

/** A small form in the profile: its fields, a result line, a button. */
function AccountForm(props: {
  title: string;
  action: string;
  busy: boolean;
  result: Result | undefined;
  onSubmit: (event: SubmitEvent) => void;
  children: JSX.Element;
}) {
  return (
    <fieldset class="preferences">
      <legend>{props.title}</legend>
      <form onSubmit={props.onSubmit} novalidate>
        {props.children}
        <Show when={props.result}>
          {(shown) => (
            <p class={shown().ok ? "hint" : "form-error"} role={shown().ok ? "status" : "alert"}>
              {shown().text}
            </p>
          )}
        </Show>
        <button type="submit" class="button secondary block" disabled={props.busy}>
          {props.action}
        </button>
      </form>
    </fieldset>
  );
}

type Failure =
  | { __typename: "InvalidCredentialsError" }
  | { __typename: "ValidationError"; fieldErrors: readonly { message: string }[] }
  | { __typename?: string; message?: string }
  | undefined;

/** The state both account forms share: fields shown as touched after a submit, and one result line. */
function createAccountForm() {
  const [touched, setTouched] = createSignal(false);
  const [result, setResult] = createSignal<Result>();
  return {
    touched,
    setTouched,
    result,
    succeeded: (text: string) => {
      setTouched(false);
      setResult({ ok: true, text });
    },
    /** The result line for an answer that is not a success: the password, the field's own message, or the error's. */
    failed: (answer: Failure, checkField: string, fallback: string) =>
      setResult({
        ok: false,
        text:
          answer?.__typename === "InvalidCredentialsError"
            ? "Your current password is not right."
            : answer && "fieldErrors" in answer
              ? (answer.fieldErrors[0]?.message ?? checkField)
              : ((answer && "message" in answer ? answer.message : undefined) ?? fallback),
      }),
    /** An input handler that sets the value and clears the last result. */
    edit: (set: (value: string) => void) => (event: { currentTarget: HTMLInputElement }) => {
      set(event.currentTarget.value);
      setResult(undefined);
    },
  };
}

function ChangePassword() {
  const [state, change] = createMutation(ChangePasswordMutation);
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const form = createAccountForm();
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    form.setTouched(true);
    if (!current() || validatePassword(next())) return;
    const answer = (await change({ input: { currentPassword: current(), newPassword: next() } })).data?.changePassword;
    if (answer?.__typename === "User") {
      setCurrent("");
      setNext("");
      form.succeeded("Password changed. Your other devices were signed out.");
    } else form.failed(answer, "Check the new password.", "Could not change the password. Try again.");
  };
  return (
    <AccountForm
      title="Password"
      action="Change password"
      busy={state.fetching}
      result={form.result()}
      onSubmit={submit}
    >
      <Field
        label="Current password"
        type="password"
        name="currentPassword"
        autocomplete="current-password"
        value={current()}
        onInput={form.edit(setCurrent)}
        error={form.touched() && !current() ? "Enter your current password" : undefined}
      />
      <Field
        label="New password"
        type="password"
        name="newPassword"
        autocomplete="new-password"
        hint="At least 8 characters"
        value={next()}
        onInput={form.edit(setNext)}
        error={form.touched() ? validatePassword(next()) : undefined}
      />
    </AccountForm>
  );
}

function ChangeEmail() {
  const [state, request] = createMutation(RequestEmailChangeMutation);
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const form = createAccountForm();
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    form.setTouched(true);
    if (validateEmail(email()) || !password()) return;
    const answer = (await request({ input: { newEmail: email().trim(), currentPassword: password() } })).data
      ?.requestEmailChange;
    if (answer?.__typename === "EmailChangeRequested") {
      setPassword("");
      form.succeeded(`We sent a link to ${answer.newEmail}. Your email changes when you follow it (within 24 hours).`);
    } else form.failed(answer, "Check the email.", "Could not send the link. Try again.");
  };
  return (
    <AccountForm
      title="Email"
      action="Send a confirmation link"
      busy={state.fetching}
      result={form.result()}
      onSubmit={submit}
    >
      <Field
        label="New email"
        type="email"
        name="newEmail"
        autocomplete="email"
        inputmode="email"
        value={email()}
        onInput={form.edit(setEmail)}
        error={form.touched() ? validateEmail(email()) : undefined}
      />
      <Field
        label="Current password"
        type="password"
        name="emailPassword"
        autocomplete="current-password"
        value={password()}
        onInput={form.edit(setPassword)}
        error={form.touched() && !password() ? "Enter your current password" : undefined}
      />
    </AccountForm>
  );
}

function SignIns() {
  const navigate = useNavigate();
  const [signIns, refetch] = createQuery({ query: MySignInsQuery, requestPolicy: "network-only" });
  const [state, signOutEverywhere] = createMutation(SignOutEverywhereMutation);
  const everywhere = async () => {
    if (!confirm("Sign out on every device, this one included?")) return;
    await signOutEverywhere({});
    clearSession();
    await cacheStorage.clear();
    navigate("/signin", { replace: true });
    location.reload();
  };
  return (
    <fieldset class="preferences">
      <legend>Signed-in devices</legend>
      <Show when={signIns.data?.mySignIns} fallback={<LoadingState label="Loading your devices" rows={2} />}>
        {(list) => (
          <ul class="sign-ins">
            <For each={list()}>
              {(entry) => (
                <li>
                  <strong>{deviceName(entry.userAgent)}</strong>
                  {entry.current ? " · this device" : ""}
                  <br />
                  <span class="muted small">
                    Signed in {timeAgo(entry.signedInAt)} · active {timeAgo(entry.lastActiveAt)}
                  </span>
                </li>
              )}
            </For>
          </ul>
        )}
      </Show>
      <Show when={signIns.error}>{(error) => <ErrorState message={error().message} onRetry={() => refetch()} />}</Show>
      <button type="button" class="button secondary block" onClick={everywhere} disabled={state.fetching}>
        Sign out everywhere
      </button>
    </fieldset>
  );
}

/** The profile's account section: password, email, devices. */
export function AccountSecurity() {
  return (
    <>
      <ChangePassword />
      <ChangeEmail />
      <SignIns />
    </>
  );
}
