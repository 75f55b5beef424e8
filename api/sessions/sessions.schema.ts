import type { Viewer } from "../auth/auth.service.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { ErrorInterface } from "../errors.schema.ts";
import { InvalidTransitionError, NotFoundError, unauthenticated, ValidationError } from "../errors.ts";
import type { LiveSession, SessionParticipant } from "../generated/prisma/client.ts";
import { LiveSessionStatus, LiveSessionType, ParticipantRole, ParticipantStatus } from "../generated/prisma/enums.ts";
import type { JoinResult } from "./session-join.service.ts";
import {
  EmailDomainNotAllowedError,
  EmailVerificationRequiredError,
  InvalidVerificationCodeError,
  ParticipantRemovedError,
  RateLimitedError,
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
import { type LiveSessionEventPayload, liveSessionEventKinds, sessionStateKinds } from "./sessions.events.ts";

// ── errors ──────────────────────────────────────────────────────────────────────────────────────────────────

for (const [ErrorClass, name] of [
  [SessionNotFoundError, "SessionNotFoundError"],
  [EmailVerificationRequiredError, "EmailVerificationRequiredError"],
  [TooManyAttemptsError, "TooManyAttemptsError"],
  [WrongPasswordError, "WrongPasswordError"],
  [SessionLockedError, "SessionLockedError"],
  [RecordingConsentRequiredError, "RecordingConsentRequiredError"],
] as const) {
  builder.objectType(ErrorClass as unknown as typeof SessionNotFoundError, {
    name,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof ErrorClass,
  });
}

builder.objectType(SessionEndedError, {
  name: "SessionEndedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof SessionEndedError,
  fields: (t) => ({ status: t.exposeString("status") }),
});
builder.objectType(EmailDomainNotAllowedError, {
  name: "EmailDomainNotAllowedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof EmailDomainNotAllowedError,
  fields: (t) => ({ allowedDomains: t.exposeStringList("allowedDomains") }),
});
builder.objectType(InvalidVerificationCodeError, {
  name: "InvalidVerificationCodeError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidVerificationCodeError,
  fields: (t) => ({ attemptsLeft: t.exposeInt("attemptsLeft") }),
});
builder.objectType(ParticipantRemovedError, {
  name: "ParticipantRemovedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ParticipantRemovedError,
  fields: (t) => ({ reason: t.exposeString("reason", { description: "REMOVED or DENIED." }) }),
});
builder.objectType(SessionFullError, {
  name: "SessionFullError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof SessionFullError,
  fields: (t) => ({ maxParticipants: t.exposeInt("maxParticipants") }),
});
builder.objectType(RecordingConsentMissingError, {
  name: "RecordingConsentMissingError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RecordingConsentMissingError,
  fields: (t) => ({ participantIds: t.exposeIDList("participantIds") }),
});
builder.objectType(SessionOptionDisabledError, {
  name: "SessionOptionDisabledError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof SessionOptionDisabledError,
  fields: (t) => ({ option: t.exposeString("option", { description: "CHAT or RECORDING." }) }),
});

// ── access ──────────────────────────────────────────────────────────────────────────────────────────────────

function viewerOf(context: Context): Viewer {
  if (!context.viewer) throw unauthenticated();
  return context.viewer;
}

function participantOf(context: Context) {
  if (!context.participant) throw unauthenticated("Join the session first (participant token)");
  return context.participant;
}

interface SessionAccess {
  manager: boolean;
  /** The caller's participant row in this session (by participant token), if any. */
  participant: SessionParticipant | null;
}

const accessCache = new WeakMap<Context, Map<string, Promise<SessionAccess>>>();

/** What the caller may do in one session, looked up once per request. */
function sessionAccess(context: Context, sessionId: string): Promise<SessionAccess> {
  let perContext = accessCache.get(context);
  if (!perContext) {
    perContext = new Map();
    accessCache.set(context, perContext);
  }
  const key = `${sessionId}:${context.participant?.participantId ?? ""}`;
  let access = perContext.get(key);
  if (!access) {
    access = (async () => {
      const session = await context.prisma.liveSession.findUnique({
        where: { id: sessionId },
        select: { hostId: true },
      });
      if (!session) return { manager: false, participant: null };
      const participant =
        context.participant?.sessionId === sessionId
          ? await context.prisma.sessionParticipant.findUnique({ where: { id: context.participant.participantId } })
          : null;
      return { manager: context.services.sessions.canManage(context.viewer, session), participant };
    })();
    perContext.set(key, access);
  }
  return access;
}

async function isManager(context: Context, sessionId: string) {
  return (await sessionAccess(context, sessionId)).manager;
}

/** The host/admins, or a participant of this session who is admitted. */
async function managerOrAdmitted(context: Context, sessionId: string) {
  const access = await sessionAccess(context, sessionId);
  return access.manager || access.participant?.status === "ADMITTED";
}

/** The host/admins, or any participant of this session whose token is valid (waiting ones included). */
async function managerOrParticipant(context: Context, sessionId: string) {
  const access = await sessionAccess(context, sessionId);
  return access.manager || access.participant !== null;
}

function isSelf(context: Context, participant: SessionParticipant) {
  return (
    context.participant?.participantId === participant.id ||
    (participant.role === "HOST" && participant.userId !== null && context.viewer?.userId === participant.userId)
  );
}

// ── types ───────────────────────────────────────────────────────────────────────────────────────────────────

const LiveSessionTypeEnum = builder.enumType(LiveSessionType, { name: "LiveSessionType" });
const LiveSessionStatusEnum = builder.enumType(LiveSessionStatus, {
  name: "LiveSessionStatus",
  description: "scheduled → live → ended, or scheduled → cancelled.",
});
const ParticipantRoleEnum = builder.enumType(ParticipantRole, {
  name: "ParticipantRole",
  description: "HOST (one per session, not counted in capacity), PRESENTER (publishes media in webinars), ATTENDEE.",
});
const ParticipantStatusEnum = builder.enumType(ParticipantStatus, { name: "ParticipantStatus" });
const SessionWhenEnum = builder.enumType("SessionWhen", {
  values: {
    UPCOMING: { description: "Scheduled or live, not yet past the scheduled end." },
    PAST: { description: "Ended, cancelled, or past the scheduled end." },
  } as const,
});
const LiveSessionEventKindEnum = builder.enumType("LiveSessionEventKind", { values: liveSessionEventKinds });

builder.prismaObject("SessionInvite", {
  description: "Someone invited by email. Visible to the session's host and admins.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    email: t.exposeString("email"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const SessionParticipantRef = builder.prismaObject("SessionParticipant", {
  description: "A person in a session, the host included (role HOST).",
  fields: (t) => ({
    id: t.exposeID("id"),
    sessionId: t.exposeID("sessionId"),
    name: t.exposeString("name"),
    role: t.expose("role", { type: ParticipantRoleEnum }),
    status: t.expose("status", { type: ParticipantStatusEnum }),
    email: t.exposeString("email", {
      description: "Visible to the participant themself and to the session's host and admins.",
      authScopes: async (participant, _args, context) =>
        isSelf(context, participant) || (await isManager(context, participant.sessionId)),
    }),
    peerId: t.string({
      nullable: true,
      description:
        "The PeerJS id to connect with, while the participant is admitted. Visible to the participant, to other " +
        "admitted participants of the session, and to the host and admins; useless without the owner's token.",
      resolve: async (participant, _args, context) => {
        if (participant.status !== "ADMITTED") return null;
        if (isSelf(context, participant) || (await managerOrAdmitted(context, participant.sessionId)))
          return participant.peerId;
        return null;
      },
    }),
    recordingConsent: t.boolean({
      description: "Whether the participant consented to recording.",
      resolve: (participant) => participant.recordingConsentAt !== null,
    }),
    joinedAt: t.expose("firstJoinedAt", { type: "DateTime", description: "When they first used the link." }),
    admittedAt: t.expose("admittedAt", { type: "DateTime", nullable: true }),
    leftAt: t.expose("leftAt", { type: "DateTime", nullable: true }),
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
      authScopes: (session, _args, context) => context.services.sessions.canManage(context.viewer, session),
    }),
    reminderOffsets: t.exposeIntList("reminderOffsets", {
      description: "Minutes before the start at which reminders go out. Host and admins.",
      authScopes: (session, _args, context) => context.services.sessions.canManage(context.viewer, session),
    }),
    sequence: t.exposeInt("sequence", {
      description: "Calendar SEQUENCE; grows each time the times change. Host and admins.",
      authScopes: (session, _args, context) => context.services.sessions.canManage(context.viewer, session),
    }),
    accessToken: t.string({
      description: "The access link token. Host, admins, and signed-in invitees.",
      authScopes: (session, _args, context) => mayHaveLink(context, session),
      resolve: (session, _args, context) => context.services.sessions.linkToken(session),
    }),
    joinUrl: t.string({
      description: "The link to share. Host, admins, and signed-in invitees.",
      authScopes: (session, _args, context) => mayHaveLink(context, session),
      resolve: (session, _args, context) => context.services.sessions.joinUrl(session),
    }),
    invites: t.relation("invites", {
      description: "Host and admins.",
      authScopes: (session, _args, context) => context.services.sessions.canManage(context.viewer, session),
      query: { where: { removedAt: null }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
    }),
    roomId: t.exposeString("roomId", {
      description: "The WebRTC room id. Host, admins and admitted participants.",
      authScopes: (session, _args, context) => managerOrAdmitted(context, session.id),
    }),
    participants: t.prismaField({
      type: ["SessionParticipant"],
      description:
        "Host and admins: everyone who used the link (filter by status). Admitted participants: who is in the room.",
      authScopes: (session, _args, context) => managerOrAdmitted(context, session.id),
      args: { status: t.arg({ type: [ParticipantStatusEnum] }) },
      resolve: async (query, session, args, context) => {
        const manager = await isManager(context, session.id);
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
      authScopes: (session, _args, context) => context.services.sessions.canManage(context.viewer, session),
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
      authScopes: (session, _args, context) => managerOrAdmitted(context, session.id),
      query: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      totalCount: true,
    }),
  }),
});

/** The link goes to the host, admins, and signed-in users on the invite list (e.g. a ticket's requester). */
async function mayHaveLink(context: Context, session: LiveSession): Promise<boolean> {
  if (context.services.sessions.canManage(context.viewer, session)) return true;
  if (!context.viewer) return false;
  const invite = await context.prisma.sessionInvite.findUnique({
    where: { sessionId_email: { sessionId: session.id, email: context.viewer.email } },
    select: { removedAt: true },
  });
  return invite !== null && invite.removedAt === null;
}

const SessionLinkInfo = builder.objectRef<LiveSession>("SessionLinkInfo").implement({
  description: "What a stranger holding the link may see before joining.",
  fields: (t) => ({
    publicId: t.exposeString("publicId"),
    title: t.exposeString("title"),
    description: t.exposeString("description"),
    type: t.field({ type: LiveSessionTypeEnum, resolve: (session) => session.type }),
    status: t.field({ type: LiveSessionStatusEnum, resolve: (session) => session.status }),
    scheduledStartAt: t.field({ type: "DateTime", resolve: (session) => session.scheduledStartAt }),
    scheduledEndAt: t.field({ type: "DateTime", resolve: (session) => session.scheduledEndAt }),
    hostName: t.string({
      resolve: async (session, _args, context) =>
        (await context.prisma.user.findUniqueOrThrow({ where: { id: session.hostId }, select: { name: true } })).name,
    }),
    participantCount: t.int({
      description: "Admitted participants now (the host not counted).",
      resolve: (session, _args, context) =>
        context.prisma.sessionParticipant.count({
          where: { sessionId: session.id, status: "ADMITTED", role: { not: "HOST" } },
        }),
    }),
    maxParticipants: t.exposeInt("maxParticipants"),
    requiresPassword: t.boolean({ resolve: (session) => session.passwordHash !== null }),
    emailVerificationRequired: t.exposeBoolean("emailVerificationRequired"),
    allowedEmailDomains: t.exposeStringList("allowedEmailDomains", {
      description: "Empty when any address may join.",
    }),
    waitingRoom: t.boolean({
      description: "Whether joiners wait for the host to admit them.",
      resolve: (session) => session.waitingRoom || session.requiresApproval,
    }),
    locked: t.exposeBoolean("locked"),
    recording: t.exposeBoolean("recording", { description: "Joining now requires consent to recording." }),
  }),
});

const JoinSessionPayload = builder.objectRef<JoinResult>("JoinSessionPayload").implement({
  description:
    "You are in (or in the waiting room). Keep the participant token: send it as the `x-participant-token` header " +
    "(HTTP/SSE) or `connectionParams.participantToken` (graphql-ws). It works until the session ends or you are removed.",
  fields: (t) => ({
    participantToken: t.exposeString("participantToken"),
    participant: t.prismaField({
      type: "SessionParticipant",
      resolve: (query, result, _args, context) =>
        context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: result.participantId } }),
    }),
    session: t.prismaField({
      type: "LiveSession",
      resolve: (query, result, _args, context) =>
        context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: result.sessionId } }),
    }),
  }),
});

