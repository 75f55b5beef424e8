import { resolve } from "node:path";
import type { Clock } from "../clock.ts";
import type { Env } from "../env.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { JobWorker } from "../jobs/job-worker.ts";
import { Mailer } from "./mailer.ts";
import { NotificationPreferenceService } from "./notification-preferences.ts";
import { PushService, type VapidKeys } from "./push.service.ts";
import { registerTicketEmailJobs } from "./ticket-email.jobs.ts";

export interface Notifications {
  mailer: Mailer;
  preferences: NotificationPreferenceService;
  push: PushService;
}

/** Builds the mailer, preferences and push service and registers their job handlers on the worker. */
export function createNotifications(deps: {
  env: Env;
  prisma: PrismaClient;
  clock: Clock;
  worker: JobWorker;
  vapid: VapidKeys;
}): Notifications {
  const { env, prisma, clock, worker } = deps;
  const mailer = new Mailer(
    {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      publicUrl: env.PUBLIC_URL,
      mailDir: resolve(env.DATA_DIR, "mail"),
      maxConnections: Math.min(env.JOBS_CONCURRENCY, 10),
    },
    clock,
  );
  const preferences = new NotificationPreferenceService(prisma);
  const push = new PushService(prisma, deps.vapid, {
    allowInsecureEndpoints: env.NODE_ENV !== "production",
    allowPrivateHosts: env.PUSH_ALLOW_PRIVATE_HOSTS,
  });
  registerTicketEmailJobs(worker, { prisma, mailer, preferences, publicUrl: env.PUBLIC_URL });
  worker.register("push.send", async ({ subscriptionId, title, body, url }) => {
    await push.deliver(subscriptionId, { title, body, url });
  });
  return { mailer, preferences, push };
}
