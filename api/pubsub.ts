import { createPubSub } from "graphql-yoga";
import type { SessionMediaEventPayload } from "./media/media.events.ts";
import type { EventLog, StreamPosition } from "./ops/event-log.ts";
import type { LiveSessionEventPayload, PeerRevokedPayload } from "./sessions/sessions.events.ts";
import type { TicketEventKind } from "./tickets/tickets.events.ts";

/** Events carry ids only; subscribers load what their viewer may see after the event arrives. */
export interface TicketEventPayload {
  kind: TicketEventKind;
  ticketId: string;
  requesterId: string;
  messageId?: string;
  /** Internal notes reach agents only; the flag lets subscribers drop them without a query. */
  internal?: boolean;
  /** Its place in the stream log (absent when the log could not be written): see api/ops/event-log.ts. */
  seq?: number;
  prev?: number;
}

export type PubSubTopics = {
  ticket: [ticketId: string, payload: TicketEventPayload];
  ticketFeed: [payload: TicketEventPayload];
  liveSession: [sessionId: string, payload: LiveSessionEventPayload];
  peerRevoked: [payload: PeerRevokedPayload];
  /** SFU sessions: publishers, active speaker, restarts, topology (api/media/media-broker.ts). */
  sessionMedia: [sessionId: string, payload: SessionMediaEventPayload];
  /** A user's sign-ins were revoked or their role changed: instances drop what they cached about them. */
  authChanged: [payload: { userId: string }];
};

export type PubSub = ReturnType<typeof createAppPubSub>;

type PubSubOptions = NonNullable<Parameters<typeof createPubSub<PubSubTopics>>[0]>;

type Topic = keyof PubSubTopics;
/** What a subscription to a topic yields: the topic's payload (the last element of its tuple). */
type PayloadOf<T extends Topic> = PubSubTopics[T] extends [infer Only]
  ? Only
  : PubSubTopics[T] extends [unknown, infer P]
    ? P
    : never;
type SubscribeArgs<T extends Topic> = PubSubTopics[T] extends [unknown, unknown] ? [topic: T, id: string] : [topic: T];

/** Events a subscriber has not taken yet beyond which it is ended (a consumer that stopped reading). */
const MAX_PENDING_EVENTS = 1_024;

export function createAppPubSub(
  options: PubSubOptions & {
    /** The durable stream log that `appendAndPublish` writes first (none in unit tests). */
    log?: EventLog | null;
    /** An event could not be written to the log: it is still published, but cannot be replayed. */
    onLogError?: (error: unknown) => void;
  } = {},
) {
  const log = options.log ?? null;
  const eventTarget = options.eventTarget ?? (new EventTarget() as NonNullable<PubSubOptions["eventTarget"]>);
  const { publish } = createPubSub<PubSubTopics>({ ...options, eventTarget });
  /** Subscriptions listening per topic name (`ticket:<id>`), whatever the event target (Redis keeps no count). */
  const listening = new Map<string, number>();
  /**
   * A subscription as a plain queue behind one event listener. graphql-yoga's own wraps each in a Repeater, whose
   * per-event cost showed in the fan-out profile (2,000 subscribers on a ticket: 2,000 pushes per message).
   */
  function subscribe<T extends Topic>(...[topic, id]: SubscribeArgs<T>): AsyncIterableIterator<PayloadOf<T>> {
    const name = id === undefined ? topic : `${topic}:${id}`;
    const pending: PayloadOf<T>[] = [];
    let waiting: ((step: IteratorResult<PayloadOf<T>>) => void) | null = null;
    let ended = false;
    const listener = (event: Event) => {
      const value = (event as CustomEvent<PayloadOf<T>>).detail;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ done: false, value });
      } else if (pending.length < MAX_PENDING_EVENTS) pending.push(value);
      else end();
    };
    const end = () => {
      if (ended) return;
      ended = true;
      pending.length = 0;
      eventTarget.removeEventListener(name, listener);
      const left = (listening.get(name) ?? 1) - 1;
      if (left > 0) listening.set(name, left);
      else listening.delete(name);
      waiting?.({ done: true, value: undefined });
      waiting = null;
    };
    eventTarget.addEventListener(name, listener);
    listening.set(name, (listening.get(name) ?? 0) + 1);
    return {
      next() {
        if (pending.length > 0) return Promise.resolve({ done: false, value: pending.shift() as PayloadOf<T> });
        if (ended) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return() {
        end();
        return Promise.resolve({ done: true, value: undefined });
      },
      throw(error: unknown) {
        end();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
  /**
   * Appends an event to its stream in the log, then publishes it (with its position) through `send`. A failure to
   * write the log is reported and the event still published live; publishing never throws: the change it
   * announces has committed and its mutation must not fail over it.
   */
  async function appendAndPublish<P extends object>(
    stream: string,
    key: string | null,
    payload: P,
    send: (event: P & Partial<StreamPosition>) => void,
  ): Promise<void> {
    let position: StreamPosition | null = null;
    if (log) {
      try {
        position = await log.append(stream, key, payload);
      } catch (error) {
        options.onLogError?.(error);
      }
    }
    try {
      send(position ? { ...payload, ...position } : payload);
    } catch (error) {
      options.onLogError?.(error);
    }
  }
  return {
    publish,
    subscribe,
    appendAndPublish,
    log,
    /**
     * How many live subscriptions listen on a topic (`ticketFeed`, `ticket:<id>`), so tests can wait until theirs
     * is attached before they publish.
     */
    listenerCount: (topic: string) => listening.get(topic) ?? 0,
  };
}
