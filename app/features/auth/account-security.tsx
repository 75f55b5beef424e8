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

/** A small form in the profile: its fields, a result line, a button. */
function Section(props: { title: string; onSubmit: (event: SubmitEvent) => void; children: JSX.Element }) {
  return (
    <fieldset class="preferences">
      <legend>{props.title}</legend>
      <form onSubmit={props.onSubmit} novalidate>
        {props.children}
      </form>
    </fieldset>
  );
}

function ChangePassword() {
  const [state, change] = createMutation(ChangePasswordMutation);
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [touched, setTouched] = createSignal(false);
  const [result, setResult] = createSignal<{ ok: boolean; text: string }>();
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!current() || validatePassword(next())) return;
    const answer = (await change({ input: { currentPassword: current(), newPassword: next() } })).data?.changePassword;
    if (answer?.__typename === "User") {
      setCurrent("");
      setNext("");
      setTouched(false);
      setResult({ ok: true, text: "Password changed. Your other devices were signed out." });
    } else if (answer?.__typename === "InvalidCredentialsError")
      setResult({ ok: false, text: "Your current password is not right." });
    else if (answer?.__typename === "ValidationError")
      setResult({ ok: false, text: answer.fieldErrors[0]?.message ?? "Check the new password." });
    else setResult({ ok: false, text: answer?.message ?? "Could not change the password. Try again." });
  };
  const edit = (set: (value: string) => void) => (event: { currentTarget: HTMLInputElement }) => {
    set(event.currentTarget.value);
    setResult(undefined);
  };
  return (
    <Section title="Password" onSubmit={submit}>
      <Field
        label="Current password"
        type="password"
        name="currentPassword"
        autocomplete="current-password"
        value={current()}
        onInput={edit(setCurrent)}
        error={touched() && !current() ? "Enter your current password" : undefined}
      />
      <Field
        label="New password"
        type="password"
        name="newPassword"
        autocomplete="new-password"
        hint="At least 8 characters"
        value={next()}
        onInput={edit(setNext)}
        error={touched() ? validatePassword(next()) : undefined}
      />
      <Show when={result()}>
        {(shown) => (
          <p class={shown().ok ? "hint" : "form-error"} role={shown().ok ? "status" : "alert"}>
            {shown().text}
          </p>
        )}
      </Show>
      <button type="submit" class="button secondary block" disabled={state.fetching}>
        Change password
      </button>
    </Section>
  );
}

function ChangeEmail() {
  const [state, request] = createMutation(RequestEmailChangeMutation);
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [touched, setTouched] = createSignal(false);
  const [result, setResult] = createSignal<{ ok: boolean; text: string }>();
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    if (validateEmail(email()) || !password()) return;
    const answer = (await request({ input: { newEmail: email().trim(), currentPassword: password() } })).data
      ?.requestEmailChange;
    if (answer?.__typename === "EmailChangeRequested") {
      setPassword("");
      setTouched(false);
      setResult({
        ok: true,
        text: `We sent a link to ${answer.newEmail}. Your email changes when you follow it (within 24 hours).`,
      });
    } else if (answer?.__typename === "InvalidCredentialsError")
      setResult({ ok: false, text: "Your current password is not right." });
    else if (answer?.__typename === "ValidationError")
      setResult({ ok: false, text: answer.fieldErrors[0]?.message ?? "Check the email." });
    else setResult({ ok: false, text: answer?.message ?? "Could not send the link. Try again." });
  };
  const edit = (set: (value: string) => void) => (event: { currentTarget: HTMLInputElement }) => {
    set(event.currentTarget.value);
    setResult(undefined);
  };
  return (
    <Section title="Email" onSubmit={submit}>
      <Field
        label="New email"
        type="email"
        name="newEmail"
        autocomplete="email"
        inputmode="email"
        value={email()}
        onInput={edit(setEmail)}
        error={touched() ? validateEmail(email()) : undefined}
      />
      <Field
        label="Current password"
        type="password"
        name="emailPassword"
        autocomplete="current-password"
        value={password()}
        onInput={edit(setPassword)}
        error={touched() && !password() ? "Enter your current password" : undefined}
      />
      <Show when={result()}>
        {(shown) => (
          <p class={shown().ok ? "hint" : "form-error"} role={shown().ok ? "status" : "alert"}>
            {shown().text}
          </p>
        )}
      </Show>
      <button type="submit" class="button secondary block" disabled={state.fetching}>
        Send a confirmation link
      </button>
    </Section>
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
