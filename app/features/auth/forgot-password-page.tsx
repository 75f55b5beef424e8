import { A } from "@solidjs/router";
import { createMutation } from "@urql/solid";
import { createSignal, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { validateEmail } from "../../lib/field-errors.ts";
import { RequestPasswordResetMutation } from "./account.documents.ts";

/** `/forgot-password`: asks for a reset link. The answer never says whether the address has an account. */
export default function ForgotPasswordPage() {
  const [state, request] = createMutation(RequestPasswordResetMutation);
  const [email, setEmail] = createSignal("");
  const [touched, setTouched] = createSignal(false);
  const [sent, setSent] = createSignal("");
  const [failure, setFailure] = createSignal("");
  const error = () => (touched() ? validateEmail(email()) : undefined);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    setFailure("");
    if (validateEmail(email())) return;
    const result = await request({ email: email().trim() });
    const outcome = result.data?.requestPasswordReset;
    if (outcome?.__typename === "PasswordResetRequested") setSent(outcome.message);
    else if (outcome?.__typename === "RateLimitedError")
      setFailure(
        `Too many requests for this address. Try again in ${Math.ceil(outcome.retryAfterSeconds / 60)} minutes.`,
      );
    else if (outcome?.__typename === "ValidationError")
      setFailure(outcome.fieldErrors[0]?.message ?? "Check the email.");
    else setFailure("Could not reach the server. Check your connection and try again.");
  };

  return (
    <section class="narrow">
      <h1>Reset your password</h1>
      <Show
        when={!sent()}
        fallback={
          <>
            <p role="status">{sent()}</p>
            <p class="hint">The link works once, for an hour. No email? Check the spam folder, or ask again.</p>
            <p>
              <A href="/signin">Back to sign in</A>
            </p>
          </>
        }
      >
        <p class="hint">Enter the email you sign in with; we will send a link to choose a new password.</p>
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
              setFailure("");
            }}
            onBlur={() => setTouched(true)}
            error={error()}
          />
          <Show when={failure()}>
            <p class="form-error" role="alert">
              {failure()}
            </p>
          </Show>
          <button type="submit" class="button primary block" disabled={state.fetching}>
            {state.fetching ? "Sending…" : "Send the link"}
          </button>
        </form>
        <p>
          <A href="/signin">Back to sign in</A>
        </p>
      </Show>
    </section>
  );
}
