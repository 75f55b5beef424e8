import { A, useNavigate, useSearchParams } from "@solidjs/router";
import { createMutation } from "@urql/solid";
import { createSignal, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { applyAuthPayload, isStaff, signOutReason } from "../../graphql/session.ts";
import { fieldErrorMap, validateEmail, validateRequired } from "../../lib/field-errors.ts";
import { LogInMutation } from "./auth.documents.ts";

/** Where to go after signing in: the page that asked for it, else the user's home. */
export function afterSignIn(next: string | undefined, role: Parameters<typeof isStaff>[0]): string {
  if (next?.startsWith("/") && !next.startsWith("//")) return next;
  return isStaff(role) ? "/inbox" : "/tickets";
}

/**
 * What to tell someone whose sign-in failed: the specific reason when it is safe to give (too many attempts, an
 * account deactivated: the server says so only after the right password), one generic sentence otherwise, so the
 * page never tells which addresses have accounts.
 */
export function signInFailure(
  outcome: { __typename: string; message?: string; retryAfterSeconds?: number } | undefined,
  offline: boolean,
): string {
  if (offline) return "Could not reach the server. Check your connection and try again.";
  switch (outcome?.__typename) {
    case "RateLimitedError":
      return `Too many sign-in attempts. Try again in ${waitText(outcome.retryAfterSeconds ?? 60)}.`;
    case "AccountDeactivatedError":
      return "This account has been deactivated. Ask an admin of your workspace to reactivate it.";
    case "InvalidCredentialsError":
      return "That email and password do not match an account. Check both, or reset your password.";
    default:
      return "Could not sign you in just now. Try again in a moment.";
  }
}

function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

export default function SignInPage() {
  const [params] = useSearchParams<{ next?: string }>();
  const navigate = useNavigate();
  const [state, logIn] = createMutation(LogInMutation);
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [touched, setTouched] = createSignal(false);
  const [serverErrors, setServerErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal("");

  const errors = () => ({
    email: serverErrors().email ?? validateEmail(email()),
    password: serverErrors().password ?? validateRequired(password(), "Enter your password"),
  });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    setFormError("");
    if (errors().email || errors().password) return;
    const result = await logIn({ input: { email: email().trim(), password: password() } });
    const outcome = result.data?.logIn;
    if (outcome?.__typename === "AuthPayload") {
      applyAuthPayload(outcome);
      navigate(afterSignIn(params.next, outcome.user.role), { replace: true });
    } else if (outcome?.__typename === "ValidationError") {
      setServerErrors(fieldErrorMap(outcome.fieldErrors));
    } else setFormError(signInFailure(outcome, Boolean(result.error?.networkError)));
  };

  return (
    <section class="narrow">
      <h1>Sign in</h1>
      <Show when={signOutReason()}>
        {(reason) => (
          <p class="banner warning" role="alert">
            {reason()}
          </p>
        )}
      </Show>
      <form onSubmit={submit} novalidate>
        <Field
          label="Email"
          type="email"
          name="email"
          autocomplete="email"
          inputmode="email"
          value={email()}
          onInput={(event) => {
            setEmail(event.currentTarget.value);
            setServerErrors({});
            setFormError("");
          }}
          onBlur={() => setTouched(true)}
          error={touched() ? errors().email : undefined}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autocomplete="current-password"
          value={password()}
          onInput={(event) => {
            setPassword(event.currentTarget.value);
            setServerErrors({});
            setFormError("");
          }}
          error={touched() ? errors().password : undefined}
        />
        <Show when={formError()}>
          <p class="form-error" role="alert">
            {formError()}
          </p>
        </Show>
        <button type="submit" class="button primary block" disabled={state.fetching}>
          {state.fetching ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        <A href="/forgot-password">Forgot your password?</A>
      </p>
      <p>
        New here?{" "}
        <A href={`/signup${params.next ? `?next=${encodeURIComponent(params.next)}` : ""}`}>Create an account</A>
      </p>
    </section>
  );
}