const VerificationCodeSent = builder.objectRef<{ expiresAt: Date }>("VerificationCodeSent").implement({
  fields: (t) => ({ expiresAt: t.field({ type: "DateTime", resolve: (sent) => sent.expiresAt }) }),
});

// ── inputs ──────────────────────────────────────────────────────────────────────────────────────────────────

const InviteeInput = builder.inputType("InviteeInput", {
  fields: (t) => ({ name: t.string({ required: true }), email: t.string({ required: true }) }),
});

const sessionOptionFields = (t: Parameters<Parameters<typeof builder.inputType>[1]["fields"]>[0]) => ({
  description: t.string(),
  agenda: t.string(),
  maxParticipants: t.int({ description: "1–100; default by type (webinar 100, training 25, others 4)." }),
  invites: t.field({ type: [InviteeInput] }),
  waitingRoom: t.boolean(),
  requiresApproval: t.boolean({ description: "Every joiner waits for the host (same effect as the waiting room)." }),
  password: t.string({ description: "Stored hashed. On update, null removes the password." }),
  allowedEmailDomains: t.stringList({ description: "Only addresses at these domains may join; empty: anyone." }),
  emailVerificationRequired: t.boolean(),
  recordingEnabled: t.boolean(),
  chatEnabled: t.boolean(),
  screenShareEnabled: t.boolean(),
  reminderOffsets: t.intList({ description: "Minutes before the start; default [60, 15]." }),
  ticketId: t.id({ description: "The related ticket." }),
});

