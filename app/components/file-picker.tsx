import { For, Show } from "solid-js";
import { fileSize } from "../lib/format.ts";

/**
 * Attach files from the device or, on phones, straight from the camera (`capture`). The chosen files are
 * listed with a remove button each.
 */
export function FilePicker(props: { files: File[]; onChange: (files: File[]) => void; error?: string | undefined }) {
  const add = (list: FileList | null) => {
    if (list) props.onChange([...props.files, ...Array.from(list)]);
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
                  onClick={() => props.onChange(props.files.filter((_, i) => i !== index()))}
                >
                  Remove
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={props.error}>
        <p class="error" role="alert">
          {props.error}
        </p>
      </Show>
    </fieldset>
  );
}
