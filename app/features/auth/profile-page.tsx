import { useNavigate } from "@solidjs/router";
import { createMutation, createQuery } from "@urql/solid";
import { createSignal, For, Match, Show, Switch } from "solid-js";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { cacheStorage } from "../../graphql/client.ts";
import { clearSession, currentUser, isStaff } from "../../graphql/session.ts";
import { label } from "../../lib/format.ts";
import { PushOptIn } from "../sessions/push-opt-in.tsx";
import { AccountSecurity } from "./account-security.tsx";
import {
  LogOutMutation,
  NotificationPreferencesQuery,
  type ResultOf,
  UpdateNotificationPreferencesMutation,
} from "./auth.documents.ts";

type Preferences = Omit<
  NonNullable<ResultOf<typeof NotificationPreferencesQuery>["me"]>["notificationPreferences"],
  " $fragmentName"
>;
type PreferenceKey = "ticketCreated" | "ticketReply" | "ticketResolved" | "ticketAssigned" | "ticketCustomerMessage";

/**
 * Ticket emails each user can turn off, worded for who reads them: a customer gets news of the tickets they opened;
 * agents and admins mostly of the tickets they work on, and of the ones they opened themselves only second.
 */
const CUSTOMER_PREFERENCES: { key: PreferenceKey; name: string }[] = [
  { key: "ticketCreated", name: "Confirmation when I open a ticket" },
  { key: "ticketReply", name: "An agent answered my ticket" },
  { key: "ticketResolved", name: "My ticket was resolved" },
];
const STAFF_PREFERENCES: { key: PreferenceKey; name: string }[] = [
  { key: "ticketAssigned", name: "A ticket is assigned to me" },
  { key: "ticketCustomerMessage", name: "A customer writes on a ticket assigned to me" },
  { key: "ticketCreated", name: "Confirmation when I open a ticket myself" },
  { key: "ticketReply", name: "A reply on a ticket I opened myself" },
  { key: "ticketResolved", name: "A ticket I opened myself is resolved" },
];

/** Email preferences: each switch saves at once; a failed save puts the switch back and says why. */
function EmailPreferences() {
  const [query, refetch] = createQuery({ query: NotificationPreferencesQuery, requestPolicy: "cache-and-network" });
  const [saving, save] = createMutation(UpdateNotificationPreferencesMutation);
  const [local, setLocal] = createSignal<Partial<Preferences>>({});
  const [status, setStatus] = createSignal("");
  const [failed, setFailed] = createSignal(false);
  const staff = () => isStaff(currentUser()?.role ?? "CUSTOMER");
  const value = (prefs: Preferences, key: PreferenceKey) => local()[key] ?? prefs[key];

  const toggle = async (key: PreferenceKey, on: boolean) => {
    setLocal((current) => ({ ...current, [key]: on }));
    setStatus("Saving…");
    setFailed(false);
    const result = await save({ input: { [key]: on } });
    const outcome = result.data?.updateNotificationPreferences;
    if (outcome?.__typename === "NotificationPreferences") {
      setLocal(outcome);
      setStatus("Saved.");
      return;
    }
    setLocal((current) => ({ ...current, [key]: !on }));
    setFailed(true);
    setStatus(
      (outcome && "message" in outcome ? outcome.message : result.error?.message) ??
        "Could not save your preferences. Try again.",
    );
  };

  return (
    <fieldset class="preferences" aria-describedby="preferences-status">
      <legend>Email notifications</legend>
      <Switch>
        <Match when={query.data?.me?.notificationPreferences}>
          {(prefs) => (
            <For each={staff() ? STAFF_PREFERENCES : CUSTOMER_PREFERENCES}>
              {(preference) => (
                <label class="toggle">
                  <input
                    type="checkbox"
                    name={preference.key}
                    checked={value(prefs(), preference.key)}
                    disabled={saving.fetching}
                    onChange={(event) => void toggle(preference.key, event.currentTarget.checked)}
                  />
                  <span>{preference.name}</span>
                </label>
              )}
            </For>
          )}
        </Match>
        <Match when={query.error}>
          {(error) => (
            <ErrorState message={error().message} onRetry={() => refetch({ requestPolicy: "network-only" })} />
          )}
        </Match>
        <Match when={true}>
          <LoadingState label="Loading your preferences" rows={3} />
        </Match>
      </Switch>
      <p id="preferences-status" class={failed() ? "error" : "hint"} role="status">
        {status()}
      </p>
    </fieldset>
  );
}

export default function ProfilePage() {
  const navigate = useNavigate();
  const [logOutState, logOut] = createMutation(LogOutMutation);

  const signOut = async () => {
    await logOut({});
    clearSession();
    await cacheStorage.clear();
    localStorage.removeItem("live-support.outbox");
    navigate("/signin", { replace: true });
    // A fresh page drops the signed-out user's data still held in memory.
    location.reload();
  };

  return (
    <section class="narrow">
      <h1>Profile</h1>
      <Show when={currentUser()}>
        {(user) => (
          <dl class="details">
            <dt>Name</dt>
            <dd>{user().name}</dd>
            <dt>Email</dt>
            <dd>{user().email}</dd>
            <dt>Role</dt>
            <dd>{label(user().role)}</dd>
          </dl>
        )}
      </Show>
      <EmailPreferences />
      <AccountSecurity />
      <fieldset class="preferences">
        <legend>This device</legend>
        <p class="hint">Session reminders and ticket updates as notifications on this phone or computer.</p>
        <PushOptIn />
      </fieldset>
      <button type="button" class="button secondary block" onClick={signOut} disabled={logOutState.fetching}>
        Sign out
      </button>
    </section>
  );
}
