import { A } from "@solidjs/router";
import { createQuery, createSubscription } from "@urql/solid";
import { createEffect, Match, on, Switch } from "solid-js";
import { EmptyState, ErrorState, LoadingState } from "../../components/states.tsx";
import { TicketList } from "./ticket-list.tsx";
import { TicketFeedSubscription, TicketsQuery } from "./tickets.documents.ts";

export default function MyTicketsPage() {
  const [tickets, refetch] = createQuery({ query: TicketsQuery, variables: { first: 50, orderBy: "UPDATED_AT" } });
  // A customer's feed carries only their own tickets; a new one (e.g. created on another device) reloads the list.
  const [feed] = createSubscription({ query: TicketFeedSubscription });
  createEffect(
    on(
      () => feed.data,
      (event) => {
        if (event?.ticketFeed.kind === "CREATED") refetch({ requestPolicy: "network-only" });
      },
      { defer: true },
    ),
  );
  const connection = () => tickets.data?.tickets;

  return (
    <section>
      <div class="page-title">
        <h1>My tickets</h1>
        <A href="/tickets/new" class="button primary">
          New ticket
        </A>
      </div>
      <Switch>
        <Match when={connection()}>
          {(data) => (
            <Switch>
              <Match when={data().edges.length === 0}>
                <EmptyState title="No tickets yet">
                  <p>Tell us what you need help with and we will get back to you here.</p>
                </EmptyState>
              </Match>
              <Match when={data().edges.length > 0}>
                <TicketList tickets={data().edges.map((edge) => edge.node)} />
              </Match>
            </Switch>
          )}
        </Match>
        <Match when={tickets.error}>
          {(error) => (
            <ErrorState message={error().message} onRetry={() => refetch({ requestPolicy: "network-only" })} />
          )}
        </Match>
        <Match when={tickets.fetching || !tickets.data}>
          <LoadingState label="Loading your tickets" />
        </Match>
      </Switch>
    </section>
  );
}
