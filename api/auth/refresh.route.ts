import type { IncomingMessage, ServerResponse } from "node:http";
import { AccountDeactivatedError, InvalidTokenError, RateLimitedError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RequestAuth } from "../http/request-auth.ts";
import type { RateLimits } from "../ops/rate-limit.ts";
import type { AuthService } from "./auth.service.ts";
import type { RefreshCookie } from "./refresh-cookie.ts";

function json(response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  response
    .writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers })
    .end(JSON.stringify(body));
}

/**
 * POST /auth/refresh (Content-Type: application/json): trades the refresh cookie for a new access token and a new
 * cookie, answering what GraphQL's `refreshSession` answers less the refresh token, so no script ever holds one.
 * Only a JSON request is served: a cross-site form cannot send one, and a cross-site fetch of one needs a CORS
 * preflight this route never grants; the cookie is SameSite=Strict besides (docs/security.md).
 */
export function createRefreshRoute(deps: {
  auth: AuthService;
  rateLimits: RateLimits;
  prisma: PrismaClient;
  requestAuth: RequestAuth;
  cookie: RefreshCookie;
}) {
  // A deactivated account is named as such, so the PWA can say why it signed out.
  const refused = (response: ServerResponse, error: InvalidTokenError | AccountDeactivatedError) =>
    json(
      response,
      401,
      {
        __typename: error instanceof AccountDeactivatedError ? "AccountDeactivatedError" : "InvalidTokenError",
        code: error.code,
        message: error.message,
      },
      { "set-cookie": deps.cookie.clear() },
    );

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== "POST") {
      json(response, 405, { message: "Use POST." }, { allow: "POST" });
      return;
    }
    if (!/^application\/json\b/i.test(request.headers["content-type"] ?? "")) {
      json(response, 415, { message: "Send Content-Type: application/json." });
      return;
    }
    request.resume();
    const refreshToken = deps.cookie.read(request.headers.cookie);
    if (!refreshToken) return refused(response, new InvalidTokenError("Refresh token"));
    const userAgent = request.headers["user-agent"];
    try {
      const address = deps.requestAuth.clientAddressOfHeaders(request.socket.remoteAddress, request.headers);
      await deps.rateLimits.auth("refreshSession", address);
      const result = await deps.auth.refresh(refreshToken, userAgent);
      const user = await deps.prisma.user.findUniqueOrThrow({
        where: { id: result.userId },
        select: { id: true, name: true, email: true, role: true },
      });
      json(
        response,
        200,
        {
          __typename: "AuthPayload",
          accessToken: result.accessToken,
          accessTokenExpiresAt: result.accessTokenExpiresAt.toISOString(),
          user,
        },
        { "set-cookie": deps.cookie.issue(result) },
      );
    } catch (error) {
      if (error instanceof InvalidTokenError || error instanceof AccountDeactivatedError)
        return refused(response, error);
      if (error instanceof RateLimitedError) {
        const body = { __typename: "RateLimitedError", code: error.code, message: error.message };
        json(
          response,
          429,
          { ...body, retryAfterSeconds: error.retryAfterSeconds },
          {
            "retry-after": String(error.retryAfterSeconds),
          },
        );
        return;
      }
      throw error;
    }
  };
}
