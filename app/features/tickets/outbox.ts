import type { Client } from "@urql/core";
import { createSignal } from "solid-js";
import { mutateOnce, newActionKey } from "../../graphql/idempotent.ts";
import { AddTicketMessageMutation } from "./tickets.documents.ts";

/**
 * Replies written while offline: kept in localStorage (so a reload does not lose them), shown in the thread
 * as pending, and sent in order when the connection returns. Attachments need a connection, so only text
 * waits here.
 */
export interface PendingMessage {
  /** Also the reply's idempotency key: however often it is sent, the server stores it once. */
  localId: string;
  ticketId: string;
  body: string;
  internal: boolean;
  createdAt: string;
  /** Set when the server refused the message (it will not be retried). */
  error?: string;
}

const STORAGE_KEY = "live-support.outbox";

function load(): PendingMessage[] {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]") as PendingMessage[];
  } catch {
    return [];
  }
}

const [pending, setPending] = createSignal<PendingMessage[]>(load());

function save(next: PendingMessage[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  setPending(next);
}

export function pendingMessages(ticketId: string): PendingMessage[] {
  return pending().filter((message) => message.ticketId === ticketId);
}

/** `localId` is the key of a try already sent (its answer lost): the outbox resends it under the same key. */
export function queueMessage(message: Omit<PendingMessage, "localId" | "createdAt">, localId = newActionKey()): void {
  save([...pending(), { ...message, localId, createdAt: new Date().toISOString() }]);
}

export function discardMessage(localId: string): void {
  save(pending().filter((message) => message.localId !== localId));
}

let flushing = false;

/** Sends queued messages oldest first; stops at the first network failure and tries again on the next call. */
export async function flushOutbox(client: Client): Promise<void> {
  if (flushing || !navigator.onLine) return;
  flushing = true;
  try {
    for (const message of pending()) {
      if (message.error) continue;
      const result = await mutateOnce(
        client,
        AddTicketMessageMutation,
        { input: { ticketId: message.ticketId, body: message.body, internal: message.internal } },
        message.localId,
      );
      if (result.error?.networkError) return;
      const outcome = result.data?.addTicketMessage;
      // ANSWER_LOST: an earlier send was stored but its answer is gone; the thread shows it once it reloads.
      const delivered = result.error?.graphQLErrors.some(
        (error) => error.extensions?.code === "IDEMPOTENCY_ANSWER_LOST",
      );
      if (outcome?.__typename === "TicketMessage" || delivered) {
        discardMessage(message.localId);
      } else {
        const reason =
          outcome && "message" in outcome ? outcome.message : (result.error?.message ?? "The message was not sent");
        save(pending().map((item) => (item.localId === message.localId ? { ...item, error: reason } : item)));
      }
    }
  } finally {
    flushing = false;
  }
}
