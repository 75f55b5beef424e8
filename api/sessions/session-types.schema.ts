import { builder, hasScopes } from "../builder.ts";
import type { Context } from "../context.ts";
import type { SessionParticipant } from "../generated/prisma/client.ts";
import {
  LiveSessionStatus,
  LiveSessionType,
  ParticipantRole,
  ParticipantStatus,
  SessionTopology,
} from "../generated/prisma/enums.ts";
import { MediaService } from "../media/media.service.ts";
import { sessionStream } from "../ops/event-log.ts";
import { streamEventCursor } from "../ops/stream-cursor.ts";
import { inTheRoom, ofTheSession } from "./sessions.scopes.ts";

export const LiveSessionTypeEnum = builder.enumType(LiveSessionType, { name: "LiveSessionType" });
export const LiveSessionStatusEnum = builder.enumType(LiveSessionStatus, {
  name: "LiveSessionStatus",
  description: "scheduled → live → ended, or scheduled → cancelled.",
});
export const ParticipantRoleEnum = builder.enumType(ParticipantRole, {
  name: "ParticipantRole",
  description: "HOST (one per session, not counted in capacity), PRESENTER (publishes media in webinars), ATTENDEE.",
});
export const SessionTopologyEnum = builder.enumType(SessionTopology, {
  name: "SessionTopology",
  description: "How a session's media travels: peer-to-peer (PeerJS) or through the media server (SFU).",
});
export const ParticipantStatusEnum = builder.enumType(ParticipantStatus, { name: "ParticipantStatus" });

