import { useNavigate } from "@solidjs/router";
import { createQuery, useClient } from "@urql/solid";
import { createEffect, createSignal, For, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { FilePicker } from "../../components/file-picker.tsx";
import { createActionKeys, mutateOnce } from "../../graphql/idempotent.ts";
import { fieldErrorMap, validateRequired } from "../../lib/field-errors.ts";
import { label } from "../../lib/format.ts";
import { isOnline } from "../../lib/online.ts";
import { uploadMutation } from "../../lib/upload.ts";
import { TicketCategoriesQuery } from "../workspace/workspace.documents.ts";
import { CreateTicketMutation, type ResultOf, type VariablesOf } from "./tickets.documents.ts";

const categories = ["GENERAL", "TECHNICAL", "BILLING", "ACCOUNT", "FEATURE_REQUEST", "OTHER"] as const;
const priorities = ["LOW", "MEDIUM", "HIGH", "URGENT"] as const;

type Input = VariablesOf<typeof CreateTicketMutation>["input"];

export default function NewTicketPage() {
  const navigate = useNavigate();
  const client = useClient();
  const actionKeys = createActionKeys();
  const [subject, setSubject] = createSignal("");
  const [description, setDescription] = createSignal("");
  const [category, setCategory] = createSignal<(typeof categories)[number]>("GENERAL");
  const [priority, setPriority] = createSignal<(typeof priorities)[number]>("MEDIUM");
  // The workspace names its categories and may turn some off (settings); the built-in names until it answers.
  const [categoryQuery] = createQuery({ query: TicketCategoriesQuery });
  const offered = () =>
    categoryQuery.data?.workspace?.ticketCategories.filter((entry) => entry.enabled) ??
    categories.map((value) => ({ category: value, label: label(value) }));
  createEffect(() => {
    const first = offered()[0];
    if (first && !offered().some((entry) => entry.category === category())) setCategory(first.category);
  });
  const [files, setFiles] = createSignal<File[]>([]);
  const [touched, setTouched] = createSignal<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal("");
  const [sending, setSending] = createSignal(false);
  const [progress, setProgress] = createSignal<number | null>(null);

  const errors = (): Record<string, string | undefined> => ({
    subject: serverErrors().subject ?? validateRequired(subject(), "Write a subject of at least 3 characters", 3),
    description: serverErrors().description ?? validateRequired(description(), "Describe the problem"),
    attachments: serverErrors().attachments,
  });
  const clearServerError = (field: string) => {
    const { [field]: _cleared, ...rest } = serverErrors();
    setServerErrors(rest);
  };
  const shown = (field: string) => (touched()[field] ? errors()[field] : undefined);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched({ subject: true, description: true, attachments: true });
    setFormError("");
    if (errors().subject || errors().description) return;
    setSending(true);
    const input: Input = {
      subject: subject().trim(),
      description: description().trim(),
      category: category(),
      priority: priority(),
    };
    let outcome: ResultOf<typeof CreateTicketMutation>["createTicket"] | undefined;
    let failure: string | undefined;
    try {
      if (files().length > 0) {
        setProgress(0);
        const chosen = files();
        const variables = { input: { ...input, attachments: chosen.map(() => null as unknown as File) } };
        const result = await uploadMutation(
          CreateTicketMutation,
          variables,
          Object.fromEntries(chosen.map((file, index) => [`input.attachments.${index}`, file])),
          setProgress,
          actionKeys.keyFor([variables, chosen.map((file) => [file.name, file.size, file.lastModified])]),
        );
        actionKeys.settle(result.data != null || result.errors != null);
        outcome = result.data?.createTicket;
        failure = result.errors?.[0]?.message;
      } else {
        const result = await mutateOnce(client, CreateTicketMutation, { input }, actionKeys.keyFor(input));
        actionKeys.settle(!result.error?.networkError);
        outcome = result.data?.createTicket;
        failure = result.error?.message;
      }
    } catch (error) {
      failure = (error as Error).message;
    } finally {
      setSending(false);
      setProgress(null);
    }
    if (outcome?.__typename === "Ticket") {
      navigate(`/tickets/${outcome.id}`);
    } else if (outcome?.__typename === "ValidationError") {
      setServerErrors(fieldErrorMap(outcome.fieldErrors));
    } else if (outcome?.__typename === "UploadRejectedError") {
      setServerErrors({ attachments: outcome.message });
    } else {
      setFormError(failure ?? "The ticket was not created; try again.");
    }
  };

  return (
    <section class="narrow">
      <h1>New ticket</h1>
      <form onSubmit={submit} novalidate>
        <Field
          label="Subject"
          name="subject"
          maxlength={200}
          value={subject()}
          onInput={(event) => {
            setSubject(event.currentTarget.value);
            clearServerError("subject");
          }}
          onBlur={() => setTouched({ ...touched(), subject: true })}
          error={shown("subject")}
        />
        <Field
          label="Description"
          name="description"
          multiline
          rows={6}
          value={description()}
          onInput={(event) => {
            setDescription(event.currentTarget.value);
            clearServerError("description");
          }}
          onBlur={() => setTouched({ ...touched(), description: true })}
          error={shown("description")}
        />
        <div class="row two">
          <div class="field">
            <label for="ticket-category">Category</label>
            <select
              id="ticket-category"
              value={category()}
              onChange={(event) => setCategory(event.currentTarget.value as (typeof categories)[number])}
            >
              <For each={offered()}>{(entry) => <option value={entry.category}>{entry.label}</option>}</For>
            </select>
          </div>
          <div class="field">
            <label for="ticket-priority">Priority</label>
            <select
              id="ticket-priority"
              value={priority()}
              onChange={(event) => setPriority(event.currentTarget.value as (typeof priorities)[number])}
            >
              <For each={priorities}>{(value) => <option value={value}>{label(value)}</option>}</For>
            </select>
          </div>
        </div>
        <FilePicker files={files()} onChange={setFiles} error={shown("attachments")} />
        <Show when={progress() !== null}>
          <label class="progress-label">
            Uploading attachments
            <progress max="1" value={progress() ?? 0} />
          </label>
        </Show>
        <Show when={formError()}>
          <p class="form-error" role="alert">
            {formError()}
          </p>
        </Show>
        <Show when={!isOnline()}>
          <p class="hint">You are offline: the ticket can be sent when the connection returns.</p>
        </Show>
        <button type="submit" class="button primary block" disabled={sending() || !isOnline()}>
          {sending() ? "Sending…" : "Create ticket"}
        </button>
      </form>
    </section>
  );
}
