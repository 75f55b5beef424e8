import { AuthService } from "./auth/auth.service.ts";
import type { Clock } from "./clock.ts";
import type { Env } from "./env.ts";
import { FileLinks } from "./files/file-links.ts";
import type { FileStore } from "./files/file-store.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { RateLimits } from "./ops/rate-limit.ts";
import type { PubSub } from "./pubsub.ts";
import { TicketService } from "./tickets/tickets.service.ts";

export interface Services {
  auth: AuthService;
  tickets: TicketService;
  files: FileStore;
  fileLinks: FileLinks;
  /** Shared (Redis) or in-process rate limits; see api/ops/rate-limit.ts. */
  rateLimits: RateLimits;
}

export function createServices(deps: {
  env: Env;
  prisma: PrismaClient;
  pubsub: PubSub;
  files: FileStore;
  clock: Clock;
  authSecret: string;
  rateLimits: RateLimits;
}): Services {
  const { env, prisma, pubsub, files, clock } = deps;
  return {
    auth: new AuthService(
      prisma,
      {
        secret: deps.authSecret,
        accessTokenTtlMs: env.ACCESS_TOKEN_TTL,
        refreshTokenTtlMs: env.REFRESH_TOKEN_TTL,
        publicUrl: env.PUBLIC_URL,
      },
      clock,
    ),
    tickets: new TicketService(prisma, pubsub, files, clock),
    files,
    fileLinks: new FileLinks(deps.authSecret, clock),
    rateLimits: deps.rateLimits,
  };
}
