import { createQuery, createSubscription, useClient } from "@urql/solid";
import { createSignal, For, Show } from "solid-js";
import { createActionKeys, mutateOnce } from "../../graphql/idempotent.ts";
import { ChatHistoryQuery, ChatSubscription, SendChatMutation } from "./chat.documents.ts";

/**
 * Session chat: the history from the normalized cache, which live messages and sent ones are appended to (see
 * app/graphql/cache.ts); works with the signed-in or the participant client, whichever the context provides.
 */
export function ChatPanel(props: { sessionId: string }) {
  const client = useClient();
  const chatKeys = createActionKeys();
  const [history] = createQuery({
    query: ChatHistoryQuery,
    variables: { id: props.sessionId },
    requestPolicy: "network-only",
  });
  createSubscription({ query: ChatSubscription, variables: { sessionId: props.sessionId } });
  const [body, setBody] = createSignal("");
  const [error, setError] = createSignal("");
  const [sending, setSending] = createSignal(false);

  const messages = () => history.data?.liveSession?.chatMessages.edges.map((edge) => edge.node) ?? [];
  const state = () => {
    const session = history.data?.liveSession;
    if (session) return session.chatEnabled ? "ready" : "disabled";
    return history.data || history.error ? "error" : "loading";
  };

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    const text = body().trim();
    if (!text) return setError("Write a message first");
    if (text.length > 2000) return setError("Keep messages under 2,000 characters");
    setSending(true);
    const variables = { sessionId: props.sessionId, body: text };
    const result = await mutateOnce(client, SendChatMutation, variables, chatKeys.keyFor(variables));
    chatKeys.settle(!result.error?.networkError);
    setSending(false);
    const outcome = result.data?.sendSessionChatMessage;
    if (outcome?.__typename === "SessionChatMessage") {
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
