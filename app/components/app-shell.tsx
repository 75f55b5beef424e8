import { A } from "@solidjs/router";
import { createQuery } from "@urql/solid";
import { createEffect, type JSX, Show } from "solid-js";
import { applyLook, workspaceLook } from "../features/workspace/brand.ts";
import { WorkspaceLookQuery } from "../features/workspace/workspace.documents.ts";
import { currentUser, isStaff } from "../graphql/session.ts";
import { isOnline } from "../lib/online.ts";
import { applyUpdate, updateAvailable } from "../lib/service-worker.ts";

/** Header with the main navigation, the offline indicator and the update prompt around every screen. */
export function AppShell(props: { children?: JSX.Element }) {
  // The workspace's name, logo and colour: public, so the sign-in screen wears them too.
  const [lookQuery] = createQuery({ query: WorkspaceLookQuery, requestPolicy: "cache-and-network" });
  createEffect(() => {
    const workspace = lookQuery.data?.workspace;
    if (workspace) applyLook({ name: workspace.name, accentColor: workspace.accentColor, logoUrl: workspace.logoUrl });
  });
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="app-header">
        <A href="/" class="brand" end>
          <Show when={workspaceLook().logoUrl}>{(logo) => <img src={logo()} alt="" class="brand-logo" />}</Show>
          {workspaceLook().name}
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
                  <A href="/settings">Settings</A>
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
