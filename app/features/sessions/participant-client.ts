import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { createClient as createWsClient } from "graphql-ws";
import { cacheConfig } from "../../graphql/cache.ts";
import { idempotencyExchange } from "../../graphql/idempotent.ts";
import { resumableSubscription } from "../../graphql/resumable.ts";

/**
 * A participant has no account: their participant token (from joinSession) authorizes every request, sent as the
 * `x-participant-token` header over HTTP and as `connectionParams.participantToken` over graphql-ws. This client is
 * separate from the signed-in client (no access token, and its own in-memory normalized cache, which the session's
 * subscriptions keep live with the same updates as the signed-in client's).
 */
export function createParticipantClient(token: string): { client: Client; dispose(): void } {
  const ws = createWsClient({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
    lazy: true,
    retryAttempts: 5,
    connectionParams: { participantToken: token },
  });
  const client = new Client({
    url: "/graphql",
    requestPolicy: "network-only",
    fetchOptions: () => ({ headers: { "x-participant-token": token } }),
    exchanges: [
      cacheExchange(cacheConfig),
      idempotencyExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          return { subscribe: (sink) => ({ unsubscribe: resumableSubscription(ws, request, sink) }) };
        },
      }),
      fetchExchange,
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}

export interface StoredParticipant {
  token: string;
  sessionId: string;
  participantId: string;
  name: string;
  email: string;
}

const key = (linkToken: string) => `live-support:participant:${linkToken}`;

/** The participant token is kept per session link in sessionStorage (gone when the tab closes). */
export function loadParticipant(linkToken: string): StoredParticipant | null {
  try {
    const raw = sessionStorage.getItem(key(linkToken));
    return raw ? (JSON.parse(raw) as StoredParticipant) : null;
  } catch {
    return null;
  }
}

export function saveParticipant(linkToken: string, value: StoredParticipant): void {
  sessionStorage.setItem(key(linkToken), JSON.stringify(value));
}

export function forgetParticipant(linkToken: string): void {
  sessionStorage.removeItem(key(linkToken));
}
