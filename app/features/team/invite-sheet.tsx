import { createMutation } from "@urql/solid";
import { createEffect, createSignal, For, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { fieldErrorMap, validateEmail, validateRequired } from "../../lib/field-errors.ts";
import { InviteUserMutation } from "./team.documents.ts";

const ROLES = [
  { value: "AGENT", label: "Agent", hint: "Answers tickets and hosts sessions." },
  { value: "ADMIN", label: "Admin", hint: "Also runs the team and the workspace." },
] as const;

/**
 * A bottom sheet (a modal `<dialog>`: focus stays inside, Escape closes) to invite someone by email as an agent or
 * admin.
 */
export function InviteSheet(props: { open: boolean; onClose: () => void; onInvited: (email: string) => void }) {
  let dialog: HTMLDialogElement | undefined;
  const [state, invite] = createMutation(InviteUserMutation);
  const [email, setEmail] = createSignal("");
  const [name, setName] = createSignal("");
  const [role, setRole] = createSignal<"AGENT" | "ADMIN">("AGENT");
  const [touched, setTouched] = createSignal(false);
  const [serverErrors, setServerErrors] = createSignal<Record<string, string>>({});
  const [failure, setFailure] = createSignal("");

  createEffect(() => {
    if (props.open && !dialog?.open) {
      setEmail("");
      setName("");
      setRole("AGENT");
      setTouched(false);
      setServerErrors({});
      setFailure("");
      dialog?.showModal();
    } else if (!props.open && dialog?.open) dialog.close();
  });

  const errors = () => ({
    email: serverErrors().email ?? (email().trim() ? validateEmail(email()) : "Enter the email address to invite"),
    name: serverErrors().name ?? validateRequired(name(), "Enter their name"),
  });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    setFailure("");
    if (errors().email || errors().name) return;
    const result = await invite({ input: { email: email().trim(), name: name().trim(), role: role() } });
    const outcome = result.data?.inviteUser;
    if (outcome?.__typename === "Invitation") props.onInvited(outcome.invitation.email);
    else if (outcome?.__typename === "ValidationError") setServerErrors(fieldErrorMap(outcome.fieldErrors));
    else setFailure("Could not reach the server. Check your connection and try again.");
  };

  return (
    <dialog ref={dialog} class="sheet" aria-labelledby="invite-title" onClose={() => props.onClose()}>
      <form onSubmit={submit} novalidate class="sheet-body">
        <h2 id="invite-title">Invite to the team</h2>
        <p class="hint">They get an email with a link to choose a password. The link works for 7 days.</p>
        <Field
          label="Email"
          type="email"
          name="email"
          autocomplete="off"
          inputmode="email"
          value={email()}
          onInput={(event) => {
            const value = event.currentTarget.value;
            setEmail(value);
            setServerErrors({});
            setFailure("");
          }}
          error={touched() ? errors().email : undefined}
        />
        <Field
          label="Name"
          name="name"
          autocomplete="off"
          value={name()}
          onInput={(event) => {
            setName(event.currentTarget.value);
            setServerErrors({});
          }}
          error={touched() ? errors().name : undefined}
        />
        <fieldset class="role-choice">
          <legend>Role</legend>
          <For each={ROLES}>
            {(item) => (
              <label class="choice">
                <input
                  type="radio"
                  name="role"
                  value={item.value}
                  checked={role() === item.value}
                  onChange={() => setRole(item.value)}
                />
                <span>
                  <strong>{item.label}</strong>
                  <span class="hint">{item.hint}</span>
                </span>
              </label>
            )}
          </For>
        </fieldset>
        <Show when={failure() || serverErrors().role}>
          <p class="form-error" role="alert">
            {failure() || serverErrors().role}
          </p>
        </Show>
        <div class="sheet-actions">
          <button type="button" class="button secondary" onClick={() => props.onClose()}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={state.fetching}>
            {state.fetching ? "Sending…" : "Send invitation"}
          </button>
        </div>
      </form>
    </dialog>
  );
}
