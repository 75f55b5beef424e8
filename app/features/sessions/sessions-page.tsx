import { A } from "@solidjs/router";
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { EmptyState, ErrorState, LoadingState } from "../../components/states.tsx";
import { queryLatest } from "../../graphql/client.ts";
import { dateTime, label } from "../../lib/format.ts";
import type { ResultOf, VariablesOf } from "./sessions.documents.ts";
import { LiveSessionsQuery } from "./sessions-page.documents.ts";
import "./sessions.css";

type Summary = ResultOf<typeof LiveSessionsQuery>["liveSessions"]["edges"][number]["node"];
type Tab = "upcoming" | "live" | "past";

const FILTERS: Record<Tab, VariablesOf<typeof LiveSessionsQuery>["filter"]> = {
  upcoming: { when: "UPCOMING", status: ["SCHEDULED"] },
  live: { status: ["LIVE"] },
  past: { when: "PAST" },
};
const TAB_LABELS: Record<Tab, string> = { upcoming: "Upcoming", live: "Live now", past: "Past" };
const PAGE = 20;

/** Host dashboard (`/sessions`): upcoming, live and past sessions, paged with "Show more". */
export default function SessionsPage() {
  const [tab, setTab] = createSignal<Tab>("upcoming");
  const [items, setItems] = createSignal<Summary[]>([]);
  const [total, setTotal] = createSignal(0);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [more, setMore] = createSignal(false);
  const [status, setStatus] = createSignal<"loading" | "ready" | "error">("loading");

  const load = async (append: boolean) => {
    setStatus("loading");
    const result = await queryLatest(LiveSessionsQuery, {
      filter: FILTERS[tab()],
      first: PAGE,
      after: append ? cursor() : null,
    });
    const page = result.data?.liveSessions;
    if (!page) return setStatus("error");
    const nodes = page.edges.map((edge) => edge.node);
    setItems((list) => (append ? [...list, ...nodes] : nodes));
    setTotal(page.totalCount);
    setCursor(page.pageInfo.endCursor ?? null);
    setMore(page.pageInfo.hasNextPage);
    setStatus("ready");
  };
  createEffect(on(tab, () => void load(false)));

  const select = (next: Tab) => {
    setItems([]);
    setTab(next);
  };
  const onKey = (event: KeyboardEvent) => {
    const tabs: Tab[] = ["upcoming", "live", "past"];
    const index = tabs.indexOf(tab());
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length] as Tab;
    select(next);
    document.getElementById(`tab-${next}`)?.focus();
  };

  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Live sessions</h1>
      <div class="session-actions">
        <A href="/sessions/new" class="button primary">
          Schedule a session
        </A>
        <A href="/sessions/analytics" class="button secondary">
          Analytics
        </A>
      </div>
      <div class="sessions-tabs" role="tablist" aria-label="Sessions" onKeyDown={onKey}>
        <For each={["upcoming", "live", "past"] as Tab[]}>
          {(value) => (
            <button
              type="button"
              role="tab"
              id={`tab-${value}`}
              aria-selected={tab() === value}
              aria-controls="sessions-panel"
              tabIndex={tab() === value ? 0 : -1}
              onClick={() => select(value)}
            >
              {TAB_LABELS[value]}
            </button>
          )}
        </For>
      </div>
      <div id="sessions-panel" role="tabpanel" aria-labelledby={`tab-${tab()}`}>
        <Show when={status() === "error"}>
          <ErrorState message="The sessions could not be loaded." onRetry={() => void load(false)} />
        </Show>
        <Show when={status() === "ready" && items().length === 0}>
          <EmptyState title={`No ${TAB_LABELS[tab()].toLowerCase()} sessions`}>
            <p>Schedule one to invite customers or run a webinar.</p>
          </EmptyState>
        </Show>
        <Show when={items().length > 0}>
          <p class="session-meta">
            {items().length} of {total()}
          </p>
          <ul class="session-list">
            <For each={items()}>
              {(session) => (
                <li>
                  <A class="session-card" href={`/sessions/${session.id}`}>
                    <strong>{session.title}</strong>
                    <p class="session-meta">
                      {label(session.type)} · {label(session.status)} · {dateTime(session.scheduledStartAt)} ·{" "}
                      {session.admittedCount}/{session.maxParticipants}
                    </p>
                  </A>
                </li>
              )}
            </For>
          </ul>
        </Show>
        <Show when={status() === "loading"}>
          <LoadingState label="Loading sessions" />
        </Show>
        <Show when={status() === "ready" && more()}>
          <button type="button" class="button secondary block" onClick={() => void load(true)}>
            Show more
          </button>
        </Show>
      </div>
    </section>
  );
}
