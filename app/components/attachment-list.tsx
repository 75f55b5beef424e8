import { For, Show } from "solid-js";
import { fileSize } from "../lib/format.ts";

type Attachment = { id: string; fileName: string; mimeType: string; size: number; inline: boolean; url: string };

export function AttachmentList(props: { attachments: readonly Attachment[] }) {
  return (
    <Show when={props.attachments.length > 0}>
      <ul class="attachments" aria-label="Attachments">
        <For each={props.attachments}>
          {(attachment) => (
            <li>
              <Show when={attachment.inline && attachment.mimeType.startsWith("image/")}>
                <img src={attachment.url} alt="" width="64" height="64" loading="lazy" class="thumb" />
              </Show>
              <a href={attachment.url} target="_blank" rel="noopener" download={attachment.inline ? undefined : ""}>
                {attachment.fileName}
              </a>
              <span class="muted"> · {fileSize(attachment.size)}</span>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
