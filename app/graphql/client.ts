import { authExchange } from "@urql/exchange-auth";
import { offlineExchange } from "@urql/exchange-graphcache";
import { makeDefaultStorage } from "@urql/exchange-graphcache/default-storage";
import {
  type AnyVariables,
  Client,
  type CombinedError,
  fetchExchange,
  type OperationResult,
  subscriptionExchange,
  type TypedDocumentNode,
} from "@urql/solid";
import { createClient as createWsClient } from "graphql-ws";
import { cacheConfig } from "./cache.ts";
import { idempotencyExchange } from "./idempotent.ts";
import { resumableSubscription } from "./resumable.ts";
import {
  accessTokenNeedsRefresh,
  currentAccessToken,
  freshAccessToken,
  onTokensChanged,
  refreshAccessToken,
} from "./session.ts";

let markHydrated: () => void = () => {};
/** Resolves once the persisted cache is in memory: on a fresh (offline) load, queries before that find nothing. */
const cacheHydrated = new Promise<void>((resolve) => {
  markHydrated = resolve;
});

/** Last-seen data (tickets, threads, sessions) is kept in IndexedDB so it opens offline. */
export const cacheStorage = makeDefaultStorage({
  idbName: "live-support-cache",
  maxAge: 14,
  onCacheHydrated: () => markHydrated(),
});

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;

/**
 * Close codes with which the server ends a socket whose sign-in ended (api/http/graphql-ws.handler.ts): 4419 the
 * access token expired, 4403 the token was refused or the sign-in revoked or changed role. Either way the next
 * connection first trades the refresh token (signing out when that fails), then resubscribes.
 */
const SIGN_IN_ENDED = new Set([4403, 4419]);
let refreshBeforeConnecting = false;
/** The socket being connected refreshes itself: it will use the new tokens, no need to reconnect for them. */
let refreshingForSocket = false;

const wsClient = createWsClient({
  url: wsUrl,
  lazy: true,
  retryAttempts: Number.POSITIVE_INFINITY,
  shouldRetry: () => true,
  connectionParams: async () => {
    if (refreshBeforeConnecting) {
      refreshBeforeConnecting = false;
      refreshingForSocket = true;
      await refreshAccessToken().finally(() => {
        refreshingForSocket = false;
      });
    }
    const token = await freshAccessToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  },
  on: {
    closed: (event) => {
      if (SIGN_IN_ENDED.has((event as CloseEvent | undefined)?.code ?? 0)) refreshBeforeConnecting = true;
    },
  },
});

// The server authenticates a socket once, when it connects: reconnect whenever the session changes.
onTokensChanged(() => {
  if (!refreshingForSocket) wsClient.terminate();
});

/**
 * Whether a failed request means "no connection", so the offline exchange answers from the cache instead of
 * replacing a screen with an error. Graphcache's default knows Chrome's ("Failed to fetch") and Firefox's
 * ("NetworkError when attempting to fetch resource") messages but not Safari's: WebKit says "Load failed", and on a
 * network that drops everything while the phone still reports being online, the last-seen data must stay.
 */
export function isOfflineError(error: CombinedError | undefined): boolean {
  if (!error?.networkError || error.response) return false;
  return (
    !navigator.onLine || /request failed|failed to fetch|network\s?error|load failed/i.test(error.networkError.message)
  );
}

export const client = new Client({
  url: "/graphql",
  requestPolicy: "cache-and-network",
  exchanges: [
    offlineExchange({ ...cacheConfig, storage: cacheStorage, isOfflineError }),
    authExchange(async (utils) => {
      if (accessTokenNeedsRefresh()) await refreshAccessToken();
      return {
        addAuthToOperation(operation) {
          const token = currentAccessToken();
          return token ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` }) : operation;
        },
        willAuthError: () => accessTokenNeedsRefresh() && navigator.onLine,
        didAuthError: (error) => error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED"),
        async refreshAuth() {
          await refreshAccessToken();
        },
      };
    }),
    idempotencyExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        return {
          subscribe(sink) {
            return { unsubscribe: resumableSubscription(wsClient, request, sink) };
          },
        };
      },
    }),
    fetchExchange,
  ],
});

/**
 * A query answered by the server (not the cache) while online; offline, what the persisted cache last saw, so
 * screens that must show fresh data (the sessions dashboard, a session's detail) still open on the train.
 */
export async function queryLatest<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
): Promise<OperationResult<Data, Variables>> {
  const result = await client.query(document, variables, { requestPolicy: "network-only" }).toPromise();
  // Offline, the exchange answers from the cache itself, possibly before IndexedDB was read: ask again once it was.
  if (result.data || (navigator.onLine && !result.error?.networkError)) return result;
  await cacheHydrated;
  const cached = await client.query(document, variables, { requestPolicy: "cache-only" }).toPromise();
  return cached.data ? cached : result;
}
