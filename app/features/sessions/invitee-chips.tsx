import { createSignal, For, Show } from "solid-js";
import {
  defaultName,
  describeProblem,
  endsWithSeparator,
  type Invitee,
  parseInviteeEntry,
  splitInviteeList,
} from "../../../shared/invitees.ts";

/** One chip: a person, or an entry the shared rules refused (kept as typed, so it can be fixed). */
export type InviteeChip =
  | { entry: string; invitee: Invitee; problem?: undefined }
  | { entry: string; invitee?: undefined; problem: string };

/**
 * The session form's invitees: typed or pasted text becomes one chip per person, by the same rules the API applies
 * (shared/invitees.ts). Refused entries stay as red chips and block the form until fixed or removed.
 */
export function createInviteeChips() {
  const [chips, setChips] = createSignal<InviteeChip[]>([]);
  const [draft, setDraft] = createSignal("");

  const add = (text: string) => {
    const next = [...chips()];
    for (const entry of splitInviteeList(text)) {
      const parsed = parseInviteeEntry(entry);
      if (!parsed.ok) next.push({ entry, problem: describeProblem(parsed.problem) });
      else if (!next.some((chip) => chip.invitee?.email === parsed.invitee.email))
        next.push({ entry, invitee: parsed.invitee });
    }
    setChips(next);
  };
  return {
    chips,
    draft,
    setDraft,
    add,
    /** Turns what is still in the text box into chips (on submit, blur, Enter). */
    commitDraft() {
      add(draft());
      setDraft("");
    },
    remove(index: number) {
      setChips((current) => current.filter((_, at) => at !== index));
    },
    /** Puts a refused entry back in the text box to fix it. */
    edit(index: number) {
      const chip = chips()[index];
      if (!chip) return;
      setChips((current) => current.filter((_, at) => at !== index));
      setDraft(chip.entry);
    },
    replace(invitees: Invitee[]) {
      setChips(invitees.map((invitee) => ({ entry: `${invitee.name} <${invitee.email}>`, invitee })));
    },
    invitees: () => chips().flatMap((chip) => (chip.invitee ? [chip.invitee] : [])),
    problems: () => chips().flatMap((chip) => (chip.problem ? [chip.problem] : [])),
  };
}
export type InviteeChips = ReturnType<typeof createInviteeChips>;

/** The message under the field while refused entries remain. */
export function inviteeError(list: InviteeChips): string | undefined {
  const problems = list.problems();
  if (!problems.length) return undefined;
  const count = problems.length === 1 ? "1 invitee" : `${problems.length} invitees`;
  return `Fix or remove ${count}: ${problems.join("; ")}`;
}

const SEPARATOR = /[,;\n]/;

export function InviteeChipsField(props: { list: InviteeChips; error?: string | undefined; onChange?: () => void }) {
  const id = "invitees";
  const changed = () => props.onChange?.();
  const label = (chip: InviteeChip) =>
    chip.invitee
      ? chip.invitee.name === defaultName(chip.invitee.email)
        ? chip.invitee.email
        : `${chip.invitee.name} <${chip.invitee.email}>`
      : chip.entry;
  return (
    <div class="field" classList={{ invalid: Boolean(props.error) }}>
      <label for={id}>Invitees</label>
      <p class="hint" id={`${id}-hint`}>
        Type or paste addresses, with or without names (Pat Doe &lt;pat@example.com&gt;). Commas, semicolons or new
        lines separate people.
      </p>
      <Show when={props.list.chips().length}>
        <ul class="chips" aria-label={`People invited (${props.list.invitees().length})`}>
          <For each={props.list.chips()}>
            {(chip, index) => (
              <li class="chip" classList={{ invalid: Boolean(chip.problem) }}>
                <Show when={chip.problem} fallback={<span class="chip-text">{label(chip)}</span>}>
                  <button
                    type="button"
                    class="chip-text"
                    aria-label={`Edit ${chip.entry}: ${chip.problem}`}
                    onClick={() => {
                      props.list.edit(index());
                      document.getElementById(id)?.focus();
                      changed();
                    }}
                  >
                    <span aria-hidden="true">! </span>
                    {chip.entry}
                  </button>
                </Show>
                <button
                  type="button"
                  class="chip-remove"
                  aria-label={`Remove ${label(chip)}`}
                  onClick={() => {
                    props.list.remove(index());
                    changed();
                  }}
                >
                  <span aria-hidden="true">×</span>
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <input
        id={id}
        name="invites"
        type="text"
        inputmode="email"
        autocomplete="off"
        enterkeyhint="enter"
        aria-describedby={[`${id}-hint`, props.error ? `${id}-error` : ""].filter(Boolean).join(" ")}
        aria-invalid={props.error ? "true" : undefined}
        value={props.list.draft()}
        onInput={(event) => {
          const value = event.currentTarget.value;
          if (endsWithSeparator(value)) {
            props.list.add(value);
            props.list.setDraft("");
            event.currentTarget.value = "";
          } else props.list.setDraft(value);
          changed();
        }}
        onPaste={(event) => {
          const text = event.clipboardData?.getData("text") ?? "";
          if (!SEPARATOR.test(text)) return;
          event.preventDefault();
          props.list.add(props.list.draft() + text);
          props.list.setDraft("");
          changed();
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            props.list.commitDraft();
            changed();
          } else if (event.key === "Backspace" && !props.list.draft() && props.list.chips().length) {
            props.list.remove(props.list.chips().length - 1);
            changed();
          }
        }}
        onBlur={() => {
          if (!props.list.draft().trim()) return;
          props.list.commitDraft();
          changed();
        }}
      />
      <p class="error" id={`${id}-error`} aria-live="polite">
        {props.error ?? ""}
      </p>
    </div>
  );
}
