import { useNavigate, useParams, useSearchParams } from "@solidjs/router";
import { createSignal, For, onMount, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { client } from "../../graphql/client.ts";
import { createActionKeys, mutateOnce } from "../../graphql/idempotent.ts";
import { fieldErrorMap, validateRequired } from "../../lib/field-errors.ts";
import { createInviteeChips, InviteeChipsField, inviteeError } from "./invitee-chips.tsx";
import { parseOffsets, toLocalInput } from "./invites.ts";
import { CallCapacityQuery, CreateLiveSessionMutation, UpdateLiveSessionMutation } from "./session-form.documents.ts";
import { LiveSessionQuery } from "./sessions.documents.ts";
import "./sessions.css";

const TYPES = [
  ["SUPPORT_CALL", "Support call"],
  ["CONSULTATION", "Consultation"],
  ["TRAINING", "Training"],
  ["WEBINAR", "Webinar"],
] as const;
type SessionType = (typeof TYPES)[number][0];

type Toggles =
  | "waitingRoom"
  | "requiresApproval"
  | "emailVerificationRequired"
  | "recordingEnabled"
  | "chatEnabled"
  | "screenShareEnabled";
const TOGGLES: [Toggles, string][] = [
  ["waitingRoom", "Waiting room: I let people in"],
  ["requiresApproval", "Every joiner needs my approval"],
  ["emailVerificationRequired", "Joiners verify their email with a code"],
  ["recordingEnabled", "Allow recording"],
  ["chatEnabled", "Chat"],
  ["screenShareEnabled", "Screen sharing"],
];

/** Schedule (`/sessions/new`, `?ticket=<id>` links a ticket) or edit (`/sessions/:id/edit`) a session. */
export default function SessionFormPage() {
  const createKeys = createActionKeys();
  const params = useParams<{ id?: string }>();
  const [search] = useSearchParams<{ ticket?: string }>();
  const navigate = useNavigate();
  const editing = () => Boolean(params.id);
  const inHour = new Date(Date.now() + 60 * 60_000);
  inHour.setMinutes(0, 0, 0);
  const [loading, setLoading] = createSignal(editing());
  const [loadError, setLoadError] = createSignal("");
  const [title, setTitle] = createSignal("");
  const [type, setType] = createSignal<SessionType>("SUPPORT_CALL");
  const [start, setStart] = createSignal(toLocalInput(inHour.toISOString()));
  const [end, setEnd] = createSignal(toLocalInput(new Date(inHour.getTime() + 30 * 60_000).toISOString()));
  const [max, setMax] = createSignal("");
  // What calls really carry here: peer-to-peer limits as measured, or the media server's. The server enforces the
  // same limits (SeatLimitError); the form says them first.
  const [capacity, setCapacity] = createSignal<{
    mediaServer: boolean;
    meshSize: number;
    meetingSeats: number;
    webinarAudience: number;
  }>();
  onMount(() => {
    void client
      .query(CallCapacityQuery, {})
      .toPromise()
      .then((result) => setCapacity(result.data?.callCapacity ?? undefined));
  });
  /** Most seats for the chosen type (the host not counted). */
  const seatMax = () => {
    const known = capacity();
    if (!known) return 1000;
    return type() === "WEBINAR" ? known.webinarAudience : known.meetingSeats;
  };
  const capacityHint = () => {
    const known = capacity();
    if (!known) return "";
    if (known.mediaServer)
      return type() === "WEBINAR"
        ? `Up to ${known.webinarAudience} viewers: webinars go through the media server.`
        : `Up to ${known.meetingSeats} besides you: meetings past 4 go through the media server.`;
    return type() === "WEBINAR"
      ? `Up to ${known.webinarAudience} viewers: without a media server you send your video to each of them.`
      : `Up to ${known.meetingSeats} besides you: without a media server everyone sends to everyone (${known.meshSize} in all).`;
  };
  const [agenda, setAgenda] = createSignal("");
  const [description, setDescription] = createSignal("");
  const invitees = createInviteeChips();
  const [password, setPassword] = createSignal("");
  const [hadPassword, setHadPassword] = createSignal(false);
  const [removePassword, setRemovePassword] = createSignal(false);
  const [domains, setDomains] = createSignal("");
  const [offsets, setOffsets] = createSignal("60, 15");
  const [ticketId, setTicketId] = createSignal(search.ticket ?? "");
  const [toggles, setToggles] = createSignal<Record<Toggles, boolean>>({
    waitingRoom: true,
    requiresApproval: false,
    emailVerificationRequired: false,
    recordingEnabled: false,
    chatEnabled: true,
    screenShareEnabled: true,
  });
  const [touched, setTouched] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [serverErrors, setServerErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal("");

  onMount(async () => {
    if (!params.id) return;
    const result = await client
      .query(LiveSessionQuery, { id: params.id }, { requestPolicy: "network-only" })
      .toPromise();
    const s = result.data?.liveSession;
    setLoading(false);
    if (!s) return setLoadError(result.error?.message ?? "This session does not exist or is not yours.");
    setTitle(s.title);
    setType(s.type);
    setStart(toLocalInput(s.scheduledStartAt));
    setEnd(toLocalInput(s.scheduledEndAt));
    setMax(String(s.maxParticipants));
    setAgenda(s.agenda);
    setDescription(s.description);
    invitees.replace(s.invites.map(({ name, email }) => ({ name, email })));
    setHadPassword(s.hasPassword);
    setDomains(s.allowedEmailDomains.join(", "));
    setOffsets(s.reminderOffsets.join(", "));
    setTicketId(s.ticket?.id ?? "");
    setToggles({
      waitingRoom: s.waitingRoom,
      requiresApproval: s.requiresApproval,
      emailVerificationRequired: s.emailVerificationRequired,
      recordingEnabled: s.recordingEnabled,
      chatEnabled: s.chatEnabled,
      screenShareEnabled: s.screenShareEnabled,
    });
  });

  const errors = () => {
    const server = serverErrors();
    const startsAt = Date.parse(start());
    const endsAt = Date.parse(end());
    const maxValue = Number(max());
    return {
      title: server.title ?? validateRequired(title(), "Give the session a title"),
      scheduledStartAt: server.scheduledStartAt ?? (Number.isNaN(startsAt) ? "Choose a start time" : undefined),
      scheduledEndAt:
        server.scheduledEndAt ??
        (Number.isNaN(endsAt) ? "Choose an end time" : endsAt <= startsAt ? "End after the start" : undefined),
      maxParticipants:
        server.maxParticipants ??
        (max() && !(Number.isInteger(maxValue) && maxValue >= 1 && maxValue <= seatMax())
          ? `Between 1 and ${seatMax()}`
          : undefined),
      invites: inviteeError(invitees) ?? server.invites,
      reminderOffsets:
        server.reminderOffsets ??
        (offsets().trim() && !parseOffsets(offsets()) ? "Minutes before the start, e.g. 60, 15" : undefined),
      password: server.password,
      allowedEmailDomains: server.allowedEmailDomains,
      agenda: server.agenda,
      description: server.description,
      ticketId: server.ticketId,
    };
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched(true);
    setFormError("");
    invitees.commitDraft();
    if (hasErrors()) return;
    const input = {
      title: title().trim(),
      type: type(),
      scheduledStartAt: new Date(start()).toISOString(),
      scheduledEndAt: new Date(end()).toISOString(),
      ...(max() ? { maxParticipants: Number(max()) } : {}),
      agenda: agenda(),
      description: description(),
      invites: invitees.invitees(),
      allowedEmailDomains: domains()
        .split(/[,\s]+/)
        .map((d) => d.trim().replace(/^@/, ""))
        .filter(Boolean),
      ...(offsets().trim() ? { reminderOffsets: parseOffsets(offsets()) ?? [] } : { reminderOffsets: [] }),
      ...(ticketId().trim() ? { ticketId: ticketId().trim() } : {}),
      ...toggles(),
      ...(password() ? { password: password() } : removePassword() ? { password: null } : {}),
    };
    setBusy(true);
    let outcome:
      | { __typename: string; id?: string; message?: string; fieldErrors?: { path: string; message: string }[] }
      | undefined;
    let failure: string | undefined;
    if (params.id) {
      const result = await client.mutation(UpdateLiveSessionMutation, { id: params.id, input }).toPromise();
      outcome = result.data?.updateLiveSession;
      failure = result.error?.message;
    } else {
      const result = await mutateOnce(client, CreateLiveSessionMutation, { input }, createKeys.keyFor(input));
      createKeys.settle(!result.error?.networkError);
      outcome = result.data?.createLiveSession;
      failure = result.error?.message;
    }
    setBusy(false);
    if (outcome?.__typename === "LiveSession" && outcome.id) navigate(`/sessions/${outcome.id}`);
    else if (outcome?.__typename === "ValidationError") setServerErrors(fieldErrorMap(outcome.fieldErrors));
    else if (outcome?.__typename === "SeatLimitError") setServerErrors({ maxParticipants: outcome.message ?? "" });
    else setFormError(outcome?.message ?? failure ?? "Could not save the session");
  };

  const hasErrors = () => Object.values(errors()).some(Boolean);
  /** What blocks the form, said once above the button; it goes away as soon as the fields are fixed. */
  const blocking = () => {
    if (!touched() || !hasErrors()) return "";
    const invites = errors().invites;
    return invites && Object.values(errors()).filter(Boolean).length === 1
      ? `Not scheduled yet. ${invites}.`
      : "Not saved yet: check the highlighted fields.";
  };
  const show = (key: keyof ReturnType<typeof errors>) => (touched() ? errors()[key] : undefined);
  const change = (setter: (value: string) => void, key: string) => (event: { currentTarget: { value: string } }) => {
    setter(event.currentTarget.value);
    setServerErrors(({ [key]: _, ...rest }) => rest);
  };

  return (
    <section class="narrow" aria-labelledby="form-title">
      <h1 id="form-title">{editing() ? "Edit session" : "Schedule a session"}</h1>
      <Show when={loading()}>
        <LoadingState label="Loading the session" rows={6} />
      </Show>
      <Show when={loadError()}>
        <ErrorState message={loadError()} />
      </Show>
      <Show when={!loading() && !loadError()}>
        <form onSubmit={submit} novalidate>
          <Field label="Title" name="title" value={title()} onInput={change(setTitle, "title")} error={show("title")} />
          <div class="field">
            <label for="session-type">Type</label>
            <select
              id="session-type"
              class="select"
              value={type()}
              onChange={(event) => setType(event.currentTarget.value as SessionType)}
            >
              <For each={TYPES}>{([value, text]) => <option value={value}>{text}</option>}</For>
            </select>
          </div>
          <Field
            label="Starts"
            type="datetime-local"
            name="start"
            value={start()}
            onInput={change(setStart, "scheduledStartAt")}
            error={show("scheduledStartAt")}
          />
          <Field
            label="Ends"
            type="datetime-local"
            name="end"
            value={end()}
            onInput={change(setEnd, "scheduledEndAt")}
            error={show("scheduledEndAt")}
          />
          <Field
            label="Maximum participants"
            type="number"
            name="maxParticipants"
            inputmode="numeric"
            min={1}
            max={seatMax()}
            hint={`Leave empty for the default (webinar 100, training 25, others 4, within the limit). ${capacityHint()}`}
            value={max()}
            onInput={change(setMax, "maxParticipants")}
            error={show("maxParticipants")}
          />
          <Field
            label="Agenda"
            multiline
            rows={3}
            name="agenda"
            value={agenda()}
            onInput={change(setAgenda, "agenda")}
            error={show("agenda")}
          />
          <Field
            label="Description"
            multiline
            rows={3}
            name="description"
            value={description()}
            onInput={change(setDescription, "description")}
            error={show("description")}
          />
          <InviteeChipsField
            list={invitees}
            error={show("invites")}
            onChange={() => setServerErrors(({ invites: _, ...rest }) => rest)}
          />
          <fieldset class="checks">
            <legend>Options</legend>
            <For each={TOGGLES}>
              {([key, text]) => (
                <label>
                  <input
                    type="checkbox"
                    name={key}
                    checked={toggles()[key]}
                    onChange={(event) => {
                      const checked = event.currentTarget.checked;
                      setToggles((current) => ({ ...current, [key]: checked }));
                    }}
                  />
                  {text}
                </label>
              )}
            </For>
          </fieldset>
          <Field
            label="Password"
            type="password"
            name="password"
            autocomplete="new-password"
            hint={hadPassword() ? "A password is set; type a new one to change it" : "Optional"}
            value={password()}
            onInput={change(setPassword, "password")}
            error={show("password")}
          />
          <Show when={hadPassword()}>
            <div class="checks">
              <label>
                <input
                  type="checkbox"
                  checked={removePassword()}
                  onChange={(event) => setRemovePassword(event.currentTarget.checked)}
                />
                Remove the password
              </label>
            </div>
          </Show>
          <Field
            label="Allowed email domains"
            name="domains"
            hint="Comma-separated, e.g. example.com; empty: anyone"
            value={domains()}
            onInput={change(setDomains, "allowedEmailDomains")}
            error={show("allowedEmailDomains")}
          />
          <Field
            label="Reminders (minutes before)"
            name="reminders"
            inputmode="numeric"
            value={offsets()}
            onInput={change(setOffsets, "reminderOffsets")}
            error={show("reminderOffsets")}
          />
          <Field
            label="Related ticket id"
            name="ticketId"
            hint="Optional"
            value={ticketId()}
            onInput={change(setTicketId, "ticketId")}
            error={show("ticketId")}
          />
          <Show when={blocking() || formError()}>
            <p class="form-error" role="alert">
              {blocking() || formError()}
            </p>
          </Show>
          <button type="submit" class="button primary block" disabled={busy()}>
            {editing() ? "Save changes" : "Schedule"}
          </button>
        </form>
      </Show>
    </section>
  );
}