builder.prismaObject("SessionInvite", {
  description: "Someone invited by email. Visible to the session's host and admins.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    email: t.exposeString("email"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

/** The participant behind the caller's own participant token. */
function ownParticipant(context: Context, participant: SessionParticipant): boolean {
  return context.participant?.participantId === participant.id;
}

export const SessionParticipantRef = builder.prismaObject("SessionParticipant", {
  description: "A person in a session, the host included (role HOST).",
  fields: (t) => ({
    id: t.exposeID("id"),
    sessionId: t.exposeID("sessionId"),
    name: t.exposeString("name"),
    role: t.expose("role", { type: ParticipantRoleEnum }),
    status: t.expose("status", { type: ParticipantStatusEnum }),
    email: t.exposeString("email", {
      description: "Visible to the participant themself and to the session's host and admins.",
      authScopes: (participant, _args, context) =>
        ownParticipant(context, participant) || { sessionManager: participant.sessionId },
    }),
    peerId: t.string({
      nullable: true,
      description:
        "The PeerJS id to connect with, while the participant is admitted. Visible to the participant, to other " +
        "admitted participants of the session, and to the host and admins; useless without the owner's token.",
      resolve: async (participant, _args, context) => {
        if (participant.status !== "ADMITTED") return null;
        const visible =
          ownParticipant(context, participant) || (await hasScopes(context, inTheRoom(participant.sessionId)));
        return visible ? participant.peerId : null;
      },
    }),
    recordingConsent: t.boolean({
      description: "Whether the participant consented to recording.",
      resolve: (participant) => participant.recordingConsentAt !== null,
    }),
    joinedAt: t.expose("firstJoinedAt", { type: "DateTime", description: "When they first used the link." }),
    admittedAt: t.expose("admittedAt", { type: "DateTime", nullable: true }),
    leftAt: t.expose("leftAt", { type: "DateTime", nullable: true }),
    handRaisedAt: t.expose("handRaisedAt", {
      type: "DateTime",
      nullable: true,
      description: "When their hand went up; null while it is down. Hands are answered in this order.",
    }),
  }),
});

builder.prismaObject("SessionChatMessage", {
  fields: (t) => ({
    id: t.exposeID("id"),
    body: t.exposeString("body"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    author: t.relation("participant"),
  }),
});

builder.prismaObject("LiveSession", {
  description:
    "A live session or webinar. Schedule, options and counts are visible to whoever reaches it (host, admins, its " +
    "participants, people who may see its ticket); links, invites and the room to the fields' stated audiences.",
  fields: (t) => ({
    id: t.exposeID("id"),
    publicId: t.exposeString("publicId", { description: "Readable id, e.g. SES-7KQ2M9XA." }),
    title: t.exposeString("title"),
    description: t.exposeString("description"),
    agenda: t.exposeString("agenda"),
    type: t.expose("type", { type: LiveSessionTypeEnum }),
    status: t.expose("status", { type: LiveSessionStatusEnum }),
    scheduledStartAt: t.expose("scheduledStartAt", { type: "DateTime" }),
    scheduledEndAt: t.expose("scheduledEndAt", { type: "DateTime" }),
    actualStartAt: t.expose("actualStartAt", { type: "DateTime", nullable: true }),
    actualEndAt: t.expose("actualEndAt", { type: "DateTime", nullable: true }),
    maxParticipants: t.exposeInt("maxParticipants", { description: "The host does not count." }),
    waitingRoom: t.exposeBoolean("waitingRoom"),
    requiresApproval: t.exposeBoolean("requiresApproval"),
    hasPassword: t.boolean({ resolve: (session) => session.passwordHash !== null }),
    emailVerificationRequired: t.exposeBoolean("emailVerificationRequired"),
    recordingEnabled: t.exposeBoolean("recordingEnabled", { description: "Whether the host may record." }),
    recording: t.exposeBoolean("recording", { description: "Whether a recording is running now." }),
    chatEnabled: t.exposeBoolean("chatEnabled"),
    screenShareEnabled: t.exposeBoolean("screenShareEnabled"),
    locked: t.exposeBoolean("locked", { description: "Nobody new may join." }),
    topology: t.expose("topology", {
      type: SessionTopologyEnum,
      description:
        "Decided by the server: SFU when a webinar starts, or a meeting grows past 4, with a media server available; " +
        "it then stays SFU. Clients switch without leaving the call (TOPOLOGY_CHANGED on sessionState).",
    }),
    mediaStandbyFrom: t.int({
      nullable: true,
      description:
        "While a meeting is peer-to-peer with a media server up: from this many people in the room (host included) " +
        "the call readies an idle connection to the media server, so the move at one more only moves the tracks. " +
        "Null for webinars, sessions already on the SFU and without a media server.",
      resolve: (session, _args, context) =>
        session.type !== "WEBINAR" && session.topology === "PEER_TO_PEER" && context.services.media.broker.available()
          ? MediaService.MESH_LIMIT
          : null,
    }),
    eventCursor: t.string({
      nullable: true,
      description:
        "Where the session's events stood when this was read: subscribe to sessionState, sessionParticipantEvents " +
        "or sessionWaitingRoom with `after: eventCursor` and nothing that happens after this read is missed. Host, " +
        "admins and its participants; null for others (and when the server keeps no event log).",
      authScopes: (session) => ofTheSession(session.id),
      unauthorizedResolver: () => null,
      resolve: (session, _args, context) => streamEventCursor(context, sessionStream(session.id)),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    host: t.relation("host"),
    admittedCount: t.int({
      description: "Participants admitted now (the host not counted).",
      resolve: (session, _args, context) =>
        context.prisma.sessionParticipant.count({
          where: { sessionId: session.id, status: "ADMITTED", role: { not: "HOST" } },
        }),
    }),
    ticket: t.prismaField({
      type: "Ticket",
      nullable: true,
      description: "The related ticket, when the viewer may see it.",
      resolve: async (query, session, _args, context) => {
        if (!session.ticketId || !context.viewer) return null;
        const ticket = await context.prisma.ticket.findUnique({ ...query, where: { id: session.ticketId } });
        return ticket && context.services.tickets.canView(context.viewer, ticket) ? ticket : null;
      },
    }),
    allowedEmailDomains: t.exposeStringList("allowedEmailDomains", {
      authScopes: (session) => ({ sessionManager: session }),
    }),
    reminderOffsets: t.exposeIntList("reminderOffsets", {
      description: "Minutes before the start at which reminders go out. Host and admins.",
      authScopes: (session) => ({ sessionManager: session }),
    }),
    sequence: t.exposeInt("sequence", {
      description: "Calendar SEQUENCE; grows each time the times change. Host and admins.",
      authScopes: (session) => ({ sessionManager: session }),
    }),
    accessToken: t.string({
      description: "The access link token. Host, admins, and signed-in invitees.",
      authScopes: (session) => ({ sessionManager: session, sessionInvitee: session.id }),
      resolve: (session, _args, context) => context.services.sessions.linkToken(session),
    }),
    joinUrl: t.string({
      description: "The link to share. Host, admins, and signed-in invitees.",
      authScopes: (session) => ({ sessionManager: session, sessionInvitee: session.id }),
      resolve: (session, _args, context) => context.services.sessions.joinUrl(session),
    }),
    invites: t.relation("invites", {
      description: "Host and admins.",
      authScopes: (session) => ({ sessionManager: session }),
      query: { where: { removedAt: null }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
    }),
    roomId: t.exposeString("roomId", {
      description:
        "The WebRTC room id. Host, admins and admitted participants; null for anyone else (a participant in the " +
        "waiting room gets it once admitted).",
      nullable: true,
      authScopes: (session) => inTheRoom(session.id),
      // Null rather than an error: a waiting joiner's joinSession payload must still carry its participant token.
      unauthorizedResolver: () => null,
    }),
    participants: t.prismaField({
      type: ["SessionParticipant"],
      description:
        "Host and admins: everyone who used the link (filter by status). Admitted participants: who is in the room.",
      authScopes: (session) => inTheRoom(session.id),
      args: { status: t.arg({ type: [ParticipantStatusEnum] }) },
      resolve: async (query, session, args, context) => {
        const manager = await hasScopes(context, { sessionManager: session });
        const statuses = manager ? (args.status ?? undefined) : ["ADMITTED" as const];
        return context.prisma.sessionParticipant.findMany({
          ...query,
          where: { sessionId: session.id, ...(statuses ? { status: { in: statuses } } : {}) },
          orderBy: [{ firstJoinedAt: "asc" }, { id: "asc" }],
        });
      },
    }),
    waitingList: t.prismaField({
      type: ["SessionParticipant"],
      description: "The waiting-room queue in arrival order. Host and admins.",
      authScopes: (session) => ({ sessionManager: session }),
      resolve: (query, session, _args, context) =>
        context.prisma.sessionParticipant.findMany({
          ...query,
          where: { sessionId: session.id, status: "WAITING" },
          orderBy: [{ firstJoinedAt: "asc" }, { id: "asc" }],
        }),
    }),
    chatMessages: t.relatedConnection("chatMessages", {
      cursor: "id",
      description: "The chat, oldest first. Host, admins and admitted participants.",
      authScopes: (session) => inTheRoom(session.id),
      query: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      totalCount: true,
    }),
  }),
});
