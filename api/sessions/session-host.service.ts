import type { Clock } from "../clock.ts";
import { InvalidTransitionError, NotFoundError, ValidationError } from "../errors.ts";
import type { LiveSession, PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import type { ParticipantRole } from "../generated/prisma/enums.ts";
import { cancelPendingJobs, enqueueJob } from "../jobs/jobs.service.ts";
import { noMediaState } from "../media/media.events.ts";
import type { SessionAccessService } from "./session-access.service.ts";
import { finalizeOpenRecordingsLater, openServerRecording } from "./session-reactions.jobs.ts";
import "./sessions.jobs.ts";
import { assertSeatFree, peerToPeerOnly, type SeatPolicy, seatsLeft } from "./seat-limits.ts";
import { RecordingConsentMissingError, SessionEndedError, SessionOptionDisabledError } from "./sessions.errors.ts";
import { isClosed, reminderKeyPrefix } from "./sessions.rules.ts";
import { admittedCount, closeVisits, lockSession, openVisit, type SessionEvents } from "./sessions.store.ts";

/**
 * The host's controls: start and end, the waiting room, removing, locking, recording, presenter roles. Who may use
 * them (the session's host or an admin) is decided by the fields' scopes (session-host.schema.ts).
 */
export class HostControlService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly access: SessionAccessService,
    private readonly events: SessionEvents,
    private readonly seats: SeatPolicy = peerToPeerOnly,
  ) {}

  async start(sessionId: string): Promise<LiveSession> {
    const existing = await this.access.existingSession(sessionId);
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
      await openVisit(tx, await this.access.hostParticipant(existing.id, tx), now);
      await cancelPendingJobs(tx, reminderKeyPrefix(existing.id), now);
      await enqueueJob(tx, "email.sessionStarted", { sessionId: existing.id }, { runAt: now });
      return tx.liveSession.findUniqueOrThrow({ where: { id: existing.id } });
    });
    await this.events.publish("STARTED", session.id);
    return session;
  }

  /** Closes the session for everyone: visits end, participant tokens stop working, subscriptions complete. */
  async end(sessionId: string): Promise<LiveSession> {
    const existing = await this.access.existingSession(sessionId);
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
      await closeVisits(tx, { sessionId: existing.id }, now);
      await finalizeOpenRecordingsLater(tx, existing.id, now);
      return tx.liveSession.findUniqueOrThrow({ where: { id: existing.id } });
    });
    await this.events.revokeAllPeers(session.id);
    await this.events.publish("ENDED", session.id);
    return session;
  }

  /** A participant the host may act on: not the host, in a session still open. */
  private async targetParticipant(participantId: string) {
    const participant = await this.prisma.sessionParticipant.findUnique({ where: { id: participantId } });
    if (!participant) throw new NotFoundError("SessionParticipant");
    const session = await this.access.existingSession(participant.sessionId);
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (participant.role === "HOST") throw ValidationError.field("participantId", "this is the host");
    return { participant, session };
  }

  /**
   * Lets a waiting participant in (capacity and recording consent permitting). A removed or denied participant
   * becomes LEFT: they may join again with the link.
   */
  async admit(participantId: string): Promise<SessionParticipant> {
    const { participant } = await this.targetParticipant(participantId);
    const now = this.clock.now();
    const result = await this.prisma.$transaction(async (tx) => {
      const session = await lockSession(tx, participant.sessionId);
      const row = await tx.sessionParticipant.findUniqueOrThrow({ where: { id: participant.id } });
      if (row.status === "REMOVED" || row.status === "DENIED") {
        return {
          row: await tx.sessionParticipant.update({ where: { id: row.id }, data: { status: "LEFT", removedAt: null } }),
          kind: "PARTICIPANT_UPDATED" as const,
        };
      }
      if (row.status !== "WAITING")
        throw new InvalidTransitionError(row.status, "ADMITTED", "only waiting participants can be admitted");
      assertSeatFree(this.seats, session, await admittedCount(tx, session.id));
      if (session.recording && !row.recordingConsentAt) throw new RecordingConsentMissingError([row.id]);
      const admitted = await tx.sessionParticipant.update({
        where: { id: row.id },
        data: { status: "ADMITTED", admittedAt: now },
      });
      await openVisit(tx, admitted, now);
      return { row: admitted, kind: "PARTICIPANT_ADMITTED" as const };
    });
    await this.events.publish(result.kind, result.row.sessionId, { participantId: result.row.id });
    return result.row;
  }

  /** Admits waiting participants in arrival order while seats remain; returns those admitted. */
  async admitAll(sessionId: string): Promise<SessionParticipant[]> {
    const existing = await this.access.existingSession(sessionId);
    if (isClosed(existing.status)) throw new SessionEndedError(existing.status);
    const now = this.clock.now();
    const admitted = await this.prisma.$transaction(async (tx) => {
      const session = await lockSession(tx, existing.id);
      let seats = seatsLeft(this.seats, session, await admittedCount(tx, session.id));
      const waiting = await tx.sessionParticipant.findMany({
        where: { sessionId: session.id, status: "WAITING" },
        orderBy: [{ firstJoinedAt: "asc" }, { id: "asc" }],
      });
      const chosen: SessionParticipant[] = [];
      for (const row of waiting) {
        if (seats <= 0) break;
        if (session.recording && !row.recordingConsentAt) continue;
        chosen.push(row);
        seats--;
      }
      if (chosen.length === 0) return [];
      // A few statements whatever the count: a webinar's whole waiting room (hundreds) is let in at once, and one
      // update and visit per row kept the session locked past the transaction's timeout (bench:webinar, 99 waiting).
      const ids = chosen.map((row) => row.id);
      await tx.sessionParticipant.updateMany({
        where: { id: { in: ids } },
        data: { status: "ADMITTED", admittedAt: now },
      });
      const open = await tx.sessionVisit.findMany({
        where: { participantId: { in: ids }, leftAt: null },
        select: { participantId: true },
      });
      const visiting = new Set(open.map((visit) => visit.participantId));
      await tx.sessionVisit.createMany({
        data: ids
          .filter((id) => !visiting.has(id))
          .map((participantId) => ({ sessionId: session.id, participantId, joinedAt: now })),
      });
      return chosen.map((row) => ({ ...row, status: "ADMITTED" as const, admittedAt: now }));
    });
    // Published together: the session's stream log appends them in one batch, in this order (api/ops/event-log.ts).
    await Promise.all(
      admitted.map((row) => this.events.publish("PARTICIPANT_ADMITTED", row.sessionId, { participantId: row.id })),
    );
    return admitted;
  }

  async deny(participantId: string): Promise<SessionParticipant> {
    const { participant } = await this.targetParticipant(participantId);
    const changed = await this.prisma.sessionParticipant.updateMany({
      where: { id: participant.id, status: "WAITING" },
      data: { status: "DENIED", tokenHash: null },
    });
    if (changed.count === 0)
      throw new InvalidTransitionError(participant.status, "DENIED", "only waiting participants can be denied");
    await this.events.publish("PARTICIPANT_DENIED", participant.sessionId, { participantId: participant.id });
    return this.prisma.sessionParticipant.findUniqueOrThrow({ where: { id: participant.id } });
  }

  async denyAll(sessionId: string): Promise<SessionParticipant[]> {
    const session = await this.access.existingSession(sessionId);
    const waiting = await this.prisma.sessionParticipant.findMany({
      where: { sessionId: session.id, status: "WAITING" },
      select: { id: true },
    });
    const ids = waiting.map((row) => row.id);
    await this.prisma.sessionParticipant.updateMany({
      where: { id: { in: ids }, status: "WAITING" },
      data: { status: "DENIED", tokenHash: null },
    });
    await Promise.all(ids.map((id) => this.events.publish("PARTICIPANT_DENIED", session.id, { participantId: id })));
    return this.prisma.sessionParticipant.findMany({ where: { id: { in: ids } } });
  }

  /** Removes a participant: token revoked, visit closed, peer dropped; they can come back only if re-admitted. */
  async remove(participantId: string): Promise<SessionParticipant> {
    const { participant } = await this.targetParticipant(participantId);
    const now = this.clock.now();
    const removed = await this.prisma.$transaction(async (tx) => {
      const updated = await tx.sessionParticipant.update({
        where: { id: participant.id },
        data: { status: "REMOVED", tokenHash: null, removedAt: now, leftAt: now, handRaisedAt: null, ...noMediaState },
      });
      await closeVisits(tx, { participantId: participant.id }, now);
      return updated;
    });
    this.events.revokePeers(removed.sessionId, [removed.peerId]);
    await this.events.publish("PARTICIPANT_REMOVED", removed.sessionId, { participantId: removed.id });
    return removed;
  }

  async setLocked(sessionId: string, locked: boolean): Promise<LiveSession> {
    const existing = await this.access.existingSession(sessionId);
    if (isClosed(existing.status)) throw new SessionEndedError(existing.status);
    const session = await this.prisma.liveSession.update({
      where: { id: existing.id },
      data: { locked, updatedAt: this.clock.now() },
    });
    await this.events.publish("LOCK_CHANGED", session.id);
    return session;
  }

  /** Recording starts only when every present participant has consented (the host consents by starting it). */
  async setRecording(sessionId: string, recording: boolean): Promise<LiveSession> {
    const existing = await this.access.existingSession(sessionId);
    if (existing.status !== "LIVE")
      throw new InvalidTransitionError(existing.status, existing.status, "recording happens only while live");
    if (recording && !existing.recordingEnabled) throw new SessionOptionDisabledError("RECORDING");
    const now = this.clock.now();
    const session = await this.prisma.$transaction(async (tx) => {
      await lockSession(tx, existing.id);
      if (recording) {
        const missing = await tx.sessionParticipant.findMany({
          where: { sessionId: existing.id, status: "ADMITTED", role: { not: "HOST" }, recordingConsentAt: null },
          select: { id: true },
          orderBy: { id: "asc" },
        });
        if (missing.length > 0) throw new RecordingConsentMissingError(missing.map((row) => row.id));
      }
      if (!recording) await finalizeOpenRecordingsLater(tx, existing.id, now);
      // Through the SFU the media server records (api/media/sfu-recording.ts): its recording row opens with the switch.
      else if (existing.topology === "SFU") await openServerRecording(tx, existing, now);
      return tx.liveSession.update({ where: { id: existing.id }, data: { recording, updatedAt: now } });
    });
    await this.events.publish("RECORDING_CHANGED", session.id);
    return session;
  }

  /** Webinars: the host promotes attendees to presenters (who publish media) and back. */
  async setRole(participantId: string, role: ParticipantRole): Promise<SessionParticipant> {
    if (role === "HOST") throw ValidationError.field("role", "a session has one host");
    const { participant } = await this.targetParticipant(participantId);
    const updated = await this.prisma.sessionParticipant.update({ where: { id: participant.id }, data: { role } });
    await this.events.publish("PARTICIPANT_UPDATED", updated.sessionId, { participantId: updated.id });
    return updated;
  }
}
