import { A, useParams } from "@solidjs/router";
import { createQuery, createSubscription } from "@urql/solid";
import { For, Match, Show, Switch } from "solid-js";
import { AttachmentList } from "../../components/attachment-list.tsx";
import { PriorityBadge, StatusBadge } from "../../components/badges.tsx";
import { LinkedText } from "../../components/linked-text.tsx";
import { EmptyState, ErrorState, LoadingState } from "../../components/states.tsx";
import { currentUser, isStaff } from "../../graphql/session.ts";
import { afterFirstRead } from "../../graphql/subscription-start.ts";
import { dateTime, label, timeAgo } from "../../lib/format.ts";
import { TicketSessions } from "../sessions/ticket-sessions.tsx";
import { pendingMessages } from "./outbox.ts";
import { ReplyForm } from "./reply-form.tsx";
import { StaffControls } from "./staff-controls.tsx";
import { TicketEventsSubscription, TicketThreadQuery } from "./tickets.documents.ts";

export default function TicketPage() {
  const params = useParams<{ id: string }>();
  // Another ticket's page (the router keeps this component) starts afresh, its subscription after its own read.
  return (
    <Show when={params.id} keyed>
      {(id) => <TicketThread id={id} />}
    </Show>
  );
}

function TicketThread(props: { id: string }) {
  const [thread, refetch] = createQuery({ query: TicketThreadQuery, variables: { id: props.id } });
  // Live: new messages and changes arrive through the subscription and update the normalized cache, from the
  // thread's first read on (a reply posted while the page loads shows too).
  createSubscription({
    query: TicketEventsSubscription,
    ...afterFirstRead(
      () => thread.data?.ticket,
      (after) => ({ ticketId: props.id, after }),
    ),
  });
  const staff = () => isStaff(currentUser()?.role);

  return (
    <Switch>
      <Match when={thread.data?.ticket}>
        {(ticket) => (
          <article class="ticket">
            <p>
              <A href={staff() ? "/inbox" : "/tickets"} class="back-link">
                ← {staff() ? "Inbox" : "My tickets"}
              </A>
            </p>
            <header class="ticket-header">
              <h1>{ticket().subject}</h1>
              <p class="ticket-meta">
                <span class="muted">{ticket().reference}</span>
                <span data-testid="ticket-status">
                  <StatusBadge status={ticket().status} />
                </span>
                <PriorityBadge priority={ticket().priority} />
                <span class="muted">{label(ticket().category)}</span>
              </p>
              <p class="muted small">
                Opened by {ticket().requester.name} {timeAgo(ticket().createdAt)}
                {ticket().assignee ? ` · assigned to ${ticket().assignee?.name}` : " · not assigned yet"}
              </p>
            </header>
            <Show when={staff()}>
              <StaffControls ticket={ticket()} />
            </Show>
            <TicketSessions ticketId={ticket().id} staff={staff()} />
            <section class="message original" aria-label="Description">
              <p class="message-body">{ticket().description}</p>
              <AttachmentList attachments={ticket().attachments} />
            </section>
            <h2 class="visually-hidden">Conversation</h2>
            <ol class="messages" aria-live="polite" data-testid="messages">
              <For each={ticket().messages.edges}>
                {(edge) => (
                  <li
                    class="message"
                    classList={{
                      internal: edge.node.internal,
                      mine: edge.node.author.id === currentUser()?.id,
                    }}
                  >
                    <p class="message-author">
                      <strong>{edge.node.author.name}</strong>
                      <Show when={edge.node.internal}>
                        <span class="badge internal-badge">Internal note</span>
                      </Show>
                      <time class="muted small" datetime={edge.node.createdAt} title={dateTime(edge.node.createdAt)}>
                        {" "}
                        {timeAgo(edge.node.createdAt)}
                      </time>
                    </p>
                    <p class="message-body">
                      <LinkedText text={edge.node.body} />
                    </p>
                    <AttachmentList attachments={edge.node.attachments} />
                  </li>
                )}
              </For>
              <For each={pendingMessages(props.id)}>
                {(message) => (
                  <li class="message mine pending" data-testid="pending-message">
                    <p class="message-author">
                      <strong>{currentUser()?.name}</strong>
                      <span class="badge pending-badge">{message.error ? "Not sent" : "Pending"}</span>
                    </p>
                    <p class="message-body">{message.body}</p>
                    <Show when={message.error}>
                      <p class="error">{message.error}</p>
                    </Show>
                  </li>
                )}
              </For>
            </ol>
            <Show when={ticket().messages.edges.length === 0 && pendingMessages(props.id).length === 0}>
              <p class="muted">No replies yet. {staff() ? "" : "We will answer here."}</p>
            </Show>
            <Show
              when={ticket().status !== "CLOSED"}
              fallback={<p class="notice">This ticket is closed. Open a new ticket to continue.</p>}
            >
              <ReplyForm ticketId={ticket().id} staff={staff()} />
            </Show>
          </article>
        )}
      </Match>
      <Match when={thread.error && !thread.data}>
        <ErrorState
          message={thread.error?.message ?? "Could not load the ticket"}
          onRetry={() => refetch({ requestPolicy: "network-only" })}
        />
      </Match>
      <Match when={thread.data && !thread.data.ticket}>
        <EmptyState title="Ticket not found">
          <p>It does not exist or you may not see it.</p>
        </EmptyState>
      </Match>
      <Match when={true}>
        <LoadingState label="Loading the ticket" rows={4} />
      </Match>
    </Switch>
  );
}
