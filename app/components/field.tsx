import { type JSX, Show, splitProps } from "solid-js";

let nextId = 0;

type FieldProps = {
  label: string;
  error?: string | undefined;
  hint?: string;
  /** Renders a textarea (with `rows`) instead of an input; the other attributes apply to either. */
  multiline?: boolean;
  rows?: number;
} & JSX.InputHTMLAttributes<HTMLInputElement>;

/** A labelled input whose hint and error are announced with it (aria-describedby). */
export function Field(props: FieldProps) {
  const [local, rest] = splitProps(props, ["label", "error", "hint", "multiline", "id"]);
  const id = local.id ?? `field-${++nextId}`;
  const described = () =>
    [local.hint ? `${id}-hint` : "", local.error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field" classList={{ invalid: Boolean(local.error) }}>
      <label for={id}>{local.label}</label>
      <Show when={local.hint}>
        <p class="hint" id={`${id}-hint`}>
          {local.hint}
        </p>
      </Show>
      <Show
        when={local.multiline}
        fallback={
          <input
            {...(rest as JSX.InputHTMLAttributes<HTMLInputElement>)}
            id={id}
            aria-invalid={local.error ? "true" : undefined}
            aria-describedby={described()}
          />
        }
      >
        <textarea
          {...(rest as unknown as JSX.TextareaHTMLAttributes<HTMLTextAreaElement>)}
          id={id}
          aria-invalid={local.error ? "true" : undefined}
          aria-describedby={described()}
        />
      </Show>
      <p class="error" id={`${id}-error`} aria-live="polite">
        {local.error ?? ""}
      </p>
    </div>
  );
}
