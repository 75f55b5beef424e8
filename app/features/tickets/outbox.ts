import type { Client } from "@urql/core";
import { createSignal } from "solid-js";
import { AddTicketMessageMutation } from "./tickets.documents.ts";

/**
 * Replies written while offline: kept in localStorage (so a reload does not lose them), shown in the thread
 * as pending, and sent in order when the connection returns. Attachments need a connection, so only text
 * waits here.
 */
export interface PendingMessage {
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

export function queueMessage(message: Omit<PendingMessage, "localId" | "createdAt">): void {
  save([...pending(), { ...message, localId: crypto.randomUUID(), createdAt: new Date().toISOString() }]);
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
      const result = await client
        .mutation(AddTicketMessageMutation, {
          input: { ticketId: message.ticketId, body: message.body, internal: message.internal },
        })
        .toPromise();
      if (result.error?.networkError) return;
      const outcome = result.data?.addTicketMessage;
      if (outcome?.__typename === "TicketMessage") {
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
