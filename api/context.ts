import type { Viewer } from "./auth/auth.service.ts";
import type { Env } from "./env.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { PubSub } from "./pubsub.ts";
import type { Services } from "./services.ts";
import type { ParticipantAuth } from "./sessions/session-access.service.ts";

/** What every resolver sees. Built the same way for HTTP/SSE and graphql-ws (see app.ts). */
export interface Context {
  env: Env;
  prisma: PrismaClient;
  pubsub: PubSub;
  services: Services;
  /** The signed-in user, or null for anonymous callers. */
  viewer: Viewer | null;
  /**
   * A live-session participant, from a participant token (`x-participant-token` header on HTTP/SSE,
   * `connectionParams.participantToken` on graphql-ws); checked again for every operation.
   */
  participant: ParticipantAuth | null;
  /**
   * Users who proved who they are in this request (sign-up, log-in, refresh) before any token existed,
   * so the AuthPayload may show them their own private fields.
   */
  authenticatedUserIds: Set<string>;
  /** The caller's network address, for rate limits. */
  clientAddress: string;
  /**
   * Sets or removes the PWA's refresh cookie on this request's HTTP response (sign-up, log-in, refresh, log-out);
   * over graphql-ws there is no response to carry it, and nothing happens.
   */
  refreshCookie: { issue(auth: { refreshToken: string; refreshTokenExpiresAt: Date }): void; clear(): void };
  /** The caller's User-Agent, remembered on refresh sessions so users can tell their devices apart. */
  userAgent?: string;
}
