import type { Clock } from "../clock.ts";
import type { AuthService, Viewer } from "./auth.service.ts";

/**
 * Why a long-lived operation was ended: its access token expired (refresh and reconnect), or the sign-in behind it
 * was revoked or changed role (log-out, token theft, role change: refresh, which fails when revoked, and reconnect).
 */
export type SignInEnd = "expired" | "changed";

/** How often open operations are compared with their token's expiry: an expired token is cut within this. */
export const EXPIRY_SWEEP_MS = 500;

interface Watched {
  viewer: Viewer;
  end: (why: SignInEnd) => void;
}

/**
 * The sign-ins that long-lived operations (graphql-ws sockets, SSE streams) were authenticated with once, at their
 * start. An HTTP request asks again each time; these would otherwise keep delivering after log-out, revocation, a
 * role change or the token's expiry. Each is ended through its transport's `end`: when its access token expires
 * (checked on the app's clock every EXPIRY_SWEEP_MS), and when `recheck` finds its sign-in revoked or its role
 * changed (app.ts calls it on `authChanged`, which reaches every instance).
 */
export function createSignInWatch(deps: { auth: Pick<AuthService, "stillSignedIn">; clock: Clock }) {
  const byUser = new Map<string, Set<Watched>>();

  function endOne(userId: string, watched: Watched, why: SignInEnd): void {
    const entries = byUser.get(userId);
    if (!entries?.delete(watched)) return;
    if (entries.size === 0) byUser.delete(userId);
    watched.end(why);
  }

  const sweep = setInterval(() => {
    const now = deps.clock.now().getTime();
    for (const [userId, entries] of byUser) {
      for (const watched of entries) {
        if (watched.viewer.accessTokenExpiresAt.getTime() <= now) endOne(userId, watched, "expired");
      }
    }
  }, EXPIRY_SWEEP_MS);
  sweep.unref();

  return {
    /** Watches an operation's sign-in until the returned function is called (the operation ended by itself). */
    watch(viewer: Viewer, end: (why: SignInEnd) => void): () => void {
      const watched: Watched = { viewer, end };
      let entries = byUser.get(viewer.userId);
      if (!entries) {
        entries = new Set();
        byUser.set(viewer.userId, entries);
      }
      entries.add(watched);
      return () => {
        const current = byUser.get(viewer.userId);
        if (current?.delete(watched) && current.size === 0) byUser.delete(viewer.userId);
      };
    },
    /** A user's sign-ins changed: ends their operations whose sign-in was revoked or whose role changed. */
    async recheck(userId: string): Promise<void> {
      const entries = [...(byUser.get(userId) ?? [])];
      // A user's sockets and streams mostly share a few sign-ins: one look each.
      const checks = new Map<string, Promise<boolean>>();
      await Promise.all(
        entries.map(async (watched) => {
          const key = `${watched.viewer.sessionId}:${watched.viewer.role}`;
          let check = checks.get(key);
          if (!check) {
            check = deps.auth.stillSignedIn(watched.viewer);
            checks.set(key, check);
          }
          if (!(await check)) endOne(userId, watched, "changed");
        }),
      );
    },
    /** Rechecks every watched sign-in (a revocation may have been missed while Redis was away). */
    async recheckAll(): Promise<void> {
      await Promise.all([...byUser.keys()].map((userId) => this.recheck(userId)));
    },
    /** How many operations are watched (tests wait for theirs). */
    size: () => [...byUser.values()].reduce((total, entries) => total + entries.size, 0),
    close: () => clearInterval(sweep),
  };
}

export type SignInWatch = ReturnType<typeof createSignInWatch>;
