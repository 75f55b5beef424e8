import { stringifyDocument } from "@urql/core";
import { createSignal } from "solid-js";
import { RefreshSessionMutation } from "../features/auth/auth.documents.ts";

/**
 * The signed-in session. The access token lives only in memory; the refresh token is an httpOnly cookie that no
 * script can read (see docs/security.md), traded at POST /auth/refresh for a fresh access token on start and when
 * the API answers UNAUTHENTICATED. The user is kept in localStorage so the app can open offline.
 */
export type SessionUser = { id: string; name: string; email: string; role: "ADMIN" | "AGENT" | "CUSTOMER" };
/** What sign-up, log-in and /auth/refresh answer (no refresh token: that comes as the cookie). */
type AuthPayload = { accessToken: string; accessTokenExpiresAt: string; user: SessionUser };

const USER_KEY = "live-support.user";
/** Where versions before the cookie kept the refresh token; traded once for the cookie, then removed. */
const LEGACY_REFRESH_TOKEN_KEY = "live-support.refreshToken";
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
/** Why this tab was signed out by the server, to say so on the sign-in page (an admin deactivated the account). */
const [signOutReason, setSignOutReason] = createSignal<string | null>(null);

export { signOutReason };

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

/** True when a request would go out without a valid access token although the session could get one. */
export function accessTokenNeedsRefresh(): boolean {
  return user() !== null && (accessToken === null || Date.now() > accessTokenExpiresAt - EXPIRY_MARGIN_MS);
}

export function applyAuthPayload(payload: AuthPayload): void {
  accessToken = payload.accessToken;
  accessTokenExpiresAt = Date.parse(payload.accessTokenExpiresAt);
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
  localStorage.removeItem(LEGACY_REFRESH_TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  setUser(null);
  for (const listener of listeners) listener();
}

/**
 * Trades the refresh cookie for a new access token (and a new cookie). Concurrent callers share one request,
 * because a refresh token works once. Offline, the user stays signed in so cached screens keep working.
 */
export function refreshAccessToken(): Promise<RefreshOutcome> {
  refreshing ??= takingTurns(async (): Promise<RefreshOutcome> => {
    if (!user()) return "signed-out";
    let response: Response;
    try {
      await moveLegacyRefreshToken();
      // JSON, so the request is not a "simple" one another site could send (with the SameSite cookie, no CSRF).
      response = await fetch("/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        credentials: "same-origin",
      });
    } catch {
      return "offline";
    }
    if (response.status >= 500 || response.status === 429) return "offline";
    const body = (await response.json().catch(() => null)) as ({ __typename?: string } & AuthPayload) | null;
    if (response.ok && body?.__typename === "AuthPayload") {
      applyAuthPayload(body);
      return "refreshed";
    }
    if (body?.__typename === "AccountDeactivatedError")
      setSignOutReason("An admin deactivated your account, so you were signed out. Ask them to reactivate it.");
    clearSession();
    return "signed-out";
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/**
 * A refresh token stored by an earlier version is traded once through GraphQL, whose answer sets the cookie; the
 * new refresh token is not even asked for. Throws when offline, so the stored token waits for the next try.
 */
async function moveLegacyRefreshToken(): Promise<void> {
  const refreshToken = localStorage.getItem(LEGACY_REFRESH_TOKEN_KEY);
  if (!refreshToken) return;
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: stringifyDocument(RefreshSessionMutation), variables: { refreshToken } }),
  });
  if (response.status < 500) localStorage.removeItem(LEGACY_REFRESH_TOKEN_KEY);
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
