import { A, useNavigate, useParams } from "@solidjs/router";
import { createMutation } from "@urql/solid";
import { createSignal, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { applyAuthPayload } from "../../graphql/session.ts";
import { validatePassword } from "../../lib/field-errors.ts";
import { ResetPasswordMutation } from "./account.documents.ts";
import { afterSignIn } from "./sign-in-page.tsx";

/** `/reset-password/:token` (the emailed link): a new password, then signed in here and out everywhere else. */
export default function ResetPasswordPage() {
  const params = useParams<{ token: string }>();
  const navigate = useNavigate();
  const [state, reset] = createMutation(ResetPasswordMutation);
  const [password, setPassword] = createSignal("");
  const [repeat, setRepeat] = createSignal("");
  const [touched, setTouched] = createSignal(false);
  const [failure, setFailure] = createSignal("");
  const [expired, setExpired] = createSignal(false);
  const errors = () => ({
    password: validatePassword(password()),
    repeat: repeat() === password() ? undefined : "The two passwords differ",
  });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    setFailure("");
    if (errors().password || errors().repeat) return;
    const result = await reset({ input: { token: params.token, password: password() } });
    const outcome = result.data?.resetPassword;
    if (outcome?.__typename === "AuthPayload") {
      applyAuthPayload(outcome);
      navigate(afterSignIn(undefined, outcome.user.role), { replace: true });
    } else if (outcome?.__typename === "InvalidTokenError") setExpired(true);
    else if (outcome?.__typename === "ValidationError")
      setFailure(outcome.fieldErrors[0]?.message ?? "Check the password.");
    else setFailure(outcome?.message ?? "Could not reach the server. Check your connection and try again.");
  };

  return (
    <section class="narrow">
      <h1>Choose a new password</h1>
      <Show
        when={!expired()}
        fallback={
          <>
            <p role="alert">This link has expired or was already used.</p>
            <p>
              <A href="/forgot-password">Send a new link</A>
            </p>
          </>
        }
      >
        <p class="hint">
          Every device signed in to your account is signed out; this one signs in with the new password.
        </p>
        <form onSubmit={submit} novalidate>
          <Field
            label="New password"
            type="password"
            name="password"
            autocomplete="new-password"
            hint="At least 8 characters"
            value={password()}
            onInput={(event) => {
              setPassword(event.currentTarget.value);
              setFailure("");
            }}
            error={touched() ? errors().password : undefined}
          />
          <Field
            label="Repeat the new password"
            type="password"
            name="repeat"
            autocomplete="new-password"
            value={repeat()}
            onInput={(event) => setRepeat(event.currentTarget.value)}
            error={touched() ? errors().repeat : undefined}
          />
          <Show when={failure()}>
            <p class="form-error" role="alert">
              {failure()}
            </p>
          </Show>
          <button type="submit" class="button primary block" disabled={state.fetching}>
            {state.fetching ? "Saving…" : "Save and sign in"}
          </button>
        </form>
      </Show>
    </section>
  );
}
