import { createMutation } from "@urql/solid";
import { createSignal, For, Show } from "solid-js";
import { SendTestEmailMutation } from "./workspace.documents.ts";

/** "Send test email": sends to the admin now and shows what the mail server answered. */
export function TestEmail() {
  const [state, send] = createMutation(SendTestEmailMutation);
  const [answer, setAnswer] = createSignal<{ ok: boolean; text: string; detail?: string } | null>(null);
  const run = async () => {
    setAnswer(null);
    const result = await send({});
    const outcome = result.data?.sendTestEmail;
    if (outcome?.__typename === "TestEmailResult") {
      setAnswer(
        outcome.accepted
          ? {
              ok: true,
              text:
                outcome.transport === "smtp"
                  ? `The mail server accepted the email to ${outcome.to}. Check that inbox.`
                  : `No mail server is set (SMTP_URL): the email to ${outcome.to} was written to the server's mail folder.`,
              detail: outcome.response,
            }
          : { ok: false, text: `The mail server refused the email to ${outcome.to}.`, detail: outcome.response },
      );
    } else if (outcome && "message" in outcome) setAnswer({ ok: false, text: outcome.message });
    else setAnswer({ ok: false, text: "Could not reach the server. Check your connection and try again." });
  };
  return (
    <section class="settings-panel" aria-labelledby="test-email-title">
      <h2 id="test-email-title">Email</h2>
      <p class="hint">
        Sends a message in your workspace's look to your own address, and shows the mail server's answer.
      </p>
      <button type="button" class="button secondary block" disabled={state.fetching} onClick={() => void run()}>
        {state.fetching ? "Sending…" : "Send test email"}
      </button>
      <Show when={answer()}>
        {(shown) => (
          <div class={shown().ok ? "form-success" : "form-error"} role={shown().ok ? "status" : "alert"}>
            <p>{shown().text}</p>
            <Show when={shown().detail}>
              <p>
                Server answer: <code>{shown().detail}</code>
              </p>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}

type Status = { pushKeys: boolean; turn: boolean; mediaServer: string; mail: string };

/** What the server runs with (the same checks as /readyz): each line says what it means for the team. */
export function WorkspaceStatusPanel(props: { status: Status }) {
  const rows = () => [
    {
      name: "Push notifications",
      ok: props.status.pushKeys,
      text: props.status.pushKeys ? "Keys in place" : "No VAPID keys: phones get no push notifications",
    },
    {
      name: "TURN relay",
      ok: props.status.turn,
      text: props.status.turn
        ? "Configured"
        : "Not configured (TURN_URLS, TURN_SECRET): calls may fail on strict office or mobile networks",
    },
    {
      name: "Media server",
      ok: props.status.mediaServer === "up",
      text:
        props.status.mediaServer === "off"
          ? "None: every call stays peer-to-peer (up to 4 people in a meeting)"
          : props.status.mediaServer === "up"
            ? "Running: large meetings and webinars go through it"
            : `${props.status.mediaServer}: large calls fall back to peer-to-peer`,
    },
    {
      name: "Email",
      ok: props.status.mail === "smtp",
      text: props.status.mail === "smtp" ? "Sent through SMTP" : "No SMTP_URL: emails are written to the mail folder",
    },
  ];
  return (
    <section class="settings-panel" aria-labelledby="status-title">
      <h2 id="status-title">Server status</h2>
      <ul class="status-list">
        <For each={rows()}>
          {(row) => (
            <li classList={{ ok: row.ok, warn: !row.ok }}>
              <span class="status-mark" aria-hidden="true">
                {row.ok ? "✓" : "!"}
              </span>
              <span>
                <strong>{row.name}</strong>
                <span class="visually-hidden">{row.ok ? " (ready)" : " (needs attention)"}</span>: {row.text}
              </span>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
