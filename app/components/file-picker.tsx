import { createQuery } from "@urql/solid";
import { createSignal, For, Show } from "solid-js";
import { graphql } from "../graphql/tada.ts";
import { fileSize } from "../lib/format.ts";

export const UploadLimitsQuery = graphql(`
  query UploadLimits {
    uploadLimits {
      maxBytes
      maxFiles
    }
  }
`);

/** Files the server would refuse, said before anything is sent: one sentence per refusal, naming the file once. */
export function refuseOversized(
  chosen: File[],
  current: File[],
  limits: { maxBytes: number; maxFiles: number } | undefined,
): { accepted: File[]; refusals: string[] } {
  if (!limits) return { accepted: chosen, refusals: [] };
  const refusals: string[] = [];
  const accepted: File[] = [];
  for (const file of chosen) {
    if (file.size > limits.maxBytes)
      refusals.push(`${file.name} is ${fileSize(file.size)}: files can be at most ${fileSize(limits.maxBytes)}.`);
    else if (current.length + accepted.length >= limits.maxFiles)
      refusals.push(`${file.name} was not added: at most ${limits.maxFiles} files per message.`);
    else accepted.push(file);
  }
  return { accepted, refusals };
}

/**
 * Attach files from the device or, on phones, straight from the camera (`capture`). The chosen files are
 * listed with a remove button each.
 */
export function FilePicker(props: { files: File[]; onChange: (files: File[]) => void; error?: string | undefined }) {
  const [limits] = createQuery({ query: UploadLimitsQuery, requestPolicy: "cache-first" });
  const [refusals, setRefusals] = createSignal<string[]>([]);
  const add = (list: FileList | null) => {
    if (!list) return;
    const { accepted, refusals } = refuseOversized(Array.from(list), props.files, limits.data?.uploadLimits);
    setRefusals(refusals);
    if (accepted.length) props.onChange([...props.files, ...accepted]);
  };
  return (
    <fieldset class="file-picker">
      <legend>Attachments</legend>
      <div class="row">
        <label class="button secondary">
          Choose files
          <input
            class="visually-hidden"
            type="file"
            multiple
            data-testid="attach-files"
            onChange={(event) => {
              add(event.currentTarget.files);
              event.currentTarget.value = "";
            }}
          />
        </label>
        <label class="button secondary">
          Take a photo
          <input
            class="visually-hidden"
            type="file"
            accept="image/*"
            capture="environment"
            onChange={(event) => {
              add(event.currentTarget.files);
              event.currentTarget.value = "";
            }}
          />
        </label>
      </div>
      <Show when={props.files.length > 0}>
        <ul class="chosen-files">
          <For each={props.files}>
            {(file, index) => (
              <li>
                <span>
                  {file.name} <span class="muted">· {fileSize(file.size)}</span>
                </span>
                <button
                  type="button"
                  class="link"
                  aria-label={`Remove ${file.name}`}
                  onClick={() => {
                    setRefusals([]);
                    props.onChange(props.files.filter((_, i) => i !== index()));
                  }}
                >
                  Remove
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={limits.data?.uploadLimits}>
        {(limit) => (
          <p class="hint">
            Up to {limit().maxFiles} files, {fileSize(limit().maxBytes)} each.
          </p>
        )}
      </Show>
      <Show when={refusals().length > 0 || props.error}>
        <p class="error" role="alert">
          {[...refusals(), props.error].filter(Boolean).join(" ")}
        </p>
      </Show>
    </fieldset>
  );
}
