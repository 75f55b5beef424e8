import { authExchange } from "@urql/exchange-auth";
import { offlineExchange } from "@urql/exchange-graphcache";
import { makeDefaultStorage } from "@urql/exchange-graphcache/default-storage";
import { Client, fetchExchange, subscriptionExchange } from "@urql/solid";
import { createClient as createWsClient } from "graphql-ws";
import { cacheConfig } from "./cache.ts";
import {
  accessTokenNeedsRefresh,
  currentAccessToken,
  freshAccessToken,
  onTokensChanged,
  refreshAccessToken,
} from "./session.ts";

/** Last-seen data (tickets, threads) is kept in IndexedDB so it opens offline. */
export const cacheStorage = makeDefaultStorage({ idbName: "live-support-cache", maxAge: 14 });

const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;

const wsClient = createWsClient({
  url: wsUrl,
  lazy: true,
  retryAttempts: Number.POSITIVE_INFINITY,
  shouldRetry: () => true,
  connectionParams: async () => {
    const token = await freshAccessToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  },
});

// The server authenticates a socket once, when it connects: reconnect whenever the session changes.
onTokensChanged(() => wsClient.terminate());

export const client = new Client({
  url: "/graphql",
  requestPolicy: "cache-and-network",
  exchanges: [
    offlineExchange({ ...cacheConfig, storage: cacheStorage }),
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
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query ?? "" };
        return {
          subscribe(sink) {
            const unsubscribe = wsClient.subscribe(input, sink);
            return { unsubscribe };
          },
        };
      },
    }),
    fetchExchange,
  ],
});
