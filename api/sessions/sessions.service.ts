import { z } from "zod";
import type { Viewer } from "../auth/auth.service.ts";
import { hashPassword, verifyPassword } from "../auth/password.ts";
import { isStaff } from "../auth/roles.ts";
import { hashToken, randomToken } from "../auth/tokens.ts";
import type { Clock } from "../clock.ts";
import { forbidden, InvalidTransitionError, NotFoundError, ValidationError } from "../errors.ts";
import { type LiveSession, Prisma, type PrismaClient, type SessionParticipant } from "../generated/prisma/client.ts";
import {
  LiveSessionStatus as LiveSessionStatusValues,
  LiveSessionType as LiveSessionTypeValues,
  type ParticipantRole,
} from "../generated/prisma/enums.ts";
import { cancelPendingJobs, enqueueJob } from "../jobs/jobs.service.ts";
import type { RateLimits } from "../ops/rate-limit.ts";
import type { PubSub } from "../pubsub.ts";
import "./sessions.jobs.ts";
import {
  EmailDomainNotAllowedError,
  EmailVerificationRequiredError,
  InvalidVerificationCodeError,
  ParticipantRemovedError,
  RecordingConsentMissingError,
  RecordingConsentRequiredError,
  SessionEndedError,
  SessionFullError,
  SessionLockedError,
  SessionNotFoundError,
  SessionOptionDisabledError,
  TooManyAttemptsError,
  WrongPasswordError,
} from "./sessions.errors.ts";
import type { LiveSessionEventKind } from "./sessions.events.ts";
import {
  CHAT_MAX_LENGTH,
  DEFAULT_REMINDER_OFFSETS,
  defaultMaxParticipants,
  domainAllowed,
  dueReminders,
  ESCALATION_LEAD_MS,
  hashVerificationCode,
  isClosed,
  LinkCipher,
  MAX_PARTICIPANTS_LIMIT,
  newPeerId,
  newPublicId,
  newRoomId,
  newVerificationCode,
  reminderKey,
  reminderKeyPrefix,
  START_GRACE_MS,
  SUPPORT_CALL_LENGTH_MS,
  VERIFICATION_MAX_ATTEMPTS,
} from "./sessions.rules.ts";

export interface ParticipantAuth {
  participantId: string;
  sessionId: string;
}

/** Who is acting: a signed-in user, a participant token, or both. */
export interface SessionActor {
  viewer: Viewer | null;
  participant: ParticipantAuth | null;
}

export interface SessionLimits {
  verificationCodeTtlMs: number;
  joinAttemptsPer10Min: number;
  passwordFailuresPer15Min: number;
  verificationRequestsPer15Min: number;
  chatMessagesPerMinute: number;
}

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("enter a valid email address").max(254, "must be at most 254 characters"));
const personName = z.string().trim().min(1, "enter a name").max(100, "must be at most 100 characters");
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "enter a domain such as example.com");
const invitee = z.object({ name: personName, email });

const sessionFields = {
  title: z.string().trim().min(3, "must be at least 3 characters").max(200, "must be at most 200 characters"),
  description: z.string().trim().max(5000, "must be at most 5,000 characters"),
  agenda: z.string().trim().max(5000, "must be at most 5,000 characters"),
  type: z.enum(LiveSessionTypeValues),
  scheduledStartAt: z.date(),
  scheduledEndAt: z.date(),
  maxParticipants: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(MAX_PARTICIPANTS_LIMIT, `must be at most ${MAX_PARTICIPANTS_LIMIT}`),
  invites: z.array(invitee).max(500, "at most 500 invitees"),
  waitingRoom: z.boolean(),
  requiresApproval: z.boolean(),
  password: z.string().min(4, "must be at least 4 characters").max(200, "must be at most 200 characters").nullable(),
  allowedEmailDomains: z.array(domain).max(50, "at most 50 domains"),
  emailVerificationRequired: z.boolean(),
  recordingEnabled: z.boolean(),
  chatEnabled: z.boolean(),
  screenShareEnabled: z.boolean(),
  reminderOffsets: z
    .array(z.number().int().min(1, "must be at least 1 minute").max(10_080, "must be at most a week"))
    .max(5, "at most 5 reminders"),
  ticketId: z.string().min(1).nullable(),
};

const endAfterStart = (value: { scheduledStartAt?: Date; scheduledEndAt?: Date }) =>
  !value.scheduledStartAt || !value.scheduledEndAt || value.scheduledEndAt > value.scheduledStartAt;

export const createSessionInput = z
  .object({
    ...sessionFields,
    description: sessionFields.description.default(""),
    agenda: sessionFields.agenda.default(""),
    maxParticipants: sessionFields.maxParticipants.nullish(),
    invites: sessionFields.invites.default([]),
    waitingRoom: sessionFields.waitingRoom.default(false),
    requiresApproval: sessionFields.requiresApproval.default(false),
    password: sessionFields.password.nullish(),
    allowedEmailDomains: sessionFields.allowedEmailDomains.default([]),
    emailVerificationRequired: sessionFields.emailVerificationRequired.default(false),
    recordingEnabled: sessionFields.recordingEnabled.default(false),
    chatEnabled: sessionFields.chatEnabled.default(true),
    screenShareEnabled: sessionFields.screenShareEnabled.default(true),
    reminderOffsets: sessionFields.reminderOffsets.default(DEFAULT_REMINDER_OFFSETS),
    ticketId: sessionFields.ticketId.nullish(),
  })
  .refine(endAfterStart, { path: ["scheduledEndAt"], message: "must be after the start" });

