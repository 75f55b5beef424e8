import { A } from "@solidjs/router";
import { For } from "solid-js";
import { PriorityBadge, StatusBadge } from "../../components/badges.tsx";
import { timeAgo } from "../../lib/format.ts";
import type { ResultOf, TicketSummaryFields } from "./tickets.documents.ts";

type TicketSummary = ResultOf<typeof TicketSummaryFields>;

export function TicketList(props: { tickets: readonly TicketSummary[]; showRequester?: boolean }) {
  return (
    <ul class="ticket-list">
      <For each={props.tickets}>
        {(ticket) => (
          <li>
            <A href={`/tickets/${ticket.id}`} class="ticket-row">
              <span class="ticket-subject">{ticket.subject}</span>
              <span class="ticket-meta">
                <span class="muted">{ticket.reference}</span>
                <StatusBadge status={ticket.status} />
                <PriorityBadge priority={ticket.priority} />
              </span>
              <span class="ticket-meta muted">
                {props.showRequester ? `${ticket.requester.name} · ` : ""}
                {ticket.assignee ? `Assigned to ${ticket.assignee.name} · ` : ""}
                updated {timeAgo(ticket.updatedAt)}
              </span>
            </A>
          </li>
        )}
      </For>
    </ul>
  );
}
