import type { Clock } from "../clock.ts";
import type { LiveSession, Prisma, PrismaClient, SessionInvite } from "../generated/prisma/client.ts";
import type { JobWorker } from "../jobs/job-worker.ts";
import { enqueueJob, type JobPayloads } from "../jobs/jobs.service.ts";
import {
  type SessionEmailData,
  sessionCancelledEmail,
  sessionInvitationEmail,
  sessionReminderEmail,
  sessionStartedEmail,
} from "../notifications/emails/session.emails.ts";
import type { Mailer } from "../notifications/mailer.ts";
import { enqueuePush } from "../notifications/push.service.ts";
import { registerVerificationCodeJob } from "../notifications/verification-code.job.ts";
import "./sessions.jobs.ts";
import type { SessionService } from "./sessions.service.ts";

declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /** "Session started" to one recipient; fanned out by `email.sessionStarted` (dedupe key per address). */
    "email.sessionStartedTo": { sessionId: string; email: string; name: string };
    /** One reminder email to one invitee; fanned out by `session.reminder` (dedupe key per address). */
    "email.sessionReminder": { sessionId: string; inviteId: string; offsetMinutes: number; startsAt: string };
  }
}

export interface SessionNotificationDeps {
  prisma: PrismaClient;
  mailer: Mailer;
  clock: Clock;
  sessions: SessionService;
  publicUrl: string;
}

/** Dedupe key of one reminder email: one per session, offset, start time and address, ever. */
export const reminderEmailKey = (sessionId: string, offsetMinutes: number, startsAt: string, email: string) =>
  `reminder-email:${sessionId}:${offsetMinutes}:${startsAt}:${email.toLowerCase()}`;

/** Dedupe key prefix of a reminder's pushes (the subscription id is appended by `enqueuePush`). */
export const reminderPushKeyPrefix = (sessionId: string, offsetMinutes: number, startsAt: string) =>
  `reminder-push:${sessionId}:${offsetMinutes}:${startsAt}`;

/**
 * Handlers of every job the sessions domain enqueues (see sessions.jobs.ts). Each loads fresh rows when it runs and
 * does nothing when the message no longer makes sense (invitee removed, session cancelled, ended or moved).
 *
 * Messages to many people are fanned out: the first job writes one job per recipient with a dedupe key in one
 * transaction, so a retry of the fan-out (after a crash or a failed push) never re-sends what already went out.
 */
