import { stringifyDocument } from "@urql/core";
import { createSignal } from "solid-js";
import { RefreshSessionMutation } from "../features/auth/auth.documents.ts";
import type { ResultOf } from "./tada.ts";

/**
 * The signed-in session. The access token lives only in memory; the refresh token (and the user, so the app
 * can open offline) lives in localStorage and is traded for a fresh pair on start and when the API answers
 * UNAUTHENTICATED.
 */
export type SessionUser = { id: string; name: string; email: string; role: "ADMIN" | "AGENT" | "CUSTOMER" };
type AuthPayload = Extract<ResultOf<typeof RefreshSessionMutation>["refreshSession"], { __typename: "AuthPayload" }>;

const REFRESH_TOKEN_KEY = "live-support.refreshToken";
const USER_KEY = "live-support.user";
const REFRESH_LOCK = "live-support.refresh";
/** Refresh this long before the access token expires, so requests in flight do not race the expiry. */
const EXPIRY_MARGIN_MS = 30_000;

function readStoredUser(): SessionUser | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as SessionUser) : null;
  } catch {
    return null;
  }
}

const [user, setUser] = createSignal<SessionUser | null>(readStoredUser());
let accessToken: string | null = null;
let accessTokenExpiresAt = 0;
let refreshing: Promise<RefreshOutcome> | null = null;
const listeners = new Set<() => void>();

export type RefreshOutcome = "refreshed" | "signed-out" | "offline";

/** The signed-in user (kept across reloads), or null. */
export const currentUser = user;

export function isStaff(role: SessionUser["role"] | undefined): boolean {
  return role === "AGENT" || role === "ADMIN";
}

/** Called when the tokens change, so the WebSocket reconnects with the new ones. */
export function onTokensChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentAccessToken(): string | null {
  return accessToken;
}

export function hasRefreshToken(): boolean {
  return localStorage.getItem(REFRESH_TOKEN_KEY) !== null;
}

/** True when a request would go out without a valid access token although the session could get one. */
export function accessTokenNeedsRefresh(): boolean {
  return hasRefreshToken() && (accessToken === null || Date.now() > accessTokenExpiresAt - EXPIRY_MARGIN_MS);
}

export function applyAuthPayload(payload: AuthPayload): void {
  accessToken = payload.accessToken;
  accessTokenExpiresAt = Date.parse(payload.accessTokenExpiresAt);
  localStorage.setItem(REFRESH_TOKEN_KEY, payload.refreshToken);
  const next: SessionUser = {
    id: payload.user.id,
    name: payload.user.name,
    email: payload.user.email,
    role: payload.user.role,
  };
  localStorage.setItem(USER_KEY, JSON.stringify(next));
  setUser(next);
  for (const listener of listeners) listener();
}

export function clearSession(): void {
  accessToken = null;
  accessTokenExpiresAt = 0;
  localStorage.removeItem(REFRESH_TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  setUser(null);
  for (const listener of listeners) listener();
}

/**
 * Trades the stored refresh token for new tokens. Concurrent callers share one request, because a refresh
 * token works once. Offline, the user stays signed in so cached screens keep working.
 */
export function refreshAccessToken(): Promise<RefreshOutcome> {
  refreshing ??= takingTurns(async (): Promise<RefreshOutcome> => {
    const refreshToken = localStorage.getItem(REFRESH_TOKEN_KEY);
    if (!refreshToken) {
      if (user()) clearSession();
      return "signed-out";
    }
    let response: Response;
    try {
      response = await fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: stringifyDocument(RefreshSessionMutation), variables: { refreshToken } }),
      });
    } catch {
      return "offline";
    }
    if (response.status >= 500) return "offline";
    const body = (await response.json().catch(() => null)) as {
      data?: ResultOf<typeof RefreshSessionMutation> | null;
    } | null;
    const result = body?.data?.refreshSession;
    if (result?.__typename === "AuthPayload") {
      applyAuthPayload(result);
      return "refreshed";
    }
    clearSession();
    return "signed-out";
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * Runs a refresh while holding a lock shared by every tab of the app (Web Locks API), so tabs take turns and
 * each reads the token the previous one stored. Where the API is missing, the server's retry grace covers it.
 */
function takingTurns<T>(refresh: () => Promise<T>): Promise<T> {
  if (typeof navigator === "undefined" || !navigator.locks) return refresh();
  return navigator.locks.request(REFRESH_LOCK, refresh);
}

/** A usable access token, refreshing first when needed; null when anonymous or offline. */
export async function freshAccessToken(): Promise<string | null> {
  if (accessTokenNeedsRefresh()) await refreshAccessToken();
  return accessToken;
}