const CreateLiveSessionInput = builder.inputType("CreateLiveSessionInput", {
  fields: (t) => ({
    title: t.string({ required: true }),
    type: t.field({ type: LiveSessionTypeEnum, required: true }),
    scheduledStartAt: t.field({ type: "DateTime", required: true }),
    scheduledEndAt: t.field({ type: "DateTime", required: true }),
    ...sessionOptionFields(t),
  }),
});

const UpdateLiveSessionInput = builder.inputType("UpdateLiveSessionInput", {
  description: "Only the fields sent change. `invites` replaces the whole list (removed invitees get a cancellation).",
  fields: (t) => ({
    title: t.string(),
    type: t.field({ type: LiveSessionTypeEnum }),
    scheduledStartAt: t.field({ type: "DateTime" }),
    scheduledEndAt: t.field({ type: "DateTime" }),
    ...sessionOptionFields(t),
  }),
});

const LiveSessionFilter = builder.inputType("LiveSessionFilter", {
  fields: (t) => ({
    status: t.field({ type: [LiveSessionStatusEnum] }),
    when: t.field({ type: SessionWhenEnum }),
    hostId: t.id({ description: "Admins only; agents always see the sessions they host." }),
    ticketId: t.id(),
  }),
});

const JoinSessionInput = builder.inputType("JoinSessionInput", {
  fields: (t) => ({
    token: t.string({ required: true, description: "The access link token." }),
    name: t.string({ required: true }),
    email: t.string({ required: true }),
    password: t.string(),
    verificationCode: t.string({ description: "The 6-digit code from requestSessionVerificationCode." }),
    recordingConsent: t.boolean({ description: "Required to join while a recording is running." }),
  }),
});

