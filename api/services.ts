import { AnalyticsService } from "./analytics/analytics.service.ts";
import { AuthService } from "./auth/auth.service.ts";
import type { Clock } from "./clock.ts";
import type { Env } from "./env.ts";
import { FileLinks } from "./files/file-links.ts";
import type { FileStore } from "./files/file-store.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import { JobAdminService } from "./jobs/job-admin.service.ts";
import { JobWorker } from "./jobs/job-worker.ts";
import { createNotifications, type Notifications } from "./notifications/notifications.service.ts";
import type { VapidKeys } from "./notifications/push.service.ts";
import type { PubSub } from "./pubsub.ts";
import { registerSessionNotificationJobs } from "./sessions/session-notifications.ts";
import { SessionService } from "./sessions/sessions.service.ts";
import { TicketService } from "./tickets/tickets.service.ts";

export interface Services {
  auth: AuthService;
  tickets: TicketService;
  files: FileStore;
  fileLinks: FileLinks;
  sessions: SessionService;
  analytics: AnalyticsService;
  /** Runs durable jobs; app.ts starts it unless JOBS_WORKER=off. Domains register their handlers on it here. */
  jobs: JobWorker;
  jobAdmin: JobAdminService;
  notifications: Notifications;
}

export function createServices(deps: {
  env: Env;
  prisma: PrismaClient;
  pubsub: PubSub;
  files: FileStore;
  clock: Clock;
  authSecret: string;
  vapid: VapidKeys;
}): Services {
  const { env, prisma, pubsub, files, clock } = deps;
  const auth = new AuthService(
    prisma,
    {
      secret: deps.authSecret,
      accessTokenTtlMs: env.ACCESS_TOKEN_TTL,
      refreshTokenTtlMs: env.REFRESH_TOKEN_TTL,
      publicUrl: env.PUBLIC_URL,
    },
    clock,
  );
  const sessions = new SessionService(prisma, pubsub, clock, {
    secret: deps.authSecret,
    publicUrl: env.PUBLIC_URL,
    authenticateUser: (token) => auth.authenticate(token),
    limits: {
      verificationCodeTtlMs: env.SESSION_VERIFICATION_CODE_TTL,
      joinAttemptsPer10Min: env.SESSION_JOIN_RATE_LIMIT,
      passwordFailuresPer15Min: env.SESSION_PASSWORD_RATE_LIMIT,
      verificationRequestsPer15Min: env.SESSION_VERIFICATION_RATE_LIMIT,
      chatMessagesPerMinute: env.SESSION_CHAT_RATE_LIMIT,
    },
  });
  const tickets = new TicketService(prisma, pubsub, files, clock);
  // A ticket that becomes urgent gets a support call (issue 4, escalation).
  // The ticket change is already committed: a failed escalation is logged, not reported as a failed ticket change.
  tickets.onUrgent = (ticket, actor) =>
    sessions.escalateTicket(ticket.id, actor).then(
      () => undefined,
      (error: unknown) => console.error(`Escalating ticket ${ticket.id} failed`, error),
    );
  const jobs = new JobWorker(prisma, clock, {
    concurrency: env.JOBS_CONCURRENCY,
    pollIntervalMs: env.JOBS_POLL_INTERVAL,
    leaseMs: env.JOBS_LEASE,
    backoffBaseMs: env.JOBS_BACKOFF_BASE,
    backoffMaxMs: env.JOBS_BACKOFF_MAX,
    onError: (error, job) => {
      if (env.LOG_LEVEL !== "silent") console.warn(`Job ${job.kind} ${job.id} (attempt ${job.attempt}) failed:`, error);
    },
  });
  const notifications = createNotifications({ env, prisma, clock, worker: jobs, vapid: deps.vapid });
  registerSessionNotificationJobs(jobs, {
    prisma,
    clock,
    mailer: notifications.mailer,
    sessions,
    publicUrl: env.PUBLIC_URL,
  });
  return {
    auth,
    tickets,
    files,
    fileLinks: new FileLinks(deps.authSecret, clock),
    sessions,
    analytics: new AnalyticsService(prisma, clock),
    jobs,
    jobAdmin: new JobAdminService(prisma, clock),
    notifications,
  };
}