/** Every field optional: only what is sent changes. `password: null` removes the password. */
export const updateSessionInput = z
  .object({
    title: sessionFields.title,
    description: sessionFields.description,
    agenda: sessionFields.agenda,
    type: sessionFields.type,
    scheduledStartAt: sessionFields.scheduledStartAt,
    scheduledEndAt: sessionFields.scheduledEndAt,
    maxParticipants: sessionFields.maxParticipants,
    invites: sessionFields.invites,
    waitingRoom: sessionFields.waitingRoom,
    requiresApproval: sessionFields.requiresApproval,
    password: sessionFields.password,
    allowedEmailDomains: sessionFields.allowedEmailDomains,
    emailVerificationRequired: sessionFields.emailVerificationRequired,
    recordingEnabled: sessionFields.recordingEnabled,
    chatEnabled: sessionFields.chatEnabled,
    screenShareEnabled: sessionFields.screenShareEnabled,
    reminderOffsets: sessionFields.reminderOffsets,
    ticketId: sessionFields.ticketId,
  })
  .partial();

export const sessionFilterInput = z.object({
  status: z.array(z.enum(LiveSessionStatusValues)).nullish(),
  when: z.enum(["UPCOMING", "PAST"]).nullish(),
  hostId: z.string().min(1).nullish(),
  ticketId: z.string().min(1).nullish(),
});
export type SessionFilter = z.input<typeof sessionFilterInput>;

export const joinInput = z.object({
  token: z.string().min(1, "missing link token").max(200),
  name: personName,
  email,
  password: z.string().max(200).nullish(),
  verificationCode: z
    .string()
    .trim()
    .regex(/^\d{6}$/, "enter the 6-digit code")
    .nullish(),
  recordingConsent: z.boolean().nullish(),
});

const chatBody = z
  .string()
  .trim()
  .min(1, "write a message")
  .max(CHAT_MAX_LENGTH, `must be at most ${CHAT_MAX_LENGTH} characters`);

function parse<T extends z.ZodType>(schema: T, input: unknown, prefix = "input"): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error, prefix);
  return result.data;
}

type Tx = Prisma.TransactionClient;

export interface JoinResult {
  participantToken: string;
  participantId: string;
  sessionId: string;
}

