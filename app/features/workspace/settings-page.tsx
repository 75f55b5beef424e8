import { createMutation, createQuery } from "@urql/solid";
import { createEffect, createSignal, For, Match, Show, Switch } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { Field } from "../../components/field.tsx";
import { ErrorState, LoadingState } from "../../components/states.tsx";
import { currentUser } from "../../graphql/session.ts";
import type { ResultOf } from "../../graphql/tada.ts";
import { fieldErrorMap } from "../../lib/field-errors.ts";
import { uploadMutation } from "../../lib/upload.ts";
import { applyLook, darker } from "./brand.ts";
import { FirstRunChecklist } from "./first-run-checklist.tsx";
import { TestEmail, WorkspaceStatusPanel } from "./settings-panels.tsx";
import { SetWorkspaceLogoMutation, UpdateWorkspaceMutation, WorkspaceSettingsQuery } from "./workspace.documents.ts";

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const LOGO_MAX_BYTES = 512 * 1024;

type Settings = {
  name: string;
  accentColor: string;
  timeZone: string;
  days: { open: boolean; opens: string; closes: string }[];
  ticketCategories: { category: string; label: string; enabled: boolean }[];
};

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((start) => {
    const value = Number.parseInt(hex.slice(start, start + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}
/** White text on the colour: the server refuses under 4.5:1, so the form says it before saving. */
const contrast = (hex: string) => (/^#[0-9a-fA-F]{6}$/.test(hex) ? 1.05 / (luminance(hex) + 0.05) : 0);

const timeZones = (() => {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
})();

/** `/settings` (admins): the workspace's look, hours, ticket categories, a test email and the server's status. */
export default function SettingsPage() {
  const [query, refetch] = createQuery({ query: WorkspaceSettingsQuery, requestPolicy: "cache-and-network" });
  const [saveState, save] = createMutation(UpdateWorkspaceMutation);
  const [form, setForm] = createStore<Settings>({
    name: "",
    accentColor: "#1d4ed8",
    timeZone: "UTC",
    days: [],
    ticketCategories: [],
  });
  const [loaded, setLoaded] = createSignal(false);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [logoError, setLogoError] = createSignal("");
  const [logoBusy, setLogoBusy] = createSignal(false);

  const fill = (workspace: NonNullable<ResultOf<typeof WorkspaceSettingsQuery>["workspace"]>) => {
    setForm(
      reconcile({
        name: workspace.name,
        accentColor: workspace.accentColor,
        timeZone: workspace.timeZone,
        days: WEEKDAYS.map((_, index) => {
          const hours = workspace.businessHours.find((entry) => entry.day === index + 1);
          return { open: Boolean(hours), opens: hours?.opens ?? "09:00", closes: hours?.closes ?? "17:00" };
        }),
        ticketCategories: workspace.ticketCategories.map((entry) => ({ ...entry })),
      }),
    );
    setLoaded(true);
  };
  createEffect(() => {
    const workspace = query.data?.workspace;
    if (workspace && !loaded()) fill(workspace);
  });

  const edited = () => {
    setMessage(null);
    setErrors({});
  };
  const accentError = () =>
    errors().accentColor ??
    (contrast(form.accentColor) > 0 && contrast(form.accentColor) < 4.5
      ? `White text on this colour is hard to read (${contrast(form.accentColor).toFixed(1)}:1, needs 4.5:1): choose a darker one.`
      : undefined);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    edited();
    const result = await save({
      input: {
        name: form.name,
        accentColor: form.accentColor,
        timeZone: form.timeZone,
        businessHours: form.days.flatMap((day, index) =>
          day.open ? [{ day: index + 1, opens: day.opens, closes: day.closes }] : [],
        ),
        ticketCategories: form.ticketCategories.map(({ category, label, enabled }) => ({
          category: category as never,
          label,
          enabled,
        })),
      },
    });
    const outcome = result.data?.updateWorkspace;
    if (outcome?.__typename === "Workspace") {
      applyLook({ name: outcome.name, accentColor: outcome.accentColor, logoUrl: outcome.logoUrl });
      setMessage({ ok: true, text: "Saved. Everyone sees the new settings from now on." });
    } else if (outcome?.__typename === "ValidationError") {
      setErrors(fieldErrorMap(outcome.fieldErrors));
      const first = outcome.fieldErrors[0];
      setMessage({ ok: false, text: `Not saved: ${first?.message ?? outcome.message}` });
    } else {
      setMessage({ ok: false, text: "Not saved: could not reach the server. Check your connection and try again." });
    }
  };

  const uploadLogo = async (file: File | null) => {
    setLogoError("");
    if (file && file.size > LOGO_MAX_BYTES) {
      setLogoError(`${file.name} is too big: a logo can be at most 512 KB.`);
      return;
    }
    setLogoBusy(true);
    const result = await uploadMutation(SetWorkspaceLogoMutation, { logo: null }, file ? { logo: file } : {}, () => {});
    setLogoBusy(false);
    const outcome = result.data?.setWorkspaceLogo;
    if (outcome?.__typename === "Workspace") {
      applyLook({ name: form.name, accentColor: form.accentColor, logoUrl: outcome.logoUrl });
      refetch({ requestPolicy: "network-only" });
    } else if (outcome?.__typename === "UploadRejectedError") setLogoError(outcome.message);
    else setLogoError("The logo was not saved: could not reach the server.");
  };

  return (
    <section class="settings">
      <h1>Workspace settings</h1>
      <Show when={currentUser()?.role === "ADMIN"} fallback={<p>Only admins can change the workspace settings.</p>}>
        <FirstRunChecklist />
        <Switch>
          <Match when={query.error && !query.data}>
            <ErrorState
              message="The settings could not be loaded."
              onRetry={() => refetch({ requestPolicy: "network-only" })}
            />
          </Match>
          <Match when={!loaded()}>
            <LoadingState label="Loading the settings" rows={6} />
          </Match>
          <Match when={loaded()}>
            <form onSubmit={submit} novalidate class="settings-form">
              <fieldset>
                <legend>Look</legend>
                <Field
                  label="Workspace name"
                  hint="Shown in the app's header, on phones' Home Screens and in every email."
                  value={form.name}
                  maxLength={60}
                  onInput={(event) => {
                    setForm("name", event.currentTarget.value);
                    edited();
                  }}
                  error={errors().name}
                />
                <div class="accent-row">
                  <Field
                    label="Accent colour"
                    hint="A hex colour such as #1d4ed8; white text on it must stay readable."
                    value={form.accentColor}
                    maxLength={7}
                    onInput={(event) => {
                      setForm("accentColor", event.currentTarget.value.trim());
                      edited();
                    }}
                    error={accentError()}
                  />
                  <input
                    type="color"
                    aria-label="Pick the accent colour"
                    value={/^#[0-9a-fA-F]{6}$/.test(form.accentColor) ? form.accentColor : "#1d4ed8"}
                    onInput={(event) => {
                      setForm("accentColor", event.currentTarget.value);
                      edited();
                    }}
                  />
                </div>
                <p class="accent-preview" aria-hidden="true">
                  <span style={{ background: contrast(form.accentColor) ? form.accentColor : "#1d4ed8" }}>Button</span>
                  <span style={{ background: contrast(form.accentColor) ? darker(form.accentColor) : "#1e3a8a" }}>
                    {form.name || "Header"}
                  </span>
                </p>
                <div class="field">
                  <span class="label" id="logo-label">
                    Logo
                  </span>
                  <p class="hint" id="logo-hint">
                    PNG, JPEG or WebP, up to 512 KB; shown beside the name.
                  </p>
                  <div class="logo-row">
                    <Show when={query.data?.workspace?.logoUrl} fallback={<span class="hint">No logo yet.</span>}>
                      {(url) => <img src={url()} alt="Current logo" class="logo-preview" />}
                    </Show>
                    <label class="button secondary small">
                      {logoBusy() ? "Uploading…" : "Choose an image"}
                      <input
                        type="file"
                        accept="image/png,image/jpeg,image/webp"
                        class="visually-hidden"
                        aria-describedby="logo-label logo-hint"
                        onChange={(event) => void uploadLogo(event.currentTarget.files?.[0] ?? null)}
                      />
                    </label>
                    <Show when={query.data?.workspace?.logoUrl}>
                      <button type="button" class="button secondary small" onClick={() => void uploadLogo(null)}>
                        Remove
                      </button>
                    </Show>
                  </div>
                  <Show when={logoError()}>
                    <p class="form-error" role="alert">
                      {logoError()}
                    </p>
                  </Show>
                </div>
              </fieldset>

              <fieldset>
                <legend>Business hours</legend>
                <div class="field">
                  <label for="time-zone">Time zone</label>
                  <select
                    id="time-zone"
                    value={form.timeZone}
                    onChange={(event) => {
                      setForm("timeZone", event.currentTarget.value);
                      edited();
                    }}
                  >
                    <For each={timeZones.includes(form.timeZone) ? timeZones : [form.timeZone, ...timeZones]}>
                      {(zone) => <option value={zone}>{zone.replaceAll("_", " ")}</option>}
                    </For>
                  </select>
                  <p class="error" aria-live="polite">
                    {errors().timeZone ?? ""}
                  </p>
                </div>
                <ul class="hours">
                  <For each={form.days}>
                    {(day, index) => (
                      <li>
                        <label class="check">
                          <input
                            type="checkbox"
                            checked={day.open}
                            onChange={(event) => {
                              setForm("days", index(), "open", event.currentTarget.checked);
                              edited();
                            }}
                          />
                          {WEEKDAYS[index()]}
                        </label>
                        <Show when={day.open} fallback={<span class="hint">Closed</span>}>
                          <input
                            type="time"
                            aria-label={`${WEEKDAYS[index()]} opens`}
                            value={day.opens}
                            onInput={(event) => setForm("days", index(), "opens", event.currentTarget.value)}
                          />
                          <span aria-hidden="true">–</span>
                          <input
                            type="time"
                            aria-label={`${WEEKDAYS[index()]} closes`}
                            value={day.closes}
                            onInput={(event) => setForm("days", index(), "closes", event.currentTarget.value)}
                          />
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
                <Show when={errors().businessHours}>
                  <p class="form-error">{errors().businessHours}</p>
                </Show>
              </fieldset>

              <fieldset>
                <legend>Ticket categories</legend>
                <p class="hint">What customers choose from when they open a ticket. Tickets keep theirs either way.</p>
                <ul class="categories">
                  <For each={form.ticketCategories}>
                    {(entry, index) => (
                      <li>
                        <input
                          type="text"
                          aria-label={`Name of category ${index() + 1}`}
                          value={entry.label}
                          maxLength={40}
                          onInput={(event) => {
                            setForm("ticketCategories", index(), "label", event.currentTarget.value);
                            edited();
                          }}
                        />
                        <label class="check">
                          <input
                            type="checkbox"
                            checked={entry.enabled}
                            onChange={(event) => {
                              setForm("ticketCategories", index(), "enabled", event.currentTarget.checked);
                              edited();
                            }}
                          />
                          Offered
                        </label>
                      </li>
                    )}
                  </For>
                </ul>
                <Show when={errors().ticketCategories}>
                  <p class="form-error">{errors().ticketCategories}</p>
                </Show>
              </fieldset>

              <Show when={message()}>
                {(shown) => (
                  <p class={shown().ok ? "form-success" : "form-error"} role={shown().ok ? "status" : "alert"}>
                    {shown().text}
                  </p>
                )}
              </Show>
              <button type="submit" class="button primary block" disabled={saveState.fetching}>
                {saveState.fetching ? "Saving…" : "Save settings"}
              </button>
            </form>
            <TestEmail />
            <Show when={query.data?.workspace?.status}>{(status) => <WorkspaceStatusPanel status={status()} />}</Show>
          </Match>
        </Switch>
      </Show>
    </section>
  );
}
