import { A, useNavigate, useParams } from "@solidjs/router";
import { createMutation, createQuery } from "@urql/solid";
import { createSignal, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { applyAuthPayload } from "../../graphql/session.ts";
import { validatePassword, validateRequired } from "../../lib/field-errors.ts";
import { label } from "../../lib/format.ts";
import { afterSignIn } from "../auth/sign-in-page.tsx";
import { AcceptInviteMutation, InvitationPreviewQuery } from "./team.documents.ts";

/** `/invite/:token` (the emailed link): who invited whom, then a name and password, and the invitee is signed in. */
export default function AcceptInvitePage() {
  const params = useParams<{ token: string }>();
  const navigate = useNavigate();
  const [preview, retry] = createQuery({
    query: InvitationPreviewQuery,
    variables: () => ({ token: params.token }),
    requestPolicy: "network-only",
  });
  const [state, accept] = createMutation(AcceptInviteMutation);
  const [name, setName] = createSignal<string | null>(null);
  const [password, setPassword] = createSignal("");
  const [repeat, setRepeat] = createSignal("");
  const [touched, setTouched] = createSignal(false);
  const [failure, setFailure] = createSignal("");
  const [spent, setSpent] = createSignal(false);
  const invitation = () => (spent() ? null : preview.data?.invitationPreview);
  const shownName = () => name() ?? invitation()?.name ?? "";
  const errors = () => ({
    name: validateRequired(shownName(), "Enter your name"),
    password: validatePassword(password()),
    repeat: repeat() === password() ? undefined : "The two passwords differ",
  });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    setFailure("");
    if (errors().name || errors().password || errors().repeat) return;
    const result = await accept({ input: { token: params.token, password: password(), name: shownName().trim() } });
    const outcome = result.data?.acceptInvite;
    if (outcome?.__typename === "AuthPayload") {
      applyAuthPayload(outcome);
      navigate(afterSignIn(undefined, outcome.user.role), { replace: true });
    } else if (outcome?.__typename === "InvalidTokenError") setSpent(true);
    else if (outcome?.__typename === "ValidationError")
      setFailure(outcome.fieldErrors[0]?.message ?? "Check the highlighted fields.");
    else setFailure(outcome?.message ?? "Could not reach the server. Check your connection and try again.");
  };

  return (
    <section class="narrow" aria-labelledby="accept-title">
      <h1 id="accept-title">Join the team</h1>
      <Show when={preview.fetching && !preview.data}>
        <LoadingState label="Checking your invitation" />
      </Show>
      <Show when={preview.error && !preview.data}>
        <ErrorState
          message="Your invitation could not be checked."
          onRetry={() => retry({ requestPolicy: "network-only" })}
        />
      </Show>
      <Show when={preview.data && !invitation()}>
        <p role="alert">This invitation has expired, was already used, or was replaced by a newer one.</p>
        <p>Ask the admin who invited you to send a new link. Already joined?</p>
        <p>
          <A href="/signin" class="button primary block">
            Sign in
          </A>
        </p>
      </Show>
      <Show when={invitation()}>
        {(invite) => (
          <>
            <p>
              {invite().invitedBy} invited <strong class="wrap-anywhere">{invite().email}</strong> to answer tickets and
              host sessions as {invite().role === "ADMIN" ? "an admin" : "an agent"}.
            </p>
            <form onSubmit={submit} novalidate>
              <Field
                label="Your name"
                name="name"
                autocomplete="name"
                value={shownName()}
                onInput={(event) => setName(event.currentTarget.value)}
                error={touched() ? errors().name : undefined}
              />
              <Field
                label="Choose a password"
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
                label="Repeat the password"
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
                {state.fetching ? "Joining…" : `Join as ${label(invite().role).toLowerCase()}`}
              </button>
            </form>
          </>
        )}
      </Show>
    </section>
  );
}
