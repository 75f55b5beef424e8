import { A, useParams } from "@solidjs/router";
import { createMutation } from "@urql/solid";
import { createSignal, Match, onMount, Switch } from "solid-js";
import { LoadingState } from "../../components/states.tsx";
import { ConfirmEmailChangeMutation } from "./account.documents.ts";

/** `/confirm-email/:token` (the link sent to a new address): makes it the account's email. */
export default function ConfirmEmailPage() {
  const params = useParams<{ token: string }>();
  const [, confirm] = createMutation(ConfirmEmailChangeMutation);
  const [outcome, setOutcome] = createSignal<{ ok: boolean; text: string }>();
  onMount(async () => {
    const result = await confirm({ token: params.token });
    const answer = result.data?.confirmEmailChange;
    if (answer?.__typename === "User") setOutcome({ ok: true, text: `Your account now uses ${answer.email}.` });
    else if (answer?.__typename === "InvalidTokenError")
      setOutcome({
        ok: false,
        text: "This link has expired or was already used. Ask for a new one from your profile.",
      });
    else setOutcome({ ok: false, text: answer?.message ?? "Could not reach the server. Reload to try again." });
  });
  return (
    <section class="narrow">
      <h1>Confirm your email</h1>
      <Switch fallback={<LoadingState label="Confirming" rows={1} />}>
        <Match when={outcome()}>
          {(shown) => (
            <>
              <p role={shown().ok ? "status" : "alert"}>{shown().text}</p>
              <p>
                <A href="/profile">Go to your profile</A>
              </p>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}
