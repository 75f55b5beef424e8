import { createMutation, createQuery } from "@urql/solid";
import { createSignal, For, Show } from "solid-js";
import { currentUser } from "../../graphql/session.ts";
import { label } from "../../lib/format.ts";
import {
  AgentsQuery,
  AssignTicketMutation,
  UpdateTicketPriorityMutation,
  UpdateTicketStatusMutation,
} from "./tickets.documents.ts";

const statuses = ["OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED"] as const;
const priorities = ["LOW", "MEDIUM", "HIGH", "URGENT"] as const;

/** What marking a ticket urgent does (sessions service `escalateTicket`, ESCALATION_LEAD_MS in sessions.rules.ts). */
export const URGENT_CONSEQUENCES =
  "Marking this ticket urgent schedules a support call 15 minutes from now (once per ticket), emails the customer " +
  "an invitation, and posts the join link in this thread. Continue?";

type Props = {
  ticket: { id: string; status: string; priority: string; assignee: { id: string; name: string } | null };
};

/** Status, priority and assignment for agents; each change saves at once and reports a refusal inline. */
export function StaffControls(props: Props) {
  const [agents] = createQuery({ query: AgentsQuery });
  const [statusState, updateStatus] = createMutation(UpdateTicketStatusMutation);
  const [priorityState, updatePriority] = createMutation(UpdateTicketPriorityMutation);
  const [assignState, assign] = createMutation(AssignTicketMutation);
  const [error, setError] = createSignal("");

  const report = (outcome: { __typename: string; message?: string } | undefined, failure?: string) => {
    if (outcome?.__typename === "Ticket") setError("");
    else setError(outcome?.message ?? failure ?? "The change was not saved");
  };

  return (
    <section class="staff-controls" aria-label="Ticket controls">
      <div class="field">
        <label for="control-status">Status</label>
        <select
          id="control-status"
          value={props.ticket.status}
          disabled={statusState.fetching}
          onChange={async (event) => {
            const select = event.currentTarget;
            const status = select.value as (typeof statuses)[number];
            const result = await updateStatus({ ticketId: props.ticket.id, status });
            report(result.data?.updateTicketStatus, result.error?.message);
            // A refused change puts the select back on the current status.
            select.value = props.ticket.status;
          }}
        >
          <For each={statuses}>{(value) => <option value={value}>{label(value)}</option>}</For>
        </select>
      </div>
      <div class="field">
        <label for="control-priority">Priority</label>
        <select
          id="control-priority"
          value={props.ticket.priority}
          disabled={priorityState.fetching}
          onChange={async (event) => {
            const select = event.currentTarget;
            const priority = select.value as (typeof priorities)[number];
            // Urgent has consequences beyond the ticket: say them before they happen, and let the agent back out.
            if (priority === "URGENT" && props.ticket.priority !== "URGENT" && !confirm(URGENT_CONSEQUENCES)) {
              select.value = props.ticket.priority;
              return;
            }
            const result = await updatePriority({ ticketId: props.ticket.id, priority });
            report(result.data?.updateTicketPriority, result.error?.message);
          }}
        >
          <For each={priorities}>{(value) => <option value={value}>{label(value)}</option>}</For>
        </select>
      </div>
      <div class="field">
        <label for="control-assignee">Assignee</label>
        <select
          id="control-assignee"
          value={props.ticket.assignee?.id ?? ""}
          disabled={assignState.fetching || !agents.data}
          onChange={async (event) => {
            const assigneeId = event.currentTarget.value || null;
            const result = await assign({ ticketId: props.ticket.id, assigneeId });
            report(result.data?.assignTicket, result.error?.message);
          }}
        >
          <option value="">Nobody</option>
          <Show when={!agents.data && props.ticket.assignee}>
            {(assignee) => <option value={assignee().id}>{assignee().name}</option>}
          </Show>
          <For each={agents.data?.agents ?? []}>{(agent) => <option value={agent.id}>{agent.name}</option>}</For>
        </select>
      </div>
      <Show when={props.ticket.assignee?.id !== currentUser()?.id}>
        <button
          type="button"
          class="button secondary"
          disabled={assignState.fetching}
          onClick={async () => {
            const result = await assign({ ticketId: props.ticket.id, assigneeId: currentUser()?.id ?? null });
            report(result.data?.assignTicket, result.error?.message);
          }}
        >
          Assign to me
        </button>
      </Show>
      <p class="error" role="alert">
        {error()}
      </p>
    </section>
  );
}
