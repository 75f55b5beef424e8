import type { Client } from "@urql/core";
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { ChatHistoryQuery, ChatSubscription, SendChatMutation } from "./chat.documents.ts";
import type { ResultOf } from "./sessions.documents.ts";

type Message = ResultOf<typeof ChatSubscription>["sessionChat"]["message"];

/** Session chat: history first, then live messages; works with the signed-in or the participant client. */
export function ChatPanel(props: { client: Client; sessionId: string }) {
  const [messages, setMessages] = createSignal<Message[]>([]);
  const [state, setState] = createSignal<"loading" | "ready" | "disabled" | "error">("loading");
  const [body, setBody] = createSignal("");
  const [error, setError] = createSignal("");
  const [sending, setSending] = createSignal(false);
  const add = (message: Message) =>
    setMessages((list) => (list.some((m) => m.id === message.id) ? list : [...list, message]));

  onMount(async () => {
    const subscription = props.client
      .subscription(ChatSubscription, { sessionId: props.sessionId })
      .subscribe((result) => {
        if (result.data) add(result.data.sessionChat.message);
      });
    onCleanup(() => subscription.unsubscribe());
    const result = await props.client
      .query(ChatHistoryQuery, { id: props.sessionId }, { requestPolicy: "network-only" })
      .toPromise();
    const session = result.data?.liveSession;
    if (!session) return setState("error");
    if (!session.chatEnabled) return setState("disabled");
    for (const edge of session.chatMessages.edges) add(edge.node);
    setMessages((list) => [...list].sort((a, b) => a.createdAt.localeCompare(b.createdAt)));
    setState("ready");
  });

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    const text = body().trim();
    if (!text) return setError("Write a message first");
    if (text.length > 2000) return setError("Keep messages under 2,000 characters");
    setSending(true);
    const result = await props.client
      .mutation(SendChatMutation, { sessionId: props.sessionId, body: text })
      .toPromise();
    setSending(false);
    const outcome = result.data?.sendSessionChatMessage;
    if (outcome?.__typename === "SessionChatMessage") {
      add(outcome);
      setBody("");
      setError("");
    } else if (outcome?.__typename === "RateLimitedError") {
      setError(`Too many messages: try again in ${outcome.retryAfterSeconds} s`);
    } else if (outcome?.__typename === "ValidationError") {
      setError(outcome.fieldErrors[0]?.message ?? outcome.message);
    } else {
      setError(outcome?.message ?? result.error?.message ?? "Could not send the message");
    }
  };

  return (
    <section class="session-panel" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat</h2>
      <Show when={state() === "loading"}>
        <p role="status">Loading the chat…</p>
      </Show>
      <Show when={state() === "disabled"}>
        <p>Chat is turned off for this session.</p>
      </Show>
      <Show when={state() === "error"}>
        <p role="alert">The chat could not be loaded.</p>
      </Show>
      <Show when={state() === "ready"}>
        <ol class="chat-log" aria-live="polite" aria-label="Chat messages" data-testid="chat-log">
          <Show when={messages().length === 0}>
            <li>No messages yet.</li>
          </Show>
          <For each={messages()}>
            {(message) => (
              <li>
                <strong>{message.author.name}</strong>: {message.body}
              </li>
            )}
          </For>
        </ol>
        <form class="chat-form" onSubmit={send}>
          <label class="visually-hidden" for={`chat-${props.sessionId}`}>
            Message
          </label>
          <input
            id={`chat-${props.sessionId}`}
            value={body()}
            maxLength={2000}
            aria-invalid={error() ? "true" : undefined}
            aria-describedby={`chat-error-${props.sessionId}`}
            onInput={(event) => {
              setBody(event.currentTarget.value);
              setError("");
            }}
          />
          <button type="submit" class="button primary" disabled={sending()}>
            Send
          </button>
        </form>
        <p class="error" id={`chat-error-${props.sessionId}`} aria-live="polite">
          {error()}
        </p>
      </Show>
    </section>
  );
}
