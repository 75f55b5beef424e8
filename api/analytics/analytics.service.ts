import type { StaffViewer } from "../auth/roles.ts";
import type { Clock } from "../clock.ts";
import { ValidationError } from "../errors.ts";
import type { LiveSession, PrismaClient } from "../generated/prisma/client.ts";
import type { ParticipantRole, ParticipantStatus } from "../generated/prisma/enums.ts";

export interface Interval {
  joinedAt: Date;
  leftAt: Date;
}

export interface ParticipantAnalytics {
  participantId: string;
  name: string;
  email: string;
  role: ParticipantRole;
  status: ParticipantStatus;
  visits: Interval[];
  totalSeconds: number;
  firstJoinedAt: Date | null;
  lastLeftAt: Date | null;
}

export interface SessionAnalytics {
  sessionId: string;
  actualStartAt: Date | null;
  actualEndAt: Date | null;
  durationSeconds: number;
  totalParticipants: number;
  peakConcurrent: number;
  chatMessageCount: number;
  handsRaised: number;
  reactions: number;
  recordingEnabled: boolean;
  recording: boolean;
  invitedCount: number;
  attendedInviteCount: number;
  participants: ParticipantAnalytics[];
}

export interface AnalyticsSummary {
  from: Date;
  to: Date;
  sessionsHeld: number;
  totalParticipants: number;
  averageDurationSeconds: number;
  invitedCount: number;
  attendedInviteCount: number;
  /** Attending invitees ÷ invitees, 0–1; null when nobody was invited. */
  attendanceRate: number | null;
}

const seconds = (ms: number) => Math.round(ms / 1000);

/** Clips an interval to the window; null when nothing is left. */
function clip(interval: { joinedAt: Date; leftAt: Date | null }, from: Date, to: Date): Interval | null {
  const joinedAt = interval.joinedAt > from ? interval.joinedAt : from;
  const leftAtRaw = interval.leftAt ?? to;
  const leftAt = leftAtRaw < to ? leftAtRaw : to;
  return leftAt > joinedAt ? { joinedAt, leftAt } : null;
}

/**
 * Most intervals open at once. At equal instants a leave is counted before a join, so someone leaving as
 * another arrives does not make a peak.
 */
export function peakConcurrent(intervals: readonly Interval[]): number {
  const points = intervals.flatMap((interval) => [
    { at: interval.joinedAt.getTime(), delta: 1 },
    { at: interval.leftAt.getTime(), delta: -1 },
  ]);
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let peak = 0;
  for (const point of points) {
    current += point.delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

/** Attendance from visits (join/leave intervals), counted only while the session was live. The host is not counted. */
export class AnalyticsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
  ) {}

  async forSession(session: LiveSession): Promise<SessionAnalytics> {
    const [participants, chatMessageCount, invites] = await Promise.all([
      this.prisma.sessionParticipant.findMany({
        where: { sessionId: session.id },
        include: { visits: { orderBy: { joinedAt: "asc" } } },
        orderBy: [{ firstJoinedAt: "asc" }, { id: "asc" }],
      }),
      this.prisma.sessionChatMessage.count({ where: { sessionId: session.id } }),
      this.prisma.sessionInvite.findMany({
        where: { sessionId: session.id, removedAt: null },
        select: { email: true },
      }),
    ]);
    const from = session.actualStartAt;
    const to = session.actualEndAt ?? this.clock.now();
    const rows: ParticipantAnalytics[] = participants.map((participant) => {
      const visits = from ? participant.visits.flatMap((visit) => clip(visit, from, to) ?? []) : [];
      return {
        participantId: participant.id,
        name: participant.name,
        email: participant.email,
        role: participant.role,
        status: participant.status,
        visits,
        totalSeconds: seconds(
          visits.reduce((sum, visit) => sum + (visit.leftAt.getTime() - visit.joinedAt.getTime()), 0),
        ),
        firstJoinedAt: visits[0]?.joinedAt ?? null,
        lastLeftAt: visits.at(-1)?.leftAt ?? null,
      };
    });
    const attendees = rows.filter((row) => row.role !== "HOST" && row.visits.length > 0);
    const attendedEmails = new Set(attendees.map((row) => row.email));
    return {
      sessionId: session.id,
      actualStartAt: session.actualStartAt,
      actualEndAt: session.actualEndAt,
      durationSeconds: from ? seconds(to.getTime() - from.getTime()) : 0,
      totalParticipants: attendees.length,
      peakConcurrent: peakConcurrent(attendees.flatMap((row) => row.visits)),
      chatMessageCount,
      handsRaised: session.handsRaisedCount,
      reactions: session.reactionsCount,
      recordingEnabled: session.recordingEnabled,
      recording: session.recording,
      invitedCount: invites.length,
      attendedInviteCount: invites.filter((invite) => attendedEmails.has(invite.email)).length,
      participants: rows,
    };
  }

  /** Sessions held (started and ended) with their start in [from, to): agents see their own, admins all or one host's. */
  async summary(viewer: StaffViewer, from: Date, to: Date, hostId?: string | null): Promise<AnalyticsSummary> {
    if (to <= from) throw ValidationError.field("to", "must be after from");
    if (to.getTime() - from.getTime() > 366 * 86_400_000) throw ValidationError.field("to", "at most one year");
    const host = viewer.role === "ADMIN" ? (hostId ?? undefined) : viewer.userId;
    const sessions = await this.prisma.liveSession.findMany({
      where: { status: "ENDED", actualStartAt: { gte: from, lt: to }, ...(host ? { hostId: host } : {}) },
    });
    let totalParticipants = 0;
    let invitedCount = 0;
    let attendedInviteCount = 0;
    let durationSeconds = 0;
    for (const session of sessions) {
      const analytics = await this.forSession(session);
      totalParticipants += analytics.totalParticipants;
      invitedCount += analytics.invitedCount;
      attendedInviteCount += analytics.attendedInviteCount;
      durationSeconds += analytics.durationSeconds;
    }
    return {
      from,
      to,
      sessionsHeld: sessions.length,
      totalParticipants,
      averageDurationSeconds: sessions.length ? Math.round(durationSeconds / sessions.length) : 0,
      invitedCount,
      attendedInviteCount,
      attendanceRate: invitedCount ? attendedInviteCount / invitedCount : null,
    };
  }
}
