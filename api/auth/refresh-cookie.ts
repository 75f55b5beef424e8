/** Where the browser trades its refresh cookie for a new access token: the only path the cookie is sent to. */
export const REFRESH_PATH = "/auth/refresh";
const NAME = "ls_refresh";

/**
 * The refresh token as the PWA keeps it: an httpOnly cookie (no script, and so no XSS, can read it), SameSite=Strict
 * (never sent from another site), scoped to REFRESH_PATH (never sent with GraphQL or file requests), and Secure when
 * the public URL is https. The GraphQL API keeps answering the token in AuthPayload for integrators.
 */
export function createRefreshCookie(options: { publicUrl: string }) {
  const secure = new URL(options.publicUrl).protocol === "https:" ? "; Secure" : "";
  const attributes = `Path=${REFRESH_PATH}; HttpOnly; SameSite=Strict${secure}`;
  return {
    /** A Set-Cookie value carrying the token until it expires. */
    issue(auth: { refreshToken: string; refreshTokenExpiresAt: Date }): string {
      const maxAge = Math.max(0, Math.floor((auth.refreshTokenExpiresAt.getTime() - Date.now()) / 1000));
      return `${NAME}=${auth.refreshToken}; Max-Age=${maxAge}; ${attributes}`;
    },
    /** A Set-Cookie value that removes the cookie (sign-out, or a token the server refused). */
    clear(): string {
      return `${NAME}=; Max-Age=0; ${attributes}`;
    },
    /** The token in a Cookie header, or null. */
    read(cookieHeader: string | null | undefined): string | null {
      for (const pair of (cookieHeader ?? "").split(";")) {
        const [name, ...value] = pair.trim().split("=");
        if (name === NAME && value.join("=") !== "") return value.join("=");
      }
      return null;
    },
  };
}

export type RefreshCookie = ReturnType<typeof createRefreshCookie>;
