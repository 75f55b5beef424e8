import { useClient } from "@urql/solid";
import { createSignal, Show } from "solid-js";
import { FilePicker } from "../../components/file-picker.tsx";
import { createActionKeys, mutateOnce, newActionKey } from "../../graphql/idempotent.ts";
import { fieldErrorMap } from "../../lib/field-errors.ts";
import { isOnline } from "../../lib/online.ts";
import { uploadMutation } from "../../lib/upload.ts";
import { queueMessage } from "./outbox.ts";
import { AddTicketMessageMutation, type ResultOf } from "./tickets.documents.ts";

/** Reply (or, for agents, an internal note). Offline, text replies wait in the outbox and show as pending. */
export function ReplyForm(props: { ticketId: string; staff: boolean }) {
  const client = useClient();
  const uploadKeys = createActionKeys();
  const [body, setBody] = createSignal("");
  const [internal, setInternal] = createSignal(false);
  const [files, setFiles] = createSignal<File[]>([]);
  const [error, setError] = createSignal("");
  const [sending, setSending] = createSignal(false);
  const [progress, setProgress] = createSignal<number | null>(null);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const text = body().trim();
    if (!text) {
      setError("Write a message");
      return;
    }
    setError("");
    const input = { ticketId: props.ticketId, body: text, internal: props.staff && internal() };
    // The reply's idempotency key: if the answer is lost, the outbox resends it under the same key.
    const key = newActionKey();
    if (!isOnline() && files().length === 0) {
      queueMessage(input, key);
      setBody("");
      return;
    }
    setSending(true);
    let outcome: ResultOf<typeof AddTicketMessageMutation>["addTicketMessage"] | undefined;
    let failure: string | undefined;
    try {
      if (files().length > 0) {
        setProgress(0);
        const chosen = files();
        const variables = { input: { ...input, attachments: chosen.map(() => null as unknown as File) } };
        const result = await uploadMutation(
          AddTicketMessageMutation,
          variables,
          Object.fromEntries(chosen.map((file, index) => [`input.attachments.${index}`, file])),
          setProgress,
          uploadKeys.keyFor([variables, chosen.map((file) => [file.name, file.size, file.lastModified])]),
        );
        uploadKeys.settle(result.data != null || result.errors != null);
        outcome = result.data?.addTicketMessage;
        failure = result.errors?.[0]?.message;
      } else {
        const result = await mutateOnce(client, AddTicketMessageMutation, { input }, key);
        if (result.error?.networkError) {
          queueMessage(input, key);
          setBody("");
          return;
        }
        outcome = result.data?.addTicketMessage;
        failure = result.error?.message;
      }
    } catch (caught) {
      failure = (caught as Error).message;
    } finally {
      setSending(false);
      setProgress(null);
    }
    if (outcome?.__typename === "TicketMessage") {
      setBody("");
      setFiles([]);
      setInternal(false);
    } else if (outcome?.__typename === "ValidationError") {
      setError(Object.values(fieldErrorMap(outcome.fieldErrors)).join(". "));
    } else if (outcome?.__typename === "UploadRejectedError") {
      setError(outcome.message);
    } else {
      setError(outcome?.message ?? failure ?? "The message was not sent; try again.");
    }
  };

  return (
    <form class="reply-form" onSubmit={submit} novalidate>
      <label for={`reply-${props.ticketId}`}>{internal() ? "Internal note" : "Reply"}</label>
      <textarea
        id={`reply-${props.ticketId}`}
        name="body"
        rows={3}
        value={body()}
        aria-invalid={error() ? "true" : undefined}
        aria-describedby={`reply-error-${props.ticketId}`}
        onInput={(event) => {
          setBody(event.currentTarget.value);
          if (error()) setError("");
        }}
      />
      <p class="error" id={`reply-error-${props.ticketId}`} aria-live="polite">
        {error()}
      </p>
      <Show when={props.staff}>
        <label class="toggle">
          <input type="checkbox" checked={internal()} onChange={(event) => setInternal(event.currentTarget.checked)} />
          <span>Internal note (only agents see it)</span>
        </label>
      </Show>
      <Show when={isOnline()}>
        <FilePicker files={files()} onChange={setFiles} />
      </Show>
      <Show when={progress() !== null}>
        <label class="progress-label">
          Uploading attachments
          <progress max="1" value={progress() ?? 0} />
        </label>
      </Show>
      <button type="submit" class="button primary block" disabled={sending()}>
        {sending() ? "Sending…" : isOnline() ? "Send" : "Send when online"}
      </button>
    </form>
  );
}
