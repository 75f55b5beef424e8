import { A, useNavigate } from "@solidjs/router";
import { createQuery } from "@urql/solid";
import { createSignal, For, Show } from "solid-js";
import { client } from "../../graphql/client.ts";
import { createActionKeys, mutateOnce } from "../../graphql/idempotent.ts";
import { dateTime, label } from "../../lib/format.ts";
import { StartCallFromTicketMutation, TicketSessionsQuery } from "./ticket-sessions.documents.ts";
import "./sessions.css";

/**
 * For the staff ticket view: "Start a call" (a support call starting now, requester invited) and the sessions linked
 * to the ticket. Mounted by the tickets page: `<TicketSessions ticketId={id} />`.
 */
export function TicketSessions(props: { ticketId: string; staff?: boolean }) {
  const callKeys = createActionKeys();
  const navigate = useNavigate();
  const [result, refetch] = createQuery({
    query: TicketSessionsQuery,
    variables: () => ({ id: props.ticketId }),
    requestPolicy: "cache-and-network",
  });
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal("");
  const sessions = () => result.data?.ticket?.sessions ?? [];

  const startCall = async () => {
    setBusy(true);
    setError("");
    const variables = { ticketId: props.ticketId };
    const result = await mutateOnce(client, StartCallFromTicketMutation, variables, callKeys.keyFor(variables));
    callKeys.settle(!result.error?.networkError);
    const outcome = result.data?.startCallFromTicket;
    setBusy(false);
    if (outcome?.__typename === "LiveSession") navigate(`/sessions/${outcome.id}`);
    else setError(outcome?.message ?? "Could not start a call");
  };

  return (
    <section class="session-panel" aria-labelledby={`ticket-sessions-${props.ticketId}`}>
      <h2 id={`ticket-sessions-${props.ticketId}`}>Calls and sessions</h2>
      <Show when={props.staff !== false}>
        <button type="button" class="button primary" disabled={busy()} onClick={() => void startCall()}>
          Start a call
        </button>
        <p class="error" role="alert" hidden={!error()}>
          {error()}
        </p>
      </Show>
      <Show when={result.fetching && !result.data}>
        <p role="status">Loading sessions…</p>
      </Show>
      <Show when={result.error && !result.data}>
        <p role="alert">
          Sessions could not be loaded.{" "}
          <button type="button" class="button small secondary" onClick={() => refetch()}>
            Try again
          </button>
        </p>
      </Show>
      <Show when={result.data && sessions().length === 0}>
        <p class="session-meta">No sessions for this ticket yet.</p>
      </Show>
      <ul class="session-list">
        <For each={sessions()}>
          {(s) => (
            <li>
              <Show
                when={props.staff !== false}
                fallback={
                  <div class="session-card">
                    <strong>{s.title}</strong>
                    <p class="session-meta">
                      {label(s.status)} · {dateTime(s.scheduledStartAt)}
                    </p>
                  </div>
                }
              >
                <A class="session-card" href={`/sessions/${s.id}`}>
                  <strong>{s.title}</strong>
                  <p class="session-meta">
                    {label(s.status)} · {dateTime(s.scheduledStartAt)}
                  </p>
                </A>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}

export default TicketSessions;
