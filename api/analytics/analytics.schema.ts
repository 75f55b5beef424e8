import { builder } from "../builder.ts";
import type { AnalyticsSummary, Interval, ParticipantAnalytics, SessionAnalytics } from "./analytics.service.ts";

const VisitRef = builder.objectRef<Interval>("SessionVisit").implement({
  description: "One stretch of presence while the session was live.",
  fields: (t) => ({
    joinedAt: t.field({ type: "DateTime", resolve: (visit) => visit.joinedAt }),
    leftAt: t.field({ type: "DateTime", resolve: (visit) => visit.leftAt }),
  }),
});

const ParticipantAnalyticsRef = builder.objectRef<ParticipantAnalytics>("ParticipantAnalytics").implement({
  fields: (t) => ({
    participantId: t.id({ resolve: (row) => row.participantId }),
    name: t.exposeString("name"),
    email: t.exposeString("email"),
    role: t.exposeString("role"),
    status: t.exposeString("status"),
    visits: t.field({ type: [VisitRef], resolve: (row) => row.visits }),
    totalSeconds: t.exposeInt("totalSeconds"),
    firstJoinedAt: t.field({ type: "DateTime", nullable: true, resolve: (row) => row.firstJoinedAt }),
    lastLeftAt: t.field({ type: "DateTime", nullable: true, resolve: (row) => row.lastLeftAt }),
  }),
});

const SessionAnalyticsRef = builder.objectRef<SessionAnalytics>("SessionAnalytics").implement({
  description: "Attendance of one session, from visits clipped to the time it was live. The host is not counted.",
  fields: (t) => ({
    sessionId: t.id({ resolve: (analytics) => analytics.sessionId }),
    actualStartAt: t.field({ type: "DateTime", nullable: true, resolve: (analytics) => analytics.actualStartAt }),
    actualEndAt: t.field({ type: "DateTime", nullable: true, resolve: (analytics) => analytics.actualEndAt }),
    durationSeconds: t.exposeInt("durationSeconds", { description: "Live so far when still live." }),
    totalParticipants: t.exposeInt("totalParticipants", { description: "Participants with at least one visit." }),
    peakConcurrent: t.exposeInt("peakConcurrent"),
    chatMessageCount: t.exposeInt("chatMessageCount"),
    handsRaised: t.exposeInt("handsRaised", { description: "Times a hand went up (the host's included)." }),
    reactions: t.exposeInt("reactions", { description: "Reactions sent." }),
    recordingEnabled: t.exposeBoolean("recordingEnabled"),
    recording: t.exposeBoolean("recording"),
    invitedCount: t.exposeInt("invitedCount"),
    attendedInviteCount: t.exposeInt("attendedInviteCount"),
    participants: t.field({
      type: [ParticipantAnalyticsRef],
      description: "Everyone who used the link, the host included (role HOST).",
      resolve: (analytics) => analytics.participants,
    }),
  }),
});

const AnalyticsSummaryRef = builder.objectRef<AnalyticsSummary>("SessionAnalyticsSummary").implement({
  description: "Sessions held (started and ended) with their start in the period.",
  fields: (t) => ({
    from: t.field({ type: "DateTime", resolve: (summary) => summary.from }),
    to: t.field({ type: "DateTime", resolve: (summary) => summary.to }),
    sessionsHeld: t.exposeInt("sessionsHeld"),
    totalParticipants: t.exposeInt("totalParticipants"),
    averageDurationSeconds: t.exposeInt("averageDurationSeconds"),
    invitedCount: t.exposeInt("invitedCount"),
    attendedInviteCount: t.exposeInt("attendedInviteCount"),
    attendanceRate: t.exposeFloat("attendanceRate", {
      nullable: true,
      description: "Invitees who attended ÷ invitees (0–1); null when nobody was invited.",
    }),
  }),
});

builder.queryFields((t) => ({
  sessionAnalytics: t.field({
    type: SessionAnalyticsRef,
    nullable: true,
    description: "Attendance of one session. Its host and admins; null when it does not exist.",
    args: { sessionId: t.arg.id({ required: true }) },
    // Staff are told that a session does not exist (null); one that exists is for its host and admins.
    authScopes: async (_root, args, context) => {
      const session = await context.prisma.liveSession.findUnique({
        where: { id: String(args.sessionId) },
        select: { id: true, hostId: true },
      });
      return session ? { $all: { agent: true, sessionManager: session } } : { agent: true };
    },
    resolve: async (_root, args, context) => {
      const session = await context.prisma.liveSession.findUnique({ where: { id: String(args.sessionId) } });
      return session ? context.services.analytics.forSession(session) : null;
    },
  }),
  sessionAnalyticsSummary: t.withAuth({ agent: true }).field({
    type: AnalyticsSummaryRef,
    description: "Totals over a period: agents for the sessions they host, admins for all (or one host).",
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
      hostId: t.arg.id({ description: "Admins only." }),
    },
    resolve: (_root, args, context) =>
      context.services.analytics.summary(context.viewer, args.from, args.to, args.hostId ? String(args.hostId) : null),
  }),
}));
