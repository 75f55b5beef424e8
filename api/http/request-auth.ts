import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { AuthService, Viewer } from "../auth/auth.service.ts";
import type { SessionService } from "../sessions/sessions.service.ts";

/** The token of an `Authorization: Bearer <token>` value; null when there is none. */
export function bearerToken(authorization: unknown): string | null {
  return typeof authorization === "string" ? (/^Bearer (.+)$/i.exec(authorization)?.[1] ?? null) : null;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`). */
function isLoopbackAddress(address: string): boolean {
  return /^(?:::ffff:)?127(?:\.\d{1,3}){3}$/i.test(address) || address === "::1";
}

/**
 * The connection comes from this machine (/metrics without METRICS_TOKEN, /dev/mail) and no proxy forwarded it for another address. Stricter than the client
 * address the API uses elsewhere (TRUST_PROXY takes the first X-Forwarded-For hop, which the client writes): a proxy
 * on this host relaying an outside client must not make that client local.
 */
export function isLoopbackRequest(request: IncomingMessage): boolean {
  if (!isLoopbackAddress(request.socket.remoteAddress ?? "")) return false;
  if (request.headers.forwarded !== undefined) return false;
  const forwarded = [request.headers["x-forwarded-for"], request.headers["x-real-ip"]].flat().filter(Boolean);
  return forwarded.every((value) => (value as string).split(",").every((hop) => isLoopbackAddress(hop.trim())));
}

/** A sign-in check's outcome: a viewer, nobody (no token), or a token that was refused. */
export type ViewerCheck = Viewer | null | "invalid";

/**
 * Who is calling, read the same way for every transport: the access token (`Authorization`, HTTP header or
 * graphql-ws connection parameter), the participant token of a live session, and the client's address.
 */
export function createRequestAuth(deps: { trustProxy: number; auth: AuthService; sessions: SessionService }) {
  /** GraphQL also takes the bare token, without the `Bearer ` scheme. */
  async function viewerFromAuthorization(value: unknown): Promise<ViewerCheck> {
    if (typeof value !== "string" || value === "") return null;
    return (await deps.auth.authenticate(bearerToken(value) ?? value)) ?? "invalid";
  }

  /** One sign-in check per HTTP request, shared by the response cache (which asks first) and the context. */
  const viewerByRequest = new WeakMap<Request, Promise<ViewerCheck>>();
  function viewerOfRequest(request: Request): Promise<ViewerCheck> {
    let found = viewerByRequest.get(request);
    if (!found) {
      found = viewerFromAuthorization(request.headers.get("authorization"));
      viewerByRequest.set(request, found);
    }
    return found;
  }

  async function participantFromToken(value: unknown) {
    return typeof value === "string" && value !== "" ? deps.sessions.authenticateParticipant(value) : null;
  }

  /**
   * The caller's address: the socket's, or with TRUST_PROXY = n the address the outermost of the n trusted proxies
   * saw, which is the n-th X-Forwarded-For hop from the right. Hops further left were written by the client (or
   * proxies we do not know) and could be anything, so they are never read.
   */
  function clientAddressOf(socketAddress: string | undefined, forwardedFor: string | null | undefined): string {
    const hops = deps.trustProxy > 0 && forwardedFor ? forwardedFor.split(",").map((hop) => hop.trim()) : [];
    const forwarded = hops.length > 0 ? hops[Math.max(0, hops.length - deps.trustProxy)] : undefined;
    return forwarded || socketAddress || "unknown";
  }

  /** The same, from a Node request's socket and headers (graphql-ws upgrades). */
  function clientAddressOfHeaders(socketAddress: string | undefined, headers: IncomingHttpHeaders): string {
    return clientAddressOf(socketAddress, [headers["x-forwarded-for"]].flat().join(", ") || null);
  }

  return {
    viewerFromAuthorization,
    viewerOfRequest,
    participantFromToken,
    clientAddressOf,
    clientAddressOfHeaders,
  };
}

export type RequestAuth = ReturnType<typeof createRequestAuth>;