/** Drops input fields the client did not send, so `update` changes only those; null stays (it clears). */
function sent<T extends Record<string, unknown>>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Create input: GraphQL null means "use the default". */
function present<T extends Record<string, unknown>>(input: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined && value !== null),
  ) as Partial<T>;
}

// ── queries ─────────────────────────────────────────────────────────────────────────────────────────────────

builder.queryFields((t) => ({
  liveSessions: t.prismaConnection({
    type: "LiveSession",
    cursor: "id",
    description: "Sessions the viewer hosts (admins: all), newest first. Agents and admins.",
    authScopes: { agent: true },
    args: { filter: t.arg({ type: LiveSessionFilter }) },
    totalCount: (_parent, args, context) =>
      context.prisma.liveSession.count({
        where: context.services.sessions.scheduling.listWhere(viewerOf(context), args.filter),
      }),
    resolve: (query, _root, args, context) =>
      context.prisma.liveSession.findMany({
        ...query,
        where: context.services.sessions.scheduling.listWhere(viewerOf(context), args.filter),
        orderBy: [{ scheduledStartAt: "desc" }, { id: "desc" }],
      }),
  }),
  liveSession: t.prismaField({
    type: "LiveSession",
    nullable: true,
    description: "One session for its host, admins, or a participant token of it; null otherwise.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const id = String(args.id);
      if (!(await managerOrParticipant(context, id))) return null;
      return context.prisma.liveSession.findUnique({ ...query, where: { id } });
    },
  }),
  sessionByLink: t.field({
    type: SessionLinkInfo,
    nullable: true,
    description: "Public: what the join page shows for an access link token; null when the link is not valid.",
    args: { token: t.arg.string({ required: true }) },
    resolve: (_root, args, context) => context.services.sessions.joining.byLink(args.token),
  }),
  myParticipant: t.prismaField({
    type: "SessionParticipant",
    nullable: true,
    description: "The participant behind the participant token sent with the request.",
    resolve: (query, _root, _args, context) =>
      context.participant
        ? context.prisma.sessionParticipant.findUnique({ ...query, where: { id: context.participant.participantId } })
        : null,
  }),
}));

