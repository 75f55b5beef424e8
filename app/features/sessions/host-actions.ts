import type { AnyVariables, TypedDocumentNode } from "@urql/core";
import { createSignal } from "solid-js";
import { client } from "../../graphql/client.ts";

/** What a host action answers: the changed entity (the cache takes it) or an expected error with its message. */
type Outcome = { __typename: string; message?: string } | null | undefined;

/**
 * Host actions on a session, one at a time: the mutation's result updates the normalized cache (the screens
 * re-render from it); a refusal is shown as `error`, a success as `notice`.
 */
export function createHostActions() {
  const [busy, setBusy] = createSignal(false);
  const [notice, setNotice] = createSignal("");
  const [error, setError] = createSignal("");

  const run = async <Variables extends AnyVariables>(
    document: TypedDocumentNode<Record<string, unknown>, Variables>,
    variables: Variables,
    done?: string,
  ) => {
    setBusy(true);
    setError("");
    setNotice("");
    const result = await client
      .mutation(document, variables)
      .toPromise()
      .catch(() => undefined);
    setBusy(false);
    const outcome = result?.data ? (Object.values(result.data)[0] as Outcome) : undefined;
    if (!outcome) return setError("The action failed. Check your connection.");
    if (outcome.message) return setError(outcome.message);
    if (done) setNotice(done);
  };

  return { busy, notice, setNotice, error, run };
}

export type HostActions = ReturnType<typeof createHostActions>;