export class SessionService {
  private readonly links: LinkCipher;
  /** Called after recording was turned off or the session ended (finalizes the open recording). */
  onRecordingStopped: ((sessionId: string) => Promise<void>) | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly clock: Clock,
    private readonly options: {
      secret: string;
      publicUrl: string;
      limits: SessionLimits;
      /** The app's shared rate limiter (Redis in server mode), so every instance counts the same budgets. */
      rateLimits: RateLimits;
      /** Checks a user's access token (the host's peer may present it instead of a participant token). */
      authenticateUser: (accessToken: string) => Promise<Viewer | null>;
    },
  ) {
    this.links = new LinkCipher(options.secret);
  }

  // ── access ────────────────────────────────────────────────────────────────────────────────────────────────

  /** The host of a session and admins manage it. */
  canManage(viewer: Viewer | null, session: Pick<LiveSession, "hostId">): boolean {
    return viewer !== null && (viewer.role === "ADMIN" || viewer.userId === session.hostId);
  }

  /** The session if the viewer may manage it: NotFound when it does not exist, FORBIDDEN when it is not theirs. */
  async managedSession(viewer: Viewer, sessionId: string, tx: Tx | PrismaClient = this.prisma): Promise<LiveSession> {
    const session = await tx.liveSession.findUnique({ where: { id: sessionId } });
    if (!session) throw new NotFoundError("LiveSession");
    if (!this.canManage(viewer, session)) throw forbidden("Only the session's host or an admin may do this");
    return session;
  }

  /** A participant token's identity while it is valid: the participant is not removed and the session is open. */
  async authenticateParticipant(token: string): Promise<ParticipantAuth | null> {
    if (!token) return null;
    const participant = await this.prisma.sessionParticipant.findUnique({
      where: { tokenHash: hashToken(token) },
      select: { id: true, sessionId: true, status: true, session: { select: { status: true } } },
    });
    if (!participant || participant.status === "REMOVED" || participant.status === "DENIED") return null;
    if (isClosed(participant.session.status)) return null;
    return { participantId: participant.id, sessionId: participant.sessionId };
  }

  /**
   * For the signaling server: the participant behind a peer id, when `token` is that participant's token (or, for
   * the host's peer, the host's access token), the participant is admitted and the session is live.
   */
  async resolvePeer(peerId: string, token: string): Promise<{ sessionId: string; participantId: string } | null> {
    if (!peerId || !token) return null;
    const participant = await this.prisma.sessionParticipant.findUnique({
      where: { peerId },
      include: { session: { select: { status: true, hostId: true } } },
    });
    if (participant?.status !== "ADMITTED" || participant.session.status !== "LIVE") return null;
    let allowed = participant.tokenHash !== null && participant.tokenHash === hashToken(token);
    if (!allowed && participant.role === "HOST") {
      const viewer = await this.options.authenticateUser(token).catch(() => null);
      allowed = viewer !== null && viewer.userId === participant.session.hostId;
    }
    return allowed ? { sessionId: participant.sessionId, participantId: participant.id } : null;
  }

  /** For the signaling server: the session a peer id was issued for, connected or not; null for any other id. */
  async sessionOfPeer(peerId: string): Promise<string | null> {
    const participant = await this.prisma.sessionParticipant.findUnique({
      where: { peerId },
      select: { sessionId: true },
    });
    return participant?.sessionId ?? null;
  }

  /** The host's own participant row (created with the session). */
  hostParticipant(sessionId: string, tx: Tx | PrismaClient = this.prisma) {
    return tx.sessionParticipant.findFirstOrThrow({ where: { sessionId, role: "HOST" } });
  }

  linkToken(session: Pick<LiveSession, "linkTokenEncrypted">): string {
    return this.links.decrypt(session.linkTokenEncrypted);
  }

  joinUrl(session: Pick<LiveSession, "linkTokenEncrypted">): string {
    return `${this.options.publicUrl}/session/join/${this.linkToken(session)}`;
  }

  // ── scheduling ────────────────────────────────────────────────────────────────────────────────────────────

  async create(viewer: Viewer, input: unknown): Promise<LiveSession> {
    if (!isStaff(viewer.role)) throw forbidden("Only agents and admins host sessions");
    const data = parse(createSessionInput, input);
    const now = this.clock.now();
    if (data.scheduledStartAt.getTime() < now.getTime() - START_GRACE_MS)
      throw ValidationError.field("input.scheduledStartAt", "must not be in the past");
    if (data.ticketId) await this.assertTicket(data.ticketId);
    const { password, ...fields } = data;
    const passwordHash = password ? await hashPassword(password) : null;
    const session = await this.prisma.$transaction((tx) =>
      this.insertSession(tx, viewer.userId, { ...fields, passwordHash }, now),
    );
    return session;
  }

  private async assertTicket(ticketId: string) {
    const ticket = await this.prisma.ticket.findUnique({ where: { id: ticketId }, select: { id: true } });
    if (!ticket) throw ValidationError.field("input.ticketId", "no such ticket");
  }

  private async insertSession(
    tx: Tx,
    hostId: string,
    data: Omit<z.infer<typeof createSessionInput>, "password"> & {
      passwordHash: string | null;
      escalationOfTicketId?: string;
    },
    now: Date,
  ): Promise<LiveSession> {
    const host = await tx.user.findUniqueOrThrow({ where: { id: hostId } });
    const token = randomToken();
    const { invites, ...fields } = data;
    const session = await tx.liveSession.create({
      data: {
        ...fields,
        maxParticipants: data.maxParticipants ?? defaultMaxParticipants[data.type],
        reminderOffsets: [...new Set(data.reminderOffsets)],
        publicId: newPublicId(),
        roomId: newRoomId(),
        linkTokenHash: hashToken(token),
        linkTokenEncrypted: this.links.encrypt(token),
        hostId,
        createdAt: now,
        updatedAt: now,
      },
    });
    await tx.sessionParticipant.create({
      data: {
        sessionId: session.id,
        userId: hostId,
        name: host.name,
        email: host.email,
        role: "HOST",
        status: "ADMITTED",
        peerId: newPeerId(),
        firstJoinedAt: now,
        admittedAt: now,
        createdAt: now,
      },
    });
    for (const person of dedupeInvitees(invites)) {
      const invite = await tx.sessionInvite.create({
        data: { sessionId: session.id, name: person.name, email: person.email, createdAt: now },
      });
      await enqueueJob(tx, "email.sessionInvitation", { sessionId: session.id, inviteId: invite.id }, { runAt: now });
    }
    await this.scheduleReminders(tx, session, now);
    return session;
  }

  private async scheduleReminders(tx: Tx, session: LiveSession, now: Date) {
    await cancelPendingJobs(tx, reminderKeyPrefix(session.id), now);
    if (session.status !== "SCHEDULED") return;
    for (const reminder of dueReminders(session.scheduledStartAt, session.reminderOffsets, now)) {
      await enqueueJob(
        tx,
        "session.reminder",
        {
          sessionId: session.id,
          offsetMinutes: reminder.offsetMinutes,
          startsAt: session.scheduledStartAt.toISOString(),
        },
        {
          runAt: reminder.runAt,
          dedupeKey: reminderKey(session.id, reminder.offsetMinutes, session.scheduledStartAt),
        },
      );
    }
  }

  async update(viewer: Viewer, sessionId: string, input: unknown): Promise<LiveSession> {
    const data = parse(updateSessionInput, input);
    const existing = await this.managedSession(viewer, sessionId);
    if (isClosed(existing.status)) throw new SessionEndedError(existing.status);
    const now = this.clock.now();
    const start = data.scheduledStartAt ?? existing.scheduledStartAt;
    const end = data.scheduledEndAt ?? existing.scheduledEndAt;
    if (end <= start) throw ValidationError.field("input.scheduledEndAt", "must be after the start");
    if (data.scheduledStartAt && existing.status === "SCHEDULED" && start.getTime() < now.getTime() - START_GRACE_MS)
      throw ValidationError.field("input.scheduledStartAt", "must not be in the past");
    if (data.ticketId) await this.assertTicket(data.ticketId);
    const passwordHash =
      data.password === undefined ? undefined : data.password === null ? null : await hashPassword(data.password);
    const { invites, password: _password, ...fields } = data;
    const timesMoved =
      start.getTime() !== existing.scheduledStartAt.getTime() || end.getTime() !== existing.scheduledEndAt.getTime();
    const session = await this.prisma.$transaction(async (tx) => {
      const updated = await tx.liveSession.update({
        where: { id: existing.id },
        data: {
          ...fields,
          ...(fields.reminderOffsets ? { reminderOffsets: [...new Set(fields.reminderOffsets)] } : {}),
          ...(passwordHash !== undefined ? { passwordHash } : {}),
          ...(timesMoved ? { sequence: { increment: 1 } } : {}),
          updatedAt: now,
        },
      });
      const newInviteIds = invites ? await this.replaceInvites(tx, updated.id, invites, now) : [];
      if (timesMoved) {
        const all = await tx.sessionInvite.findMany({ where: { sessionId: updated.id, removedAt: null } });
        for (const invite of all)
          await enqueueJob(
            tx,
            "email.sessionInvitation",
            { sessionId: updated.id, inviteId: invite.id },
            { runAt: now },
          );
      } else {
        for (const inviteId of newInviteIds)
          await enqueueJob(tx, "email.sessionInvitation", { sessionId: updated.id, inviteId }, { runAt: now });
      }
      if (timesMoved || fields.reminderOffsets) await this.scheduleReminders(tx, updated, now);
      return updated;
    });
    this.publish("UPDATED", session.id);
    return session;
  }

  /** Makes the invite list equal to `people`; returns ids of invites that are new (or back) and need an invitation. */
  private async replaceInvites(tx: Tx, sessionId: string, people: z.infer<typeof invitee>[], now: Date) {
    const wanted = new Map(dedupeInvitees(people).map((person) => [person.email, person]));
    const current = await tx.sessionInvite.findMany({ where: { sessionId } });
    const fresh: string[] = [];
    for (const invite of current) {
      const person = wanted.get(invite.email);
      if (person) {
        wanted.delete(invite.email);
        if (invite.removedAt || invite.name !== person.name) {
          await tx.sessionInvite.update({ where: { id: invite.id }, data: { name: person.name, removedAt: null } });
        }
        if (invite.removedAt) fresh.push(invite.id);
      } else if (!invite.removedAt) {
        await tx.sessionInvite.update({ where: { id: invite.id }, data: { removedAt: now } });
        await enqueueJob(tx, "email.sessionCancelled", { sessionId, inviteId: invite.id }, { runAt: now });
      }
    }
    for (const person of wanted.values()) {
      const created = await tx.sessionInvite.create({ data: { sessionId, ...person, createdAt: now } });
      fresh.push(created.id);
    }
    return fresh;
  }

  async cancel(viewer: Viewer, sessionId: string): Promise<LiveSession> {
    const existing = await this.managedSession(viewer, sessionId);
    if (existing.status !== "SCHEDULED")
      throw new InvalidTransitionError(existing.status, "CANCELLED", "only a scheduled session can be cancelled");
    const now = this.clock.now();
    const session = await this.prisma.$transaction(async (tx) => {
      const changed = await tx.liveSession.updateMany({
        where: { id: existing.id, status: "SCHEDULED" },
        data: { status: "CANCELLED", cancelledAt: now, updatedAt: now },
      });
      if (changed.count === 0)
        throw new InvalidTransitionError(existing.status, "CANCELLED", "the session changed meanwhile; reload");
      await cancelPendingJobs(tx, reminderKeyPrefix(existing.id), now);
      const invites = await tx.sessionInvite.findMany({ where: { sessionId: existing.id, removedAt: null } });
      for (const invite of invites)
        await enqueueJob(tx, "email.sessionCancelled", { sessionId: existing.id, inviteId: invite.id }, { runAt: now });
      return tx.liveSession.findUniqueOrThrow({ where: { id: existing.id } });
    });
    await this.revokeAllPeers(session.id);
    this.publish("CANCELLED", session.id);
    return session;
  }

  /** A new access link; the old one stops working at once. Invitees get the new link unless told otherwise. */
  async rotateLink(viewer: Viewer, sessionId: string, notifyInvitees: boolean): Promise<LiveSession> {
    const existing = await this.managedSession(viewer, sessionId);
    if (isClosed(existing.status)) throw new SessionEndedError(existing.status);
    const token = randomToken();
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const session = await tx.liveSession.update({
        where: { id: existing.id },
        data: { linkTokenHash: hashToken(token), linkTokenEncrypted: this.links.encrypt(token), updatedAt: now },
      });
      if (notifyInvitees) {
        const invites = await tx.sessionInvite.findMany({ where: { sessionId: session.id, removedAt: null } });
        for (const invite of invites)
          await enqueueJob(
            tx,
            "email.sessionInvitation",
            { sessionId: session.id, inviteId: invite.id },
            { runAt: now },
          );
      }
      return session;
    });
  }

  /** Hosts see the sessions they host; admins see all (optionally one host's). Newest first. */
  listWhere(viewer: Viewer, filterInput: SessionFilter | null | undefined): Prisma.LiveSessionWhereInput {
    if (!isStaff(viewer.role)) throw forbidden("Only agents and admins list sessions");
    const filter = parse(sessionFilterInput, filterInput ?? {}, "filter");
    const where: Prisma.LiveSessionWhereInput[] = [];
    if (viewer.role !== "ADMIN") where.push({ hostId: viewer.userId });
    else if (filter.hostId) where.push({ hostId: filter.hostId });
    if (filter.status?.length) where.push({ status: { in: filter.status } });
    if (filter.ticketId) where.push({ ticketId: filter.ticketId });
    const now = this.clock.now();
    if (filter.when === "UPCOMING") where.push({ status: { in: ["SCHEDULED", "LIVE"] }, scheduledEndAt: { gt: now } });
    if (filter.when === "PAST")
      where.push({ OR: [{ status: { in: ["ENDED", "CANCELLED"] } }, { scheduledEndAt: { lte: now } }] });
    return { AND: where };
  }

  // ── public lookup and joining ─────────────────────────────────────────────────────────────────────────────

  async byLink(token: string): Promise<LiveSession | null> {
    if (!token || token.length > 200) return null;
    return this.prisma.liveSession.findUnique({ where: { linkTokenHash: hashToken(token) } });
  }

  /** Sends a one-time code to prove the joiner owns `email` (sessions that require verification). */
  async requestVerificationCode(input: unknown, clientAddress: string): Promise<{ expiresAt: Date }> {
    const data = parse(z.object({ token: joinInput.shape.token, email }), input);
    const linkKey = hashToken(data.token);
    const limit = this.options.limits.verificationRequestsPer15Min;
    for (const key of [`verify:${linkKey}:${data.email}`, `verify:${linkKey}:${clientAddress}`]) {
      await this.options.rateLimits.session(key, { limit, windowMs: 15 * 60_000 });
    }
    const session = await this.byLink(data.token);
    if (!session) throw new SessionNotFoundError();
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (!domainAllowed(data.email, session.allowedEmailDomains))
      throw new EmailDomainNotAllowedError(session.allowedEmailDomains);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.options.limits.verificationCodeTtlMs);
    const code = newVerificationCode();
    await this.prisma.$transaction(async (tx) => {
      const verification = await tx.sessionEmailVerification.create({
        data: {
          sessionId: session.id,
          email: data.email,
          codeHash: "pending",
          expiresAt,
          maxAttempts: VERIFICATION_MAX_ATTEMPTS,
          createdAt: now,
        },
      });
      await tx.sessionEmailVerification.update({
        where: { id: verification.id },
        data: { codeHash: hashVerificationCode(verification.id, code) },
      });
      await enqueueJob(tx, "email.verificationCode", { verificationId: verification.id, code }, { runAt: now });
    });
    return { expiresAt };
  }

  /**
   * Joins through the access link. Checks in this order, each with its own error: link exists, session not
   * ended/cancelled, email domain allowed, email verified, password, not removed/denied, not locked, capacity,
   * recording consent. Then the participant waits or is admitted; rejoining with the same email resumes the row.
   */
  async join(input: unknown, clientAddress: string): Promise<JoinResult> {
    const data = parse(joinInput, input);
    const linkKey = hashToken(data.token);
    const { limits } = this.options;
    await this.options.rateLimits.session(`join:${linkKey}:${clientAddress}`, {
      limit: limits.joinAttemptsPer10Min,
      windowMs: 10 * 60_000,
    });

    const session = await this.prisma.liveSession.findUnique({ where: { linkTokenHash: linkKey } });
    if (!session) throw new SessionNotFoundError();
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (!domainAllowed(data.email, session.allowedEmailDomains))
      throw new EmailDomainNotAllowedError(session.allowedEmailDomains);
    if (session.emailVerificationRequired) await this.checkVerification(session.id, data.email, data.verificationCode);
    if (session.passwordHash) {
      const passwordKey = `password:${linkKey}:${clientAddress}`;
      const passwordRule = { limit: limits.passwordFailuresPer15Min, windowMs: 15 * 60_000 };
      await this.options.rateLimits.sessionBlocked(passwordKey, passwordRule);
      if (!(await verifyPassword(session.passwordHash, data.password ?? ""))) {
        await this.options.rateLimits.sessionCount(passwordKey, passwordRule);
        throw new WrongPasswordError();
      }
    }

    const token = randomToken();
    const now = this.clock.now();
    const outcome = await this.prisma.$transaction(async (tx) => {
      // One joiner at a time per session: the capacity count and the insert see the same state.
      const locked = await this.lockSession(tx, session.id);
      if (isClosed(locked.status)) throw new SessionEndedError(locked.status);
      const existing = await tx.sessionParticipant.findUnique({
        where: { sessionId_email: { sessionId: session.id, email: data.email } },
      });
      if (existing?.role === "HOST")
        throw ValidationError.field("input.email", "this is the host's address; sign in to host the session");
      if (existing?.status === "REMOVED" || existing?.status === "DENIED")
        throw new ParticipantRemovedError(existing.status);
      const alreadyIn = existing?.status === "ADMITTED";
      if (!alreadyIn && locked.locked) throw new SessionLockedError();
      const waits = !alreadyIn && (locked.waitingRoom || locked.requiresApproval);
      if (!alreadyIn && !waits && (await this.admittedCount(tx, session.id)) >= locked.maxParticipants)
        throw new SessionFullError(locked.maxParticipants);
      const consented = data.recordingConsent === true || existing?.recordingConsentAt != null;
      if (locked.recording && !waits && !consented) throw new RecordingConsentRequiredError();
      const status = waits ? "WAITING" : "ADMITTED";
      const fields = {
        name: data.name,
        status,
        tokenHash: hashToken(token),
        leftAt: null,
        ...(data.recordingConsent && !existing?.recordingConsentAt ? { recordingConsentAt: now } : {}),
        ...(status === "ADMITTED" && !alreadyIn ? { admittedAt: now } : {}),
      } as const;
      const participant = existing
        ? await tx.sessionParticipant.update({ where: { id: existing.id }, data: fields })
        : await tx.sessionParticipant.create({
            data: {
              ...fields,
              sessionId: session.id,
              email: data.email,
              role: "ATTENDEE",
              peerId: newPeerId(),
              firstJoinedAt: now,
              createdAt: now,
            },
          });
      if (status === "ADMITTED") await this.openVisit(tx, participant, now);
      return { participant, kind: (waits ? "PARTICIPANT_WAITING" : "PARTICIPANT_JOINED") as LiveSessionEventKind };
    });
    this.publish(outcome.kind, session.id, { participantId: outcome.participant.id });
    return { participantToken: token, participantId: outcome.participant.id, sessionId: session.id };
  }

  private async checkVerification(sessionId: string, address: string, code: string | null | undefined) {
    const verified = await this.prisma.sessionEmailVerification.findFirst({
      where: { sessionId, email: address, verifiedAt: { not: null } },
      select: { id: true },
    });
    if (verified) return;
    const latest = await this.prisma.sessionEmailVerification.findFirst({
      where: { sessionId, email: address },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    });
    if (!code) throw new EmailVerificationRequiredError();
    if (!latest || latest.expiresAt <= this.clock.now())
      throw new EmailVerificationRequiredError("The code has expired or was never requested: request a new code");
    // Counted in the database before comparing, so parallel guesses cannot exceed the limit.
    const counted = await this.prisma.sessionEmailVerification.updateMany({
      where: { id: latest.id, attempts: { lt: latest.maxAttempts }, verifiedAt: null },
      data: { attempts: { increment: 1 } },
    });
    if (counted.count === 0) throw new TooManyAttemptsError();
    if (hashVerificationCode(latest.id, code) !== latest.codeHash) {
      const attemptsLeft = latest.maxAttempts - latest.attempts - 1;
      if (attemptsLeft <= 0) throw new TooManyAttemptsError();
      throw new InvalidVerificationCodeError(attemptsLeft);
    }
    await this.prisma.sessionEmailVerification.update({
      where: { id: latest.id },
      data: { verifiedAt: this.clock.now() },
    });
  }

  private async lockSession(tx: Tx, sessionId: string): Promise<LiveSession> {
    await tx.$queryRaw`SELECT id FROM "LiveSession" WHERE id = ${sessionId} FOR UPDATE`;
    return tx.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
  }

  private admittedCount(tx: Tx, sessionId: string): Promise<number> {
    return tx.sessionParticipant.count({ where: { sessionId, status: "ADMITTED", role: { not: "HOST" } } });
  }

  private async openVisit(tx: Tx, participant: SessionParticipant, now: Date) {
    const open = await tx.sessionVisit.findFirst({ where: { participantId: participant.id, leftAt: null } });
    if (!open)
      await tx.sessionVisit.create({
        data: { sessionId: participant.sessionId, participantId: participant.id, joinedAt: now },
      });
  }

  private async closeVisits(tx: Tx, where: Prisma.SessionVisitWhereInput, now: Date) {
    await tx.sessionVisit.updateMany({ where: { ...where, leftAt: null }, data: { leftAt: now } });
  }

  /** The participant leaves; their token stays valid so they can come back (same row, a new visit). */
  async leave(participant: ParticipantAuth): Promise<SessionParticipant> {
    const now = this.clock.now();
    const left = await this.prisma.$transaction(async (tx) => {
      const row = await tx.sessionParticipant.findUniqueOrThrow({ where: { id: participant.participantId } });
      if (row.role === "HOST") throw ValidationError.field("participantToken", "the host ends the session instead");
      const updated = await tx.sessionParticipant.update({
        where: { id: row.id },
        data: { status: "LEFT", leftAt: now },
      });
      await this.closeVisits(tx, { participantId: row.id }, now);
      return updated;
    });
    this.publish("PARTICIPANT_LEFT", left.sessionId, { participantId: left.id });
    this.pubsub.publish("peerRevoked", { sessionId: left.sessionId, peerIds: [left.peerId] });
    return left;
  }

  async giveRecordingConsent(participant: ParticipantAuth): Promise<SessionParticipant> {
    const now = this.clock.now();
    const updated = await this.prisma.sessionParticipant.update({
      where: { id: participant.participantId },
      data: { recordingConsentAt: now },
    });
    this.publish("PARTICIPANT_UPDATED", updated.sessionId, { participantId: updated.id });
    return updated;
  }

  // ── host controls ─────────────────────────────────────────────────────────────────────────────────────────

  async start(viewer: Viewer, sessionId: string): Promise<LiveSession> {
    const existing = await this.managedSession(viewer, sessionId);
    if (existing.status !== "SCHEDULED")
      throw new InvalidTransitionError(existing.status, "LIVE", "only a scheduled session can start");
    const now = this.clock.now();
    const session = await this.prisma.$transaction(async (tx) => {
      const changed = await tx.liveSession.updateMany({
        where: { id: existing.id, status: "SCHEDULED" },
        data: { status: "LIVE", actualStartAt: now, updatedAt: now },
      });
      if (changed.count === 0)
        throw new InvalidTransitionError(existing.status, "LIVE", "the session changed meanwhile; reload");
      await this.openVisit(tx, await this.hostParticipant(existing.id, tx), now);
      await cancelPendingJobs(tx, reminderKeyPrefix(existing.id), now);
      await enqueueJob(tx, "email.sessionStarted", { sessionId: existing.id }, { runAt: now });
      return tx.liveSession.findUniqueOrThrow({ where: { id: existing.id } });
    });
    this.publish("STARTED", session.id);
    return session;
  }

  /** Closes the session for everyone: visits end, participant tokens stop working, subscriptions complete. */
  async end(viewer: Viewer, sessionId: string): Promise<LiveSession> {
    const existing = await this.managedSession(viewer, sessionId);
    if (existing.status !== "LIVE")
      throw new InvalidTransitionError(existing.status, "ENDED", "only a live session can end; cancel it instead");
    const now = this.clock.now();
    const session = await this.prisma.$transaction(async (tx) => {
      const changed = await tx.liveSession.updateMany({
        where: { id: existing.id, status: "LIVE" },
        data: { status: "ENDED", actualEndAt: now, recording: false, updatedAt: now },
      });
      if (changed.count === 0)
        throw new InvalidTransitionError(existing.status, "ENDED", "the session changed meanwhile; reload");
      await this.closeVisits(tx, { sessionId: existing.id }, now);
      return tx.liveSession.findUniqueOrThrow({ where: { id: existing.id } });
    });
    await this.revokeAllPeers(session.id);
    await this.onRecordingStopped?.(session.id);
    this.publish("ENDED", session.id);
    return session;
  }

  private async revokeAllPeers(sessionId: string) {
    const peers = await this.prisma.sessionParticipant.findMany({ where: { sessionId }, select: { peerId: true } });
    this.pubsub.publish("peerRevoked", { sessionId, peerIds: peers.map((peer) => peer.peerId) });
  }

  private async managedParticipant(viewer: Viewer, participantId: string) {
    const participant = await this.prisma.sessionParticipant.findUnique({ where: { id: participantId } });
    if (!participant) throw new NotFoundError("SessionParticipant");
    const session = await this.managedSession(viewer, participant.sessionId);
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (participant.role === "HOST") throw ValidationError.field("participantId", "this is the host");
    return { participant, session };
  }

  /**
   * Lets a waiting participant in (capacity and recording consent permitting). A removed or denied participant
   * becomes LEFT: they may join again with the link.
   */
  async admit(viewer: Viewer, participantId: string): Promise<SessionParticipant> {
    const { participant } = await this.managedParticipant(viewer, participantId);
    const now = this.clock.now();
    const result = await this.prisma.$transaction(async (tx) => {
      const session = await this.lockSession(tx, participant.sessionId);
      const row = await tx.sessionParticipant.findUniqueOrThrow({ where: { id: participant.id } });
      if (row.status === "REMOVED" || row.status === "DENIED") {
        return {
          row: await tx.sessionParticipant.update({ where: { id: row.id }, data: { status: "LEFT", removedAt: null } }),
          kind: "PARTICIPANT_UPDATED" as const,
        };
      }
      if (row.status !== "WAITING")
        throw new InvalidTransitionError(row.status, "ADMITTED", "only waiting participants can be admitted");
      if ((await this.admittedCount(tx, session.id)) >= session.maxParticipants)
        throw new SessionFullError(session.maxParticipants);
      if (session.recording && !row.recordingConsentAt) throw new RecordingConsentMissingError([row.id]);
      const admitted = await tx.sessionParticipant.update({
        where: { id: row.id },
        data: { status: "ADMITTED", admittedAt: now },
      });
      await this.openVisit(tx, admitted, now);
      return { row: admitted, kind: "PARTICIPANT_ADMITTED" as const };
    });
    this.publish(result.kind, result.row.sessionId, { participantId: result.row.id });
    return result.row;
  }

  /** Admits waiting participants in arrival order while seats remain; returns those admitted. */
  async admitAll(viewer: Viewer, sessionId: string): Promise<SessionParticipant[]> {
    const existing = await this.managedSession(viewer, sessionId);
    if (isClosed(existing.status)) throw new SessionEndedError(existing.status);
    const now = this.clock.now();
    const admitted = await this.prisma.$transaction(async (tx) => {
      const session = await this.lockSession(tx, existing.id);
      let seats = session.maxParticipants - (await this.admittedCount(tx, session.id));
      const waiting = await tx.sessionParticipant.findMany({
        where: { sessionId: session.id, status: "WAITING" },
        orderBy: [{ firstJoinedAt: "asc" }, { id: "asc" }],
      });
      const rows: SessionParticipant[] = [];
      for (const row of waiting) {
        if (seats <= 0) break;
        if (session.recording && !row.recordingConsentAt) continue;
        const updated = await tx.sessionParticipant.update({
          where: { id: row.id },
          data: { status: "ADMITTED", admittedAt: now },
        });
        await this.openVisit(tx, updated, now);
        rows.push(updated);
        seats--;
      }
      return rows;
    });
    for (const row of admitted) this.publish("PARTICIPANT_ADMITTED", row.sessionId, { participantId: row.id });
    return admitted;
  }

  async deny(viewer: Viewer, participantId: string): Promise<SessionParticipant> {
    const { participant } = await this.managedParticipant(viewer, participantId);
    const changed = await this.prisma.sessionParticipant.updateMany({
      where: { id: participant.id, status: "WAITING" },
      data: { status: "DENIED", tokenHash: null },
    });
    if (changed.count === 0)
      throw new InvalidTransitionError(participant.status, "DENIED", "only waiting participants can be denied");
    this.publish("PARTICIPANT_DENIED", participant.sessionId, { participantId: participant.id });
    return this.prisma.sessionParticipant.findUniqueOrThrow({ where: { id: participant.id } });
  }

  async denyAll(viewer: Viewer, sessionId: string): Promise<SessionParticipant[]> {
    const session = await this.managedSession(viewer, sessionId);
    const waiting = await this.prisma.sessionParticipant.findMany({
      where: { sessionId: session.id, status: "WAITING" },
      select: { id: true },
    });
    const ids = waiting.map((row) => row.id);
    await this.prisma.sessionParticipant.updateMany({
      where: { id: { in: ids }, status: "WAITING" },
      data: { status: "DENIED", tokenHash: null },
    });
    for (const id of ids) this.publish("PARTICIPANT_DENIED", session.id, { participantId: id });
    return this.prisma.sessionParticipant.findMany({ where: { id: { in: ids } } });
  }

  /** Removes a participant: token revoked, visit closed, peer dropped; they can come back only if re-admitted. */
  async remove(viewer: Viewer, participantId: string): Promise<SessionParticipant> {
    const { participant } = await this.managedParticipant(viewer, participantId);
    const now = this.clock.now();
    const removed = await this.prisma.$transaction(async (tx) => {
      const updated = await tx.sessionParticipant.update({
        where: { id: participant.id },
        data: { status: "REMOVED", tokenHash: null, removedAt: now, leftAt: now },
      });
      await this.closeVisits(tx, { participantId: participant.id }, now);
      return updated;
    });
    this.pubsub.publish("peerRevoked", { sessionId: removed.sessionId, peerIds: [removed.peerId] });
    this.publish("PARTICIPANT_REMOVED", removed.sessionId, { participantId: removed.id });
    return removed;
  }

  async setLocked(viewer: Viewer, sessionId: string, locked: boolean): Promise<LiveSession> {
    const existing = await this.managedSession(viewer, sessionId);
    if (isClosed(existing.status)) throw new SessionEndedError(existing.status);
    const session = await this.prisma.liveSession.update({
      where: { id: existing.id },
      data: { locked, updatedAt: this.clock.now() },
    });
    this.publish("LOCK_CHANGED", session.id);
    return session;
  }

  /** Recording starts only when every present participant has consented (the host consents by starting it). */
  async setRecording(viewer: Viewer, sessionId: string, recording: boolean): Promise<LiveSession> {
    const existing = await this.managedSession(viewer, sessionId);
    if (existing.status !== "LIVE")
      throw new InvalidTransitionError(existing.status, existing.status, "recording happens only while live");
    if (recording && !existing.recordingEnabled) throw new SessionOptionDisabledError("RECORDING");
    const now = this.clock.now();
    const session = await this.prisma.$transaction(async (tx) => {
      await this.lockSession(tx, existing.id);
      if (recording) {
        const missing = await tx.sessionParticipant.findMany({
          where: { sessionId: existing.id, status: "ADMITTED", role: { not: "HOST" }, recordingConsentAt: null },
          select: { id: true },
          orderBy: { id: "asc" },
        });
        if (missing.length > 0) throw new RecordingConsentMissingError(missing.map((row) => row.id));
      }
      return tx.liveSession.update({ where: { id: existing.id }, data: { recording, updatedAt: now } });
    });
    if (!recording) await this.onRecordingStopped?.(session.id);
    this.publish("RECORDING_CHANGED", session.id);
    return session;
  }

  /** Webinars: the host promotes attendees to presenters (who publish media) and back. */
  async setRole(viewer: Viewer, participantId: string, role: ParticipantRole): Promise<SessionParticipant> {
    if (role === "HOST") throw ValidationError.field("role", "a session has one host");
    const { participant } = await this.managedParticipant(viewer, participantId);
    const updated = await this.prisma.sessionParticipant.update({ where: { id: participant.id }, data: { role } });
    this.publish("PARTICIPANT_UPDATED", updated.sessionId, { participantId: updated.id });
    return updated;
  }

  // ── chat ──────────────────────────────────────────────────────────────────────────────────────────────────

  /** The participant row the actor speaks as in this session: their token's, or the host's row for the host. */
  async speaker(actor: SessionActor, sessionId: string): Promise<SessionParticipant | null> {
    if (actor.participant?.sessionId === sessionId) {
      const row = await this.prisma.sessionParticipant.findUnique({ where: { id: actor.participant.participantId } });
      if (row) return row;
    }
    if (actor.viewer) {
      const host = await this.prisma.sessionParticipant.findFirst({
        where: { sessionId, role: "HOST", userId: actor.viewer.userId },
      });
      if (host) return host;
    }
    return null;
  }

  async sendChat(actor: SessionActor, sessionId: string, body: unknown) {
    const text = parse(chatBody, body, "body");
    const speaker = await this.speaker(actor, sessionId);
    if (speaker?.status !== "ADMITTED") throw forbidden("Only the host and admitted participants chat");
    const session = await this.prisma.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (!session.chatEnabled) throw new SessionOptionDisabledError("CHAT");
    await this.options.rateLimits.session(`chat:${speaker.id}`, {
      limit: this.options.limits.chatMessagesPerMinute,
      windowMs: 60_000,
    });
    const message = await this.prisma.sessionChatMessage.create({
      data: { sessionId, participantId: speaker.id, body: text, createdAt: this.clock.now() },
    });
    this.publish("CHAT_MESSAGE", sessionId, { participantId: speaker.id, messageId: message.id });
    return message;
  }

  // ── escalation from tickets ───────────────────────────────────────────────────────────────────────────────

  /**
   * The automatic support call for a ticket that became urgent, 15 minutes out, with the requester invited and
   * the assignee (or the acting agent, or the first admin) as host. At most one per ticket, ever.
   */
  async escalateTicket(ticketId: string, actor: Viewer | null): Promise<LiveSession | null> {
    const existing = await this.prisma.liveSession.findUnique({ where: { escalationOfTicketId: ticketId } });
    if (existing) return null;
    try {
      return await this.createTicketCall(ticketId, actor, true);
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return null;
      throw error;
    }
  }

  /** An agent starts a support call from a ticket: scheduled now, requester invited, linked to the ticket. */
  async startCallFromTicket(viewer: Viewer, ticketId: string): Promise<LiveSession> {
    if (!isStaff(viewer.role)) throw forbidden("Only agents start calls from tickets");
    const ticket = await this.prisma.ticket.findUnique({ where: { id: ticketId }, select: { id: true } });
    if (!ticket) throw new NotFoundError("Ticket");
    return this.createTicketCall(ticketId, viewer, false);
  }

  private async createTicketCall(ticketId: string, actor: Viewer | null, escalation: boolean) {
    const ticket = await this.prisma.ticket.findUniqueOrThrow({
      where: { id: ticketId },
      include: { requester: true },
    });
    const hostId = escalation
      ? (ticket.assigneeId ??
        (actor && isStaff(actor.role) ? actor.userId : null) ??
        (await this.prisma.user.findFirst({ where: { role: "ADMIN" }, orderBy: { createdAt: "asc" } }))?.id)
      : actor?.userId;
    if (!hostId) throw new Error("no staff member to host the call");
    const now = this.clock.now();
    const start = new Date(now.getTime() + (escalation ? ESCALATION_LEAD_MS : 0));
    const reference = `TKT-${String(ticket.number).padStart(6, "0")}`;
    const title = `${escalation ? "Urgent support" : "Support call"}: ${ticket.subject}`.slice(0, 200);
    const { session, messageId } = await this.prisma.$transaction(async (tx) => {
      const created = await this.insertSession(
        tx,
        hostId,
        {
          title,
          description: `Support call for ticket ${reference}.`,
          agenda: "",
          type: "SUPPORT_CALL",
          scheduledStartAt: start,
          scheduledEndAt: new Date(start.getTime() + SUPPORT_CALL_LENGTH_MS),
          maxParticipants: null,
          invites: [{ name: ticket.requester.name, email: ticket.requester.email }],
          waitingRoom: false,
          requiresApproval: false,
          passwordHash: null,
          allowedEmailDomains: [],
          emailVerificationRequired: false,
          recordingEnabled: false,
          chatEnabled: true,
          screenShareEnabled: true,
          reminderOffsets: escalation ? [5] : [],
          ticketId: ticket.id,
          ...(escalation ? { escalationOfTicketId: ticket.id } : {}),
        },
        now,
      );
      const when = escalation ? `at ${start.toISOString().slice(0, 16).replace("T", " ")} UTC` : "now";
      const message = await tx.ticketMessage.create({
        data: {
          ticketId: ticket.id,
          authorId: hostId,
          body:
            `${escalation ? "An urgent support call" : "A support call"} (${created.publicId}) is scheduled ${when}. ` +
            `Join here: ${this.joinUrl(created)}`,
          createdAt: now,
        },
      });
      await tx.ticket.update({
        where: { id: ticket.id },
        data: { lastMessage: { connect: { id: message.id } }, updatedAt: now },
      });
      return { session: created, messageId: message.id };
    });
    const ticketEvent = {
      kind: "MESSAGE_ADDED" as const,
      ticketId: ticket.id,
      requesterId: ticket.requesterId,
      messageId,
      internal: false,
    };
    this.pubsub.publish("ticket", ticket.id, ticketEvent);
    this.pubsub.publish("ticketFeed", ticketEvent);
    return session;
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────────────────────

  private publish(
    kind: LiveSessionEventKind,
    sessionId: string,
    extra: { participantId?: string; messageId?: string } = {},
  ) {
    this.pubsub.publish("liveSession", sessionId, { kind, sessionId, ...extra });
  }
}

function dedupeInvitees<T extends { email: string }>(people: T[]): T[] {
  return [...new Map(people.map((person) => [person.email, person])).values()];
}
