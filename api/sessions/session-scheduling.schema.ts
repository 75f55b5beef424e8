import { builder } from "../builder.ts";
import { InvalidTransitionError, NotFoundError, ValidationError } from "../errors.ts";
import { sessionStream } from "../ops/event-log.ts";
import { noteStreamHead } from "../ops/stream-cursor.ts";
import { LiveSessionStatusEnum, LiveSessionTypeEnum } from "./session-types.schema.ts";
import { SeatLimitError, SessionEndedError } from "./sessions.errors.ts";
import { changedRow } from "./sessions.resolvers.ts";
import { managesSession, ofTheSession } from "./sessions.scopes.ts";

const SessionWhenEnum = builder.enumType("SessionWhen", {
  values: {
    UPCOMING: { description: "Scheduled or live, not yet past the scheduled end." },
    PAST: { description: "Ended, cancelled, or past the scheduled end." },
  } as const,
});

const InviteeInput = builder.inputType("InviteeInput", {
  fields: (t) => ({ name: t.string({ required: true }), email: t.string({ required: true }) }),
});

const sessionOptionFields = (t: Parameters<Parameters<typeof builder.inputType>[1]["fields"]>[0]) => ({
  description: t.string(),
  agenda: t.string(),
  maxParticipants: t.int({
    description:
      "Seats, the host not counted: at most what the call carries (callCapacity; SeatLimitError beyond it). " +
      "Default by type (webinar 100, training 25, others 4) within that.",
  }),
  invites: t.field({ type: [InviteeInput] }),
  inviteList: t.string({
    description:
      "Invitees as pasted text, added to `invites`: entries separated by commas, semicolons or new lines, each `email` or `Name <email>`. Read by the same rules as the app; a ValidationError on `input.inviteList` names each entry it cannot read.",
  }),
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

builder.queryFields((t) => ({
  liveSessions: t.withAuth({ agent: true }).prismaConnection({
    type: "LiveSession",
    cursor: "id",
    description: "Sessions the viewer hosts (admins: all), newest first. Agents and admins.",
    args: { filter: t.arg({ type: LiveSessionFilter }) },
    totalCount: (_parent, args, context) =>
      context.prisma.liveSession.count({
        where: context.services.sessions.scheduling.listWhere(context.viewer, args.filter),
      }),
    resolve: (query, _root, args, context) =>
      context.prisma.liveSession.findMany({
        ...query,
        where: context.services.sessions.scheduling.listWhere(context.viewer, args.filter),
        orderBy: [{ scheduledStartAt: "desc" }, { id: "desc" }],
      }),
  }),
  liveSession: t.prismaField({
    type: "LiveSession",
    nullable: true,
    description: "One session for its host, admins, or a participant token of it; null otherwise.",
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args) => ofTheSession(String(args.id)),
    unauthorizedResolver: () => null,
    resolve: async (query, _root, args, context) => {
      await noteStreamHead(context, sessionStream(String(args.id)));
      return context.prisma.liveSession.findUnique({ ...query, where: { id: String(args.id) } });
    },
  }),
}));

builder.mutationFields((t) => ({
  createLiveSession: t.withAuth({ agent: true }).prismaField({
    type: "LiveSession",
    description: "Schedules a session hosted by the viewer; invitations and reminders are queued. Agents and admins.",
    errors: { types: [ValidationError, SeatLimitError], directResult: true },
    args: { input: t.arg({ type: CreateLiveSessionInput, required: true }) },
    resolve: changedRow("liveSession", ({ input }, context) =>
      context.services.sessions.scheduling.create(context.viewer, present(input)),
    ),
  }),
  updateLiveSession: t.prismaField({
    type: "LiveSession",
    description: "Changes a session. Moving it re-sends invitations (new SEQUENCE) and reschedules reminders.",
    authScopes: (_root, args, context) => managesSession(context, String(args.id)),
    errors: { types: [ValidationError, NotFoundError, SessionEndedError, SeatLimitError], directResult: true },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateLiveSessionInput, required: true }) },
    resolve: changedRow("liveSession", (args, context) =>
      context.services.sessions.scheduling.update(String(args.id), sent(args.input)),
    ),
  }),
  cancelLiveSession: t.prismaField({
    type: "LiveSession",
    description: "Cancels a scheduled session: invitees are told, reminders dropped.",
    authScopes: (_root, args, context) => managesSession(context, String(args.id)),
    errors: { types: [NotFoundError, InvalidTransitionError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: changedRow("liveSession", (args, context) => context.services.sessions.scheduling.cancel(String(args.id))),
  }),
  rotateSessionLink: t.prismaField({
    type: "LiveSession",
    description: "Issues a new access link; the old one stops working. Invitees get the new link unless told not to.",
    authScopes: (_root, args, context) => managesSession(context, String(args.id)),
    errors: { types: [NotFoundError, SessionEndedError], directResult: true },
    args: { id: t.arg.id({ required: true }), notifyInvitees: t.arg.boolean({ defaultValue: true }) },
    resolve: changedRow("liveSession", (args, context) =>
      context.services.sessions.scheduling.rotateLink(String(args.id), args.notifyInvitees ?? true),
    ),
  }),
}));