// ── mutations ───────────────────────────────────────────────────────────────────────────────────────────────

const joinErrors = [
  ValidationError,
  SessionNotFoundError,
  SessionEndedError,
  EmailDomainNotAllowedError,
  EmailVerificationRequiredError,
  InvalidVerificationCodeError,
  TooManyAttemptsError,
  WrongPasswordError,
  ParticipantRemovedError,
  SessionLockedError,
  SessionFullError,
  RecordingConsentRequiredError,
  RateLimitedError,
];

const participantErrors = [
  NotFoundError,
  ValidationError,
  InvalidTransitionError,
  SessionEndedError,
  SessionFullError,
  RecordingConsentMissingError,
];

builder.mutationFields((t) => ({
  createLiveSession: t.prismaField({
    type: "LiveSession",
    description: "Schedules a session hosted by the viewer; invitations and reminders are queued. Agents and admins.",
    authScopes: { agent: true },
    errors: { types: [ValidationError], directResult: true },
    args: { input: t.arg({ type: CreateLiveSessionInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const session = await context.services.sessions.scheduling.create(viewerOf(context), present(input));
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
  updateLiveSession: t.prismaField({
    type: "LiveSession",
    description: "Changes a session. Moving it re-sends invitations (new SEQUENCE) and reschedules reminders.",
    authScopes: { agent: true },
    errors: { types: [ValidationError, NotFoundError, SessionEndedError], directResult: true },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateLiveSessionInput, required: true }) },
    resolve: async (query, _root, args, context) => {
      const session = await context.services.sessions.scheduling.update(
        viewerOf(context),
        String(args.id),
        sent(args.input),
      );
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
  cancelLiveSession: t.prismaField({
    type: "LiveSession",
    description: "Cancels a scheduled session: invitees are told, reminders dropped.",
    authScopes: { agent: true },
    errors: { types: [NotFoundError, InvalidTransitionError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const session = await context.services.sessions.scheduling.cancel(viewerOf(context), String(args.id));
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
  rotateSessionLink: t.prismaField({
    type: "LiveSession",
    description: "Issues a new access link; the old one stops working. Invitees get the new link unless told not to.",
    authScopes: { agent: true },
    errors: { types: [NotFoundError, SessionEndedError], directResult: true },
    args: { id: t.arg.id({ required: true }), notifyInvitees: t.arg.boolean({ defaultValue: true }) },
    resolve: async (query, _root, args, context) => {
      const session = await context.services.sessions.scheduling.rotateLink(
        viewerOf(context),
        String(args.id),
        args.notifyInvitees ?? true,
      );
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
  startLiveSession: t.prismaField({
    type: "LiveSession",
    authScopes: { agent: true },
    errors: { types: [NotFoundError, InvalidTransitionError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const session = await context.services.sessions.hostControls.start(viewerOf(context), String(args.id));
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
  endLiveSession: t.prismaField({
    type: "LiveSession",
    description: "Ends the session for everyone: participant tokens stop working and subscriptions complete.",
    authScopes: { agent: true },
    errors: { types: [NotFoundError, InvalidTransitionError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const session = await context.services.sessions.hostControls.end(viewerOf(context), String(args.id));
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
  setSessionLocked: t.prismaField({
    type: "LiveSession",
    description: "A locked session admits nobody new (admitted participants may rejoin).",
    authScopes: { agent: true },
    errors: { types: [NotFoundError, SessionEndedError], directResult: true },
    args: { id: t.arg.id({ required: true }), locked: t.arg.boolean({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const session = await context.services.sessions.hostControls.setLocked(
        viewerOf(context),
        String(args.id),
        args.locked,
      );
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
  setSessionRecording: t.prismaField({
    type: "LiveSession",
    description: "Starts or stops recording. Starting needs every admitted participant's consent.",
    authScopes: { agent: true },
    errors: {
      types: [NotFoundError, InvalidTransitionError, SessionOptionDisabledError, RecordingConsentMissingError],
      directResult: true,
    },
    args: { id: t.arg.id({ required: true }), recording: t.arg.boolean({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const session = await context.services.sessions.hostControls.setRecording(
        viewerOf(context),
        String(args.id),
        args.recording,
      );
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
  admitParticipant: t.prismaField({
    type: "SessionParticipant",
    description: "Admits a waiting participant; for a removed or denied one, allows them to join again.",
    authScopes: { agent: true },
    errors: { types: participantErrors, directResult: true },
    args: { participantId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const row = await context.services.sessions.hostControls.admit(viewerOf(context), String(args.participantId));
      return context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  admitAllParticipants: t.field({
    type: [SessionParticipantRef],
    description: "Admits waiting participants in arrival order while seats remain; returns those admitted.",
    authScopes: { agent: true },
    errors: { types: [NotFoundError, SessionEndedError] },
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) =>
      context.services.sessions.hostControls.admitAll(viewerOf(context), String(args.sessionId)),
  }),

  denyParticipant: t.prismaField({
    type: "SessionParticipant",
    authScopes: { agent: true },
    errors: { types: participantErrors, directResult: true },
    args: { participantId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const row = await context.services.sessions.hostControls.deny(viewerOf(context), String(args.participantId));
      return context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  denyAllParticipants: t.field({
    type: [SessionParticipantRef],
    authScopes: { agent: true },
    errors: { types: [NotFoundError] },
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) =>
      context.services.sessions.hostControls.denyAll(viewerOf(context), String(args.sessionId)),
  }),

  removeParticipant: t.prismaField({
    type: "SessionParticipant",
    description: "Removes a participant: their token and peer stop working; they return only if re-admitted.",
    authScopes: { agent: true },
    errors: { types: participantErrors, directResult: true },
    args: { participantId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const row = await context.services.sessions.hostControls.remove(viewerOf(context), String(args.participantId));
      return context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  setParticipantRole: t.prismaField({
    type: "SessionParticipant",
    description: "Promotes an attendee to presenter or back (webinars: presenters publish media).",
    authScopes: { agent: true },
    errors: { types: participantErrors, directResult: true },
    args: {
      participantId: t.arg.id({ required: true }),
      role: t.arg({ type: ParticipantRoleEnum, required: true }),
    },
    resolve: async (query, _root, args, context) => {
      const row = await context.services.sessions.hostControls.setRole(
        viewerOf(context),
        String(args.participantId),
        args.role,
      );
      return context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  requestSessionVerificationCode: t.field({
    type: VerificationCodeSent,
    description: "Public: emails a 6-digit code for joining a session that requires email verification.",
    errors: {
      types: [ValidationError, SessionNotFoundError, SessionEndedError, EmailDomainNotAllowedError, RateLimitedError],
      directResult: true,
    },
    args: { token: t.arg.string({ required: true }), email: t.arg.string({ required: true }) },
    resolve: (_root, args, context) =>
      context.services.sessions.joining.requestVerificationCode(args, context.clientAddress),
  }),
  joinSession: t.field({
    type: JoinSessionPayload,
    description:
      "Public: joins through the access link. Checks, in order: link exists, not ended/cancelled, email domain, " +
      "email verification, password, not removed/denied, not locked, capacity, recording consent.",
    errors: { types: joinErrors, directResult: true },
    args: { input: t.arg({ type: JoinSessionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const result = await context.services.sessions.joining.join(input, context.clientAddress);
      // The payload's fields are resolved as the new participant.
      context.participant = { participantId: result.participantId, sessionId: result.sessionId };
      return result;
    },
  }),
  leaveSession: t.prismaField({
    type: "SessionParticipant",
    description: "The participant (by token) leaves; joining again with the link resumes the same participant.",
    errors: { types: [ValidationError], directResult: true },
    resolve: async (query, _root, _args, context) => {
      const row = await context.services.sessions.joining.leave(participantOf(context));
      return context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  giveRecordingConsent: t.prismaField({
    type: "SessionParticipant",
    description: "The participant (by token) consents to being recorded.",
    resolve: async (query, _root, _args, context) => {
      const row = await context.services.sessions.joining.giveRecordingConsent(participantOf(context));
      return context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  sendSessionChatMessage: t.prismaField({
    type: "SessionChatMessage",
    description: "Chat as the host or an admitted participant (by token).",
    authScopes: (_root, args, context) => managerOrAdmitted(context, String(args.sessionId)),
    errors: {
      types: [ValidationError, SessionEndedError, SessionOptionDisabledError, RateLimitedError],
      directResult: true,
    },
    args: { sessionId: t.arg.id({ required: true }), body: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const message = await context.services.sessions.chat.send(context, String(args.sessionId), args.body);
      return context.prisma.sessionChatMessage.findUniqueOrThrow({ ...query, where: { id: message.id } });
    },
  }),
  startCallFromTicket: t.prismaField({
    type: "LiveSession",
    description: "Creates a support call starting now, hosted by the viewer, with the ticket's requester invited.",
    authScopes: { agent: true },
    errors: { types: [NotFoundError], directResult: true },
    args: { ticketId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const session = await context.services.sessions.ticketCalls.startCallFromTicket(
        viewerOf(context),
        String(args.ticketId),
      );
      return context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: session.id } });
    },
  }),
}));

builder.prismaObjectField("Ticket", "sessions", (t) =>
  t.relation("liveSessions", {
    description: "Live sessions linked to this ticket (support calls), newest first.",
    query: { orderBy: [{ scheduledStartAt: "desc" }, { id: "desc" }] },
  }),
);

// ── subscriptions ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * The session's events for this caller, ending after the event that closes their access: the session ended or
 * was cancelled, or (for a participant) they were removed or denied.
 */
async function* sessionEvents(
  context: Context,
  sessionId: string,
  wanted: (event: LiveSessionEventPayload, access: SessionAccess) => boolean,
): AsyncGenerator<LiveSessionEventPayload> {
  const access = await sessionAccess(context, sessionId);
  const mine = access.participant?.id;
  for await (const event of context.pubsub.subscribe("liveSession", sessionId)) {
    // Fields of this event are authorized on fresh state (a waiting participant may have been admitted since).
    accessCache.delete(context);
    const closesAccess =
      event.kind === "ENDED" ||
      event.kind === "CANCELLED" ||
      (mine !== undefined &&
        event.participantId === mine &&
        (event.kind === "PARTICIPANT_REMOVED" || event.kind === "PARTICIPANT_DENIED"));
    if (wanted(event, access)) yield event;
    if (closesAccess && !access.manager) return;
    if ((event.kind === "ENDED" || event.kind === "CANCELLED") && access.manager) return;
  }
}

const SessionStateEvent = builder.objectRef<LiveSessionEventPayload>("SessionStateEvent").implement({
  description:
    "The session changed (started, ended, cancelled, locked, recording, details). Load it through `session`.",
  fields: (t) => ({
    kind: t.field({ type: LiveSessionEventKindEnum, resolve: (event) => event.kind }),
    sessionId: t.id({ resolve: (event) => event.sessionId }),
    session: t.prismaField({
      type: "LiveSession",
      resolve: (query, event, _args, context) =>
        context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: event.sessionId } }),
    }),
  }),
});

const SessionParticipantEvent = builder.objectRef<LiveSessionEventPayload>("SessionParticipantEvent").implement({
  description: "Someone joined, waits, was admitted, denied, left, removed or changed (role, consent).",
  fields: (t) => ({
    kind: t.field({ type: LiveSessionEventKindEnum, resolve: (event) => event.kind }),
    participantId: t.id({ resolve: (event) => event.participantId ?? "" }),
    participant: t.prismaField({
      type: "SessionParticipant",
      resolve: (query, event, _args, context) =>
        context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: event.participantId ?? "" } }),
    }),
  }),
});

const waitingRoomKinds = new Set([
  "PARTICIPANT_WAITING",
  "PARTICIPANT_ADMITTED",
  "PARTICIPANT_DENIED",
  "PARTICIPANT_LEFT",
]);

const WaitingRoomUpdate = builder.objectRef<LiveSessionEventPayload>("WaitingRoomUpdate").implement({
  description: "The waiting-room queue after a change, in arrival order.",
  fields: (t) => ({
    kind: t.field({ type: LiveSessionEventKindEnum, resolve: (event) => event.kind }),
    waiting: t.prismaField({
      type: ["SessionParticipant"],
      resolve: (query, event, _args, context) =>
        context.prisma.sessionParticipant.findMany({
          ...query,
          where: { sessionId: event.sessionId, status: "WAITING" },
          orderBy: [{ firstJoinedAt: "asc" }, { id: "asc" }],
        }),
    }),
  }),
});

const SessionChatEvent = builder.objectRef<LiveSessionEventPayload>("SessionChatEvent").implement({
  fields: (t) => ({
    message: t.prismaField({
      type: "SessionChatMessage",
      resolve: (query, event, _args, context) =>
        context.prisma.sessionChatMessage.findUniqueOrThrow({ ...query, where: { id: event.messageId ?? "" } }),
    }),
  }),
});

const participantKinds = new Set<string>(liveSessionEventKinds.filter((kind) => kind.startsWith("PARTICIPANT_")));

builder.subscriptionFields((t) => ({
  sessionState: t.field({
    type: SessionStateEvent,
    description: "State changes of a session. Host, admins, or a participant token of this session (waiting included).",
    authScopes: (_root, args, context) => managerOrParticipant(context, String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    subscribe: (_root, args, context) =>
      sessionEvents(context, String(args.sessionId), (event) => sessionStateKinds.has(event.kind)),
    resolve: (event) => event,
  }),
  sessionParticipantEvents: t.field({
    type: SessionParticipantEvent,
    description:
      "Participant events. The host and admins see all; a participant sees admissions, departures and changes, and " +
      "waiting/denial events only about themself.",
    authScopes: (_root, args, context) => managerOrParticipant(context, String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    subscribe: (_root, args, context) =>
      sessionEvents(context, String(args.sessionId), (event, access) => {
        if (!participantKinds.has(event.kind)) return false;
        if (access.manager) return true;
        const aboutWaiting = event.kind === "PARTICIPANT_WAITING" || event.kind === "PARTICIPANT_DENIED";
        return !aboutWaiting || event.participantId === access.participant?.id;
      }),
    resolve: (event) => event,
  }),
  sessionWaitingRoom: t.field({
    type: WaitingRoomUpdate,
    description: "The waiting-room queue, sent again after each change. Host and admins.",
    authScopes: (_root, args, context) => isManager(context, String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    subscribe: (_root, args, context) =>
      sessionEvents(context, String(args.sessionId), (event) => waitingRoomKinds.has(event.kind)),
    resolve: (event) => event,
  }),
  sessionChat: t.field({
    type: SessionChatEvent,
    description: "New chat messages. Host, admins and admitted participants.",
    authScopes: (_root, args, context) => managerOrAdmitted(context, String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    subscribe: (_root, args, context) =>
      sessionEvents(context, String(args.sessionId), (event) => event.kind === "CHAT_MESSAGE"),
    resolve: (event) => event,
  }),
}));
