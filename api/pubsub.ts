import { getEventListeners } from "node:events";
import { createPubSub } from "graphql-yoga";
import type { SessionMediaEventPayload } from "./media/media.events.ts";
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

export function createAppPubSub(options: PubSubOptions = {}) {
  const eventTarget = options.eventTarget ?? (new EventTarget() as NonNullable<PubSubOptions["eventTarget"]>);
  const { publish } = createPubSub<PubSubTopics>({ ...options, eventTarget });
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
      waiting?.({ done: true, value: undefined });
      waiting = null;
    };
    eventTarget.addEventListener(name, listener);
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
  return {
    publish,
    subscribe,
    /**
     * How many live subscriptions listen on a topic (`ticketFeed`, `ticket:<id>`), so tests can wait until theirs
     * is attached before they publish.
     */
    listenerCount: (topic: string) => getEventListeners(eventTarget as unknown as EventTarget, topic).length,
  };
}
