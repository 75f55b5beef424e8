import { getEventListeners } from "node:events";
import { createPubSub } from "graphql-yoga";
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
  /** A user's sign-ins were revoked or their role changed: instances drop what they cached about them. */
  authChanged: [payload: { userId: string }];
};

export type PubSub = ReturnType<typeof createAppPubSub>;

type PubSubOptions = NonNullable<Parameters<typeof createPubSub<PubSubTopics>>[0]>;

export function createAppPubSub(options: PubSubOptions = {}) {
  const eventTarget = options.eventTarget ?? (new EventTarget() as NonNullable<PubSubOptions["eventTarget"]>);
  return Object.assign(createPubSub<PubSubTopics>({ ...options, eventTarget }), {
    /**
     * How many live subscriptions listen on a topic (`ticketFeed`, `ticket:<id>`), so tests can wait until theirs
     * is attached before they publish.
     */
    listenerCount: (topic: string) => getEventListeners(eventTarget as unknown as EventTarget, topic).length,
  });
}
