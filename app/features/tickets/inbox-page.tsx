import { useSearchParams } from "@solidjs/router";
import { createQuery, createSubscription } from "@urql/solid";
import { createEffect, createSignal, For, Match, on, Show, Switch } from "solid-js";
import { EmptyState, ErrorState, LoadingState } from "../../components/states.tsx";
import { currentUser } from "../../graphql/session.ts";
import { label } from "../../lib/format.ts";
import { FirstRunChecklist } from "../workspace/first-run-checklist.tsx";
import { TicketList } from "./ticket-list.tsx";
import { TicketFeedSubscription, TicketsQuery, type VariablesOf } from "./tickets.documents.ts";

const views = [
  { id: "mine", name: "Mine" },
  { id: "unassigned", name: "Unassigned" },
  { id: "all", name: "All" },
] as const;
const statuses = ["OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED"] as const;
const priorities = ["URGENT", "HIGH", "MEDIUM", "LOW"] as const;
const VIEW_KEY = "live-support.inbox";

type Filter = NonNullable<VariablesOf<typeof TicketsQuery>["filter"]>;
type InboxParams = { view?: string; status?: string; priority?: string; q?: string };

/** The agent inbox: saved views and filters live in the URL (shareable) and are remembered on this device. */
export default function InboxPage() {
  const [params, setParams] = useSearchParams<InboxParams>();
  if (!params.view) {
    const saved = JSON.parse(localStorage.getItem(VIEW_KEY) ?? "{}") as InboxParams;
    setParams({ view: "all", ...saved }, { replace: true });
  }
  createEffect(() => {
    localStorage.setItem(
      VIEW_KEY,
      JSON.stringify({ view: params.view, status: params.status, priority: params.priority, q: params.q }),
    );
  });

  const [search, setSearch] = createSignal(params.q ?? "");
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  const onSearch = (value: string) => {
    setSearch(value);
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setParams({ q: value.trim() || undefined }), 300);
  };

  // On a phone, status and priority wait behind one button, so the first screen shows tickets (wider screens show all).
  const [filtersOpen, setFiltersOpen] = createSignal(false);
  const activeFilters = () => [params.status, params.priority].filter(Boolean).length;
  const filter = (): Filter => {
    const result: Filter = {};
    if (params.view === "mine") result.assigneeId = currentUser()?.id ?? null;
    if (params.view === "unassigned") result.unassigned = true;
    if (params.status) result.status = [params.status as (typeof statuses)[number]];
    if (params.priority) result.priority = [params.priority as (typeof priorities)[number]];
    if (params.q) result.search = params.q;
    return result;
  };

  const [tickets, refetch] = createQuery({
    query: TicketsQuery,
    variables: () => ({ filter: filter(), first: 50, orderBy: "UPDATED_AT" as const }),
  });
  const connection = () => tickets.data?.tickets;

  // New tickets and changes to tickets not in view arrive live; the list reloads when the agent asks.
  const [fresh, setFresh] = createSignal(0);
  const [feed] = createSubscription({ query: TicketFeedSubscription });
  createEffect(
    on(
      () => feed.data,
      (data) => {
        const event = data?.ticketFeed;
        if (!event) return;
        const inView = connection()?.edges.some((edge) => edge.node.id === event.ticketId);
        if (event.kind === "CREATED" || !inView) setFresh(fresh() + 1);
      },
      { defer: true },
    ),
  );
  const showFresh = () => {
    setFresh(0);
    refetch({ requestPolicy: "network-only" });
  };

  return (
    <section>
      <div class="page-title">
        <h1>Inbox</h1>
        <Show when={fresh() > 0}>
          <button type="button" class="button small new-items" onClick={showFresh} data-testid="new-items">
            {fresh() === 1 ? "1 update" : `${fresh()} updates`} · Show
          </button>
        </Show>
      </div>
      <FirstRunChecklist />
      <nav class="tabs" aria-label="Saved views">
        <For each={views}>
          {(view) => (
            <button
              type="button"
              class="tab"
              aria-pressed={params.view === view.id}
              onClick={() => setParams({ view: view.id })}
            >
              {view.name}
            </button>
          )}
        </For>
      </nav>
      <div class="filters">
        <div class="field">
          <label for="inbox-search">Search</label>
          <input
            id="inbox-search"
            type="search"
            placeholder="Words or a ticket number"
            value={search()}
            onInput={(event) => onSearch(event.currentTarget.value)}
          />
        </div>
        <button
          type="button"
          class="button secondary filters-toggle"
          aria-expanded={filtersOpen()}
          aria-controls="inbox-filters"
          onClick={() => setFiltersOpen(!filtersOpen())}
        >
          {activeFilters() ? `Filters (${activeFilters()})` : "Filters"}
        </button>
        <div id="inbox-filters" class="filter-fields" classList={{ open: filtersOpen() }}>
          <div class="field">
            <label for="inbox-status">Status</label>
            <select
              id="inbox-status"
              value={params.status ?? ""}
              onChange={(event) => setParams({ status: event.currentTarget.value || undefined })}
            >
              <option value="">Any</option>
              <For each={statuses}>{(value) => <option value={value}>{label(value)}</option>}</For>
            </select>
          </div>
          <div class="field">
            <label for="inbox-priority">Priority</label>
            <select
              id="inbox-priority"
              value={params.priority ?? ""}
              onChange={(event) => setParams({ priority: event.currentTarget.value || undefined })}
            >
              <option value="">Any</option>
              <For each={priorities}>{(value) => <option value={value}>{label(value)}</option>}</For>
            </select>
          </div>
        </div>
      </div>
      <Switch>
        <Match when={connection()}>
          {(data) => (
            <>
              <p class="muted small" aria-live="polite">
                {data().totalCount} {data().totalCount === 1 ? "ticket" : "tickets"}
              </p>
              <Show
                when={data().edges.length > 0}
                fallback={
                  <EmptyState title="Nothing here">
                    <p>No tickets match this view.</p>
                  </EmptyState>
                }
              >
                <TicketList tickets={data().edges.map((edge) => edge.node)} showRequester />
              </Show>
            </>
          )}
        </Match>
        <Match when={tickets.error}>{(error) => <ErrorState message={error().message} onRetry={showFresh} />}</Match>
        <Match when={true}>
          <LoadingState label="Loading the inbox" />
        </Match>
      </Switch>
    </section>
  );
}
