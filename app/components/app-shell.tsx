import { A } from "@solidjs/router";
import { type JSX, Show } from "solid-js";
import { currentUser, isStaff } from "../graphql/session.ts";
import { isOnline } from "../lib/online.ts";
import { applyUpdate, updateAvailable } from "../lib/service-worker.ts";

/** Header with the main navigation, the offline indicator and the update prompt around every screen. */
export function AppShell(props: { children?: JSX.Element }) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="app-header">
        <A href="/" class="brand" end>
          Live Support
        </A>
        <Show when={currentUser()}>
          {(user) => (
            <nav aria-label="Main">
              <Show
                when={isStaff(user().role)}
                fallback={
                  <>
                    <A href="/tickets" end>
                      My tickets
                    </A>
                    <A href="/tickets/new">New ticket</A>
                  </>
                }
              >
                <A href="/inbox">Inbox</A>
                <A href="/sessions">Sessions</A>
                <Show when={user().role === "ADMIN"}>
                  <A href="/team">Team</A>
                </Show>
              </Show>
              <A href="/profile">Profile</A>
            </nav>
          )}
        </Show>
      </header>
      <Show when={!isOnline()}>
        <div class="banner offline" role="status" data-testid="offline-indicator">
          You are offline. Showing saved tickets; messages you write are sent when you are back online.
        </div>
      </Show>
      <Show when={updateAvailable()}>
        <div class="banner update" role="status">
          <span>A new version is ready.</span>
          <button type="button" class="button small" onClick={applyUpdate}>
            Reload
          </button>
        </div>
      </Show>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
