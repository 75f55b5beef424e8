import { A } from "@solidjs/router";
import { createMutation, createQuery } from "@urql/solid";
import { For, Show } from "solid-js";
import { currentUser } from "../../graphql/session.ts";
import { DismissFirstRunChecklistMutation, FirstRunChecklistQuery } from "./workspace.documents.ts";

const STEPS = {
  INVITE_TEAM: { title: "Invite your team", how: "Add your agents and admins by email.", href: "/team" },
  CHECK_EMAIL: { title: "Check email", how: "Send a test email from the settings.", href: "/settings" },
  SCHEDULE_SESSION: {
    title: "Schedule a test session",
    how: "Try a live session with a colleague.",
    href: "/sessions/new",
  },
  OPEN_ON_PHONE: {
    title: "Open the app on your phone",
    how: "Sign in on your phone and add it to the Home Screen.",
    href: "/profile",
  },
} as const;

/** The first admin's short checklist: each step ticks itself from what happened (the server reads it from data). */
export function FirstRunChecklist() {
  const [query] = createQuery({
    query: FirstRunChecklistQuery,
    requestPolicy: "cache-and-network",
    pause: () => currentUser()?.role !== "ADMIN",
  });
  const [dismissState, dismiss] = createMutation(DismissFirstRunChecklistMutation);
  const items = () => query.data?.workspace?.firstRunChecklist ?? null;
  const done = () => items()?.filter((item) => item.done).length ?? 0;
  return (
    <Show when={currentUser()?.role === "ADMIN" && items()}>
      {(list) => (
        <section class="checklist" aria-labelledby="checklist-title">
          <div class="checklist-head">
            <h2 id="checklist-title">Get started</h2>
            <span class="hint">
              {done()} of {list().length} done
            </span>
          </div>
          <ul>
            <For each={list()}>
              {(item) => (
                <li classList={{ done: item.done }} data-step={item.key}>
                  <span class="check-mark" aria-hidden="true">
                    {item.done ? "✓" : ""}
                  </span>
                  <span>
                    <A href={STEPS[item.key].href}>{STEPS[item.key].title}</A>
                    <span class="visually-hidden">{item.done ? " (done)" : " (to do)"}</span>
                    <span class="hint"> {STEPS[item.key].how}</span>
                  </span>
                </li>
              )}
            </For>
          </ul>
          <button
            type="button"
            class="button secondary small"
            disabled={dismissState.fetching}
            onClick={() => void dismiss({})}
          >
            {done() === list().length ? "Done, hide this" : "Hide this checklist"}
          </button>
        </section>
      )}
    </Show>
  );
}
