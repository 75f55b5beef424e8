import { hashPassword } from "../auth/password.ts";
import type { StaffViewer } from "../auth/roles.ts";
import type { Clock } from "../clock.ts";
import { InvalidTransitionError, ValidationError } from "../errors.ts";
import type { LiveSession, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { LiveSessionType } from "../generated/prisma/enums.ts";
import { cancelPendingJobs, enqueueJob } from "../jobs/jobs.service.ts";
import type { SessionAccessService } from "./session-access.service.ts";
import "./sessions.jobs.ts";
import { SessionEndedError } from "./sessions.errors.ts";
import {
  type CreateSessionData,
  createSessionInput,
  type Invitee,
  parse,
  type SessionFilter,
  sessionFilterInput,
  updateSessionInput,
} from "./sessions.inputs.ts";
import {
  defaultMaxParticipants,
  dueReminders,
  isClosed,
  MAX_PARTICIPANTS_LIMIT,
  newPeerId,
  newPublicId,
  newRoomId,
  reminderKey,
  reminderKeyPrefix,
  START_GRACE_MS,
  seatLimit,
} from "./sessions.rules.ts";
import type { SessionEvents, Tx } from "./sessions.store.ts";

/** Scheduling: creating, moving, cancelling and listing sessions, their invitations, reminders and access link. */
export class SessionSchedulingService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly access: SessionAccessService,
    private readonly events: SessionEvents,
    private readonly limits: { webinarMaxParticipants: number } = { webinarMaxParticipants: MAX_PARTICIPANTS_LIMIT },
  ) {}

  /** The seat count within the limit of the session's type, or a field error on `input.maxParticipants`. */
  private checkSeats(type: LiveSessionType, maxParticipants: number | null | undefined) {
    const limit = seatLimit(type, this.limits.webinarMaxParticipants);
    if (maxParticipants !== null && maxParticipants !== undefined && maxParticipants > limit)
      throw ValidationError.field("input.maxParticipants", `must be at most ${limit}`);
  }

  /** A session hosted by `host`, whom the field's `agent` scope let through. */
  async create(host: StaffViewer, input: unknown): Promise<LiveSession> {
    const data = parse(createSessionInput, input);
    this.checkSeats(data.type, data.maxParticipants);
    const now = this.clock.now();
    if (data.scheduledStartAt.getTime() < now.getTime() - START_GRACE_MS)
      throw ValidationError.field("input.scheduledStartAt", "must not be in the past");
    if (data.ticketId) await this.assertTicket(data.ticketId);
    const { password, ...fields } = data;
    const passwordHash = password ? await hashPassword(password) : null;
    const session = await this.prisma.$transaction((tx) =>
      this.insertSession(tx, host.userId, { ...fields, passwordHash }, now),
    );
    return session;
  }

  private async assertTicket(ticketId: string) {
    const ticket = await this.prisma.ticket.findUnique({ where: { id: ticketId }, select: { id: true } });
    if (!ticket) throw ValidationError.field("input.ticketId", "no such ticket");
  }

  /** Inserts a session with its host's participant row, invitations and reminders (also used for ticket calls). */
  async insertSession(
    tx: Tx,
    hostId: string,
    data: Omit<CreateSessionData, "password"> & {
      passwordHash: string | null;
      escalationOfTicketId?: string;
    },
    now: Date,
  ): Promise<LiveSession> {
    const host = await tx.user.findUniqueOrThrow({ where: { id: hostId } });
    const { invites, ...fields } = data;
    const session = await tx.liveSession.create({
      data: {
        ...fields,
        maxParticipants: data.maxParticipants ?? defaultMaxParticipants[data.type],
        reminderOffsets: [...new Set(data.reminderOffsets)],
        publicId: newPublicId(),
        roomId: newRoomId(),
        ...this.access.newLink(),
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

  async update(sessionId: string, input: unknown): Promise<LiveSession> {
    const data = parse(updateSessionInput, input);
    const existing = await this.access.existingSession(sessionId);
    if (isClosed(existing.status)) throw new SessionEndedError(existing.status);
    if (data.type !== undefined || data.maxParticipants !== undefined)
      this.checkSeats(data.type ?? existing.type, data.maxParticipants ?? existing.maxParticipants);
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
    await this.events.publish("UPDATED", session.id);
    return session;
  }

  /** Makes the invite list equal to `people`; returns ids of invites that are new (or back) and need an invitation. */
  private async replaceInvites(tx: Tx, sessionId: string, people: Invitee[], now: Date) {
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

  async cancel(sessionId: string): Promise<LiveSession> {
    const existing = await this.access.existingSession(sessionId);
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
    await this.events.revokeAllPeers(session.id);
    await this.events.publish("CANCELLED", session.id);
    return session;
  }

  /** A new access link; the old one stops working at once. Invitees get the new link unless told otherwise. */
  async rotateLink(sessionId: string, notifyInvitees: boolean): Promise<LiveSession> {
    const existing = await this.access.existingSession(sessionId);
    if (isClosed(existing.status)) throw new SessionEndedError(existing.status);
    const now = this.clock.now();
    return this.prisma.$transaction(async (tx) => {
      const session = await tx.liveSession.update({
        where: { id: existing.id },
        data: { ...this.access.newLink(), updatedAt: now },
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
  listWhere(viewer: StaffViewer, filterInput: SessionFilter | null | undefined): Prisma.LiveSessionWhereInput {
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
}

function dedupeInvitees<T extends { email: string }>(people: T[]): T[] {
  return [...new Map(people.map((person) => [person.email, person])).values()];
}
