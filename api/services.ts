import { resolve } from "node:path";
import { AnalyticsService } from "./analytics/analytics.service.ts";
import { registerAccountEmailJobs } from "./auth/account.jobs.ts";
import { AccountService } from "./auth/account.service.ts";
import { AuthService } from "./auth/auth.service.ts";
import type { Clock } from "./clock.ts";
import type { Env } from "./env.ts";
import { FileLinks } from "./files/file-links.ts";
import type { FileStore } from "./files/file-store.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import { JobAdminService } from "./jobs/job-admin.service.ts";
import { JobWorker } from "./jobs/job-worker.ts";
import { MediaService } from "./media/media.service.ts";
import { MediaBroker } from "./media/media-broker.ts";
import type { MediaServer } from "./media/media-server.ts";
import { createNotifications, type Notifications } from "./notifications/notifications.service.ts";
import type { VapidKeys } from "./notifications/push.service.ts";
import type { Logger } from "./ops/logger.ts";
import type { RateLimits } from "./ops/rate-limit.ts";
import type { PubSub } from "./pubsub.ts";
import { RecordingService } from "./recordings/recordings.service.ts";
import { registerSessionNotificationJobs } from "./sessions/session-notifications.ts";
import { registerSessionReactionJobs } from "./sessions/session-reactions.jobs.ts";
import { SessionService } from "./sessions/sessions.service.ts";
import { IceService, iceConfigFromEnv } from "./signaling/ice.ts";
import { TicketService } from "./tickets/tickets.service.ts";

export interface Services {
  auth: AuthService;
  /** A user's own account: password reset and change, email change, sign-ins. */
  accounts: AccountService;
  tickets: TicketService;
  files: FileStore;
  fileLinks: FileLinks;
  sessions: SessionService;
  analytics: AnalyticsService;
  /** Runs durable jobs; app.ts starts it unless JOBS_WORKER=off. Domains register their handlers on it here. */
  jobs: JobWorker;
  jobAdmin: JobAdminService;
  notifications: Notifications;
  ice: IceService;
  /** Shared (Redis) or in-process rate limits; see api/ops/rate-limit.ts. */
  rateLimits: RateLimits;
  recordings: RecordingService;
  /** The SFU (Janus), brokered for the participants; `media.broker.available()` is false without a media server. */
  media: MediaService;
}

export function createServices(
  /** The media server (api/media/janus-process.ts), or null: every session stays peer-to-peer. */
  mediaServer: MediaServer | null,
  deps: {
    env: Env;
    prisma: PrismaClient;
    pubsub: PubSub;
    files: FileStore;
    clock: Clock;
    authSecret: string;
    vapid: VapidKeys;
    rateLimits: RateLimits;
    /** The app's logger: what services report goes where the app logs, at its level. */
    logger: Logger;
  },
): Services {
  const { env, prisma, pubsub, files, clock, logger } = deps;
  const auth = new AuthService(
    prisma,
    {
      secret: deps.authSecret,
      accessTokenTtlMs: env.ACCESS_TOKEN_TTL,
      refreshTokenTtlMs: env.REFRESH_TOKEN_TTL,
      publicUrl: env.PUBLIC_URL,
      sessionCacheMs: env.AUTH_SESSION_CACHE,
    },
    clock,
    pubsub,
  );
  const accounts = new AccountService(prisma, auth, clock, { secret: deps.authSecret });
  const tickets = new TicketService(prisma, pubsub, files, clock);
  const sessions = new SessionService(prisma, pubsub, clock, tickets, {
    secret: deps.authSecret,
    publicUrl: env.PUBLIC_URL,
    authenticateUser: (token) => auth.authenticate(token),
    rateLimits: deps.rateLimits,
    limits: {
      verificationCodeTtlMs: env.SESSION_VERIFICATION_CODE_TTL,
      joinAttemptsPer10Min: env.SESSION_JOIN_RATE_LIMIT,
      passwordFailuresPer15Min: env.SESSION_PASSWORD_RATE_LIMIT,
      verificationRequestsPer15Min: env.SESSION_VERIFICATION_RATE_LIMIT,
      chatMessagesPerMinute: env.SESSION_CHAT_RATE_LIMIT,
      reactionsPerMinute: env.SESSION_REACTION_RATE_LIMIT,
      webinarMaxParticipants: env.WEBINAR_MAX_PARTICIPANTS,
    },
  });
  const fileLinks = new FileLinks(deps.authSecret, clock);
  const recordings = new RecordingService(
    prisma,
    clock,
    fileLinks,
    resolve(env.UPLOADS_DIR ?? env.DATA_DIR, "recordings"),
    {
      chunkMaxBytes: env.RECORDING_CHUNK_MAX_BYTES,
      maxBytes: env.RECORDING_MAX_BYTES,
    },
  );
  const jobs = new JobWorker(prisma, clock, {
    concurrency: env.JOBS_CONCURRENCY,
    pollIntervalMs: env.JOBS_POLL_INTERVAL,
    leaseMs: env.JOBS_LEASE,
    backoffBaseMs: env.JOBS_BACKOFF_BASE,
    backoffMaxMs: env.JOBS_BACKOFF_MAX,
    onError: (error, job) => logger.warn({ err: error, job }, "job failed"),
  });
  const notifications = createNotifications({ env, prisma, clock, worker: jobs, vapid: deps.vapid });
  registerSessionReactionJobs(jobs, { sessions, recordings });
  registerAccountEmailJobs(jobs, { prisma, mailer: notifications.mailer, accounts, publicUrl: env.PUBLIC_URL });
  registerSessionNotificationJobs(jobs, {
    prisma,
    clock,
    mailer: notifications.mailer,
    sessions,
    publicUrl: env.PUBLIC_URL,
  });
  const media = new MediaService(
    prisma,
    new MediaBroker(mediaServer, {
      pubsub,
      logger,
      room: { publishers: env.SFU_MAX_PUBLISHERS, bitrate: env.SFU_BITRATE },
    }),
    { speaker: (actor, sessionId) => sessions.chat.speaker(actor, sessionId), events: sessions.events },
    pubsub,
    (error) => logger.warn({ err: error }, "deciding a session's media topology failed"),
  );
  return {
    auth,
    accounts,
    tickets,
    files,
    fileLinks,
    sessions,
    analytics: new AnalyticsService(prisma, clock),
    jobs,
    jobAdmin: new JobAdminService(prisma, clock),
    notifications,
    ice: new IceService(iceConfigFromEnv(env), clock),
    rateLimits: deps.rateLimits,
    recordings,
    media,
  };
}
