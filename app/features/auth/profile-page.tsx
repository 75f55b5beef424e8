import { useNavigate } from "@solidjs/router";
import { createMutation } from "@urql/solid";
import { Show } from "solid-js";
import { cacheStorage } from "../../graphql/client.ts";
import { clearSession, currentUser } from "../../graphql/session.ts";
import { label } from "../../lib/format.ts";
import { LogOutMutation } from "./auth.documents.ts";

const preferences = [
  { id: "ticket-replies", name: "Replies to my tickets" },
  { id: "session-reminders", name: "Reminders before live sessions" },
  { id: "push", name: "Notifications on this device" },
];

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
      <fieldset class="preferences" disabled aria-describedby="preferences-note">
        <legend>Notifications</legend>
        <p id="preferences-note" class="hint">
          These settings become available when the server offers notification preferences.
        </p>
        {preferences.map((preference) => (
          <label class="toggle">
            <input type="checkbox" name={preference.id} />
            <span>{preference.name}</span>
          </label>
        ))}
      </fieldset>
      <button type="button" class="button secondary block" onClick={signOut} disabled={logOutState.fetching}>
        Sign out
      </button>
    </section>
  );
}