export function registerSessionNotificationJobs(worker: JobWorker, deps: SessionNotificationDeps): void {
  const { prisma, mailer, clock, sessions, publicUrl } = deps;
  const host = new URL(publicUrl).host;

  async function load(sessionId: string) {
    return prisma.liveSession.findUnique({
      where: { id: sessionId },
      include: { host: { select: { id: true, name: true, email: true } } },
    });
  }

  function emailData(
    session: LiveSession & { host: { name: string; email: string } },
    recipient: { email: string; name?: string | null },
    sequence = session.sequence,
  ): SessionEmailData {
    return {
      recipient: { email: recipient.email, name: recipient.name || null },
      title: session.title,
      description: session.description || null,
      start: session.scheduledStartAt,
      end: session.scheduledEndAt,
      joinUrl: sessions.joinUrl(session),
      hostName: session.host.name,
      uid: `session-${session.id}@${host}`,
      sequence,
      // The host organizes: calendars show who invited them, and RSVPs and replies reach a person, not no-reply.
      organizerEmail: session.host.email,
    };
  }

  const activeInvite = (invite: SessionInvite | null, sessionId: string) =>
    invite !== null && invite.sessionId === sessionId && invite.removedAt === null;

  worker.register("email.sessionInvitation", async ({ sessionId, inviteId }) => {
    const session = await load(sessionId);
    const invite = await prisma.sessionInvite.findUnique({ where: { id: inviteId } });
    // Scheduled or live (a new invitee or a rotated link while live still gets the link).
    if (!session || !["SCHEDULED", "LIVE"].includes(session.status)) return;
    if (!invite || !activeInvite(invite, sessionId)) return;
    await mailer.send(sessionInvitationEmail(emailData(session, invite)));
  });

  worker.register("email.sessionCancelled", async ({ sessionId, inviteId }) => {
    const session = await load(sessionId);
    const invite = await prisma.sessionInvite.findUnique({ where: { id: inviteId } });
    if (!session || !invite || invite.sessionId !== sessionId) return;
    // Sent for a cancelled session, or to an invitee taken off the list (and not invited again since).
    if (session.status !== "CANCELLED" && invite.removedAt === null) return;
    // A cancellation is a newer revision of the event than the last invitation (RFC 5546).
    await mailer.send(sessionCancelledEmail(emailData(session, invite, session.sequence + 1)));
  });

  worker.register("email.sessionStarted", async ({ sessionId }) => {
    const session = await load(sessionId);
    if (session?.status !== "LIVE") return;
    const [invites, participants] = await Promise.all([
      prisma.sessionInvite.findMany({ where: { sessionId, removedAt: null }, orderBy: { createdAt: "asc" } }),
      prisma.sessionParticipant.findMany({
        where: { sessionId, role: { not: "HOST" }, status: { in: ["ADMITTED", "WAITING"] } },
        orderBy: { createdAt: "asc" },
      }),
    ]);
    const recipients = new Map<string, { email: string; name: string }>();
    for (const person of [...invites, ...participants]) {
      const key = person.email.toLowerCase();
      if (person.email && !recipients.has(key)) recipients.set(key, { email: person.email, name: person.name });
    }
    const now = clock.now();
    await prisma.$transaction(async (tx) => {
      for (const [key, person] of recipients)
        await enqueueJob(
          tx,
          "email.sessionStartedTo",
          { sessionId, ...person },
          { runAt: now, dedupeKey: `session-started:${sessionId}:${key}` },
        );
    });
  });

  worker.register("email.sessionStartedTo", async ({ sessionId, email, name }) => {
    const session = await load(sessionId);
    if (session?.status !== "LIVE") return;
    await mailer.send(sessionStartedEmail(emailData(session, { email, name })));
  });

  /** The session as a reminder expects it: still scheduled, at the same start. Otherwise the reminder is void. */
  async function stillDue(sessionId: string, offsetMinutes: number, startsAt: string) {
    const session = await load(sessionId);
    if (session?.status !== "SCHEDULED") return null;
    if (session.scheduledStartAt.toISOString() !== startsAt) return null;
    if (!session.reminderOffsets.includes(offsetMinutes)) return null;
    return session;
  }

  worker.register("session.reminder", async ({ sessionId, offsetMinutes, startsAt }) => {
    const session = await stillDue(sessionId, offsetMinutes, startsAt);
    if (!session) return;
    const now = clock.now();
    const message = {
      title: `Reminder: ${session.title}`,
      body: `Starts in ${offsetMinutes} minutes`,
    };
    await prisma.$transaction(async (tx) => {
      const invites = await tx.sessionInvite.findMany({ where: { sessionId, removedAt: null } });
      // One statement for every invitee (as `enqueueJob` would write each): a webinar with thousands of invitees
      // must not run one round trip per invitee inside the interactive transaction (it timed out under load).
      await tx.job.createMany({
        data: invites.map((invite) => {
          const payload: JobPayloads["email.sessionReminder"] = {
            sessionId,
            inviteId: invite.id,
            offsetMinutes,
            startsAt,
          };
          return {
            kind: "email.sessionReminder",
            payload: payload as Prisma.InputJsonValue,
            runAt: now,
            dedupeKey: reminderEmailKey(sessionId, offsetMinutes, startsAt, invite.email),
          };
        }),
        skipDuplicates: true,
      });
      const pushKey = reminderPushKeyPrefix(sessionId, offsetMinutes, startsAt);
      await enqueuePush(
        tx,
        { userId: session.hostId },
        { ...message, url: `${publicUrl}/sessions/${sessionId}` },
        { runAt: now, dedupeKeyPrefix: pushKey },
      );
      const participants = await tx.sessionParticipant.findMany({
        where: { sessionId, role: { not: "HOST" }, status: { notIn: ["REMOVED", "DENIED"] } },
        select: { id: true },
      });
      const joinUrl = sessions.joinUrl(session);
      for (const participant of participants)
        await enqueuePush(
          tx,
          { participantId: participant.id },
          { ...message, url: joinUrl },
          { runAt: now, dedupeKeyPrefix: pushKey },
        );
    });
  });

  worker.register("email.sessionReminder", async ({ sessionId, inviteId, offsetMinutes, startsAt }) => {
    const session = await stillDue(sessionId, offsetMinutes, startsAt);
    const invite = await prisma.sessionInvite.findUnique({ where: { id: inviteId } });
    if (!session || !invite || !activeInvite(invite, sessionId)) return;
    await mailer.send(sessionReminderEmail({ ...emailData(session, invite), minutesBefore: offsetMinutes }));
  });

  registerVerificationCodeJob(worker, {
    prisma,
    mailer,
    clock,
    openCode: (sealedCode) => sessions.openVerificationCode(sealedCode),
    lookup: async (verificationId) => {
      const verification = await prisma.sessionEmailVerification.findUnique({
        where: { id: verificationId },
        include: { session: { select: { title: true } } },
      });
      if (!verification || verification.verifiedAt) return null;
      return { to: verification.email, sessionTitle: verification.session.title, expiresAt: verification.expiresAt };
    },
  });
}
