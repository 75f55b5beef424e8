import { createClient } from "graphql-ws";
import WebSocket from "ws";

/** A ticket's events with their resume cursors (the resumable subscriptions of docs/tickets.md). */
export const RESUMABLE_TICKET_EVENTS = `subscription($id: ID!, $after: String) {
  ticketEvents(ticketId: $id, after: $after) { kind cursor message { body } } }`;

interface TicketEvent {
  kind: string;
  cursor: string;
  message: { body: string } | null;
}

/**
 * A client that follows one ticket's events the way the PWA does across restarts: when its stream ends (graphql-ws
 * closed with 1012, an SSE stream ended or cut), it connects again through the proxy and resubscribes with `after`
 * set to the cursor of the last event it saw. `bodies` are the messages received, in arrival order.
 */
export interface ResumingSubscriber {
  bodies: string[];
  /** How many times it (re)subscribed. */
  subscriptions: number;
  /** Answers that were not a stream of events (HTTP status or error), which it retried. */
  refusals: string[];
  stop(): Promise<void>;
}

/**
 * A client's reconnect back-off (graphql-ws waits 1 s and more by default), not a wait for a condition: longer than
 * the writer's 200 ms between messages, so messages are always published while a subscriber is away, and only
 * resuming from its cursor gets them to it.
 */
const RECONNECT_BACKOFF_MS = 1000;
const pause = () => new Promise((resolve) => setTimeout(resolve, RECONNECT_BACKOFF_MS));

/** Over graphql-ws (`ws(s)://…/graphql` through the proxy). */
export function resumingWsSubscriber(baseUrl: string, token: string, ticketId: string): ResumingSubscriber {
  let cursor: string | undefined;
  let stopped = false;
  let dispose: () => void = () => {};
  const subscriber: ResumingSubscriber = {
    bodies: [],
    subscriptions: 0,
    refusals: [],
    async stop() {
      stopped = true;
      dispose();
      await loop;
    },
  };
  const loop = (async () => {
    while (!stopped) {
      subscriber.subscriptions += 1;
      const client = createClient({
        url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      await new Promise<void>((done) => {
        dispose = client.subscribe<{ ticketEvents: TicketEvent }>(
          { query: RESUMABLE_TICKET_EVENTS, variables: { id: ticketId, after: cursor } },
          {
            next: ({ data, errors }) => {
              if (errors) subscriber.refusals.push(JSON.stringify(errors));
              const event = data?.ticketEvents;
              if (!event) return;
              cursor = event.cursor;
              if (event.message) subscriber.bodies.push(event.message.body);
            },
            error: (error) => {
              const code = (error as { code?: number }).code;
              if (code !== 1012) subscriber.refusals.push(String(code ?? error));
              done();
            },
            complete: () => done(),
          },
        );
      });
      await client.dispose();
      if (!stopped) await pause();
    }
  })();
  return subscriber;
}

/** Over SSE (a POST to `/graphql` with `accept: text/event-stream` through the proxy). */
export function resumingSseSubscriber(baseUrl: string, token: string, ticketId: string): ResumingSubscriber {
  let cursor: string | undefined;
  const controller = new AbortController();
  const subscriber: ResumingSubscriber = {
    bodies: [],
    subscriptions: 0,
    refusals: [],
    async stop() {
      controller.abort();
      await loop;
    },
  };
  const loop = (async () => {
    while (!controller.signal.aborted) {
      subscriber.subscriptions += 1;
      try {
        const response = await fetch(`${baseUrl}/graphql`, {
          method: "POST",
          headers: {
            accept: "text/event-stream",
            "content-type": "application/json",
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ query: RESUMABLE_TICKET_EVENTS, variables: { id: ticketId, after: cursor } }),
          signal: controller.signal,
        });
        if (response.status !== 200 || !response.body) {
          subscriber.refusals.push(`HTTP ${response.status}`);
        } else {
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (let ended = false; !ended; ) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              if (/^event: ?complete/m.test(block)) ended = true;
              const data = block
                .split("\n")
                .filter((line) => line.startsWith("data:"))
                .map((line) => line.slice(5).trimStart())
                .join("\n");
              if (!data) continue;
              const result = JSON.parse(data) as { data?: { ticketEvents?: TicketEvent }; errors?: unknown[] };
              // The instance is going away (SERVICE_RESTARTING): the stream ends next, and the client resumes.
              if (result.errors) {
                const code = (result.errors[0] as { extensions?: { code?: string } })?.extensions?.code;
                if (code !== "SERVICE_RESTARTING") subscriber.refusals.push(JSON.stringify(result.errors));
                continue;
              }
              const event = result.data?.ticketEvents;
              if (!event) continue;
              cursor = event.cursor;
              if (event.message) subscriber.bodies.push(event.message.body);
            }
          }
        }
      } catch (error) {
        // The stream was cut (the instance went away without ending it): resume like any other end.
        if (controller.signal.aborted) return;
        if (!(error instanceof TypeError)) subscriber.refusals.push(String(error));
      }
      if (!controller.signal.aborted) await pause();
    }
  })();
  return subscriber;
}
