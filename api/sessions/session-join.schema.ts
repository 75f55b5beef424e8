import { forgetScopeResults } from "../auth/scopes.ts";
import { builder } from "../builder.ts";
import { ValidationError } from "../errors.ts";
import type { LiveSession } from "../generated/prisma/client.ts";
import { sessionStream } from "../ops/event-log.ts";
import { noteStreamHead } from "../ops/stream-cursor.ts";
import type { JoinResult } from "./session-join.service.ts";
import { LiveSessionStatusEnum, LiveSessionTypeEnum } from "./session-types.schema.ts";
import {
  EmailDomainNotAllowedError,
  EmailVerificationRequiredError,
  InvalidVerificationCodeError,
  ParticipantRemovedError,
  RateLimitedError,
  RecordingConsentRequiredError,
  SeatLimitError,
  SessionEndedError,
  SessionFullError,
  SessionLockedError,
  SessionNotFoundError,
  TooManyAttemptsError,
  WrongPasswordError,
} from "./sessions.errors.ts";
import { changedRow } from "./sessions.resolvers.ts";

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
  SeatLimitError,
  RecordingConsentRequiredError,
  RateLimitedError,
];

builder.queryFields((t) => ({
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
    resolve: async (query, _root, _args, context) => {
      const participant = context.participant;
      if (!participant) return null;
      // The session's eventCursor in the same request vouches for this row (see api/ops/stream-cursor.ts).
      await noteStreamHead(context, sessionStream(participant.sessionId));
      return context.prisma.sessionParticipant.findUnique({ ...query, where: { id: participant.participantId } });
    },
  }),
}));

builder.mutationFields((t) => ({
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
      // The payload's fields are resolved as the new participant, and authorized afresh.
      context.participant = { participantId: result.participantId, sessionId: result.sessionId };
      forgetScopeResults(context);
      return result;
    },
  }),
  leaveSession: t.withAuth({ participant: true }).prismaField({
    type: "SessionParticipant",
    description: "The participant (by token) leaves; joining again with the link resumes the same participant.",
    errors: { types: [ValidationError], directResult: true },
    resolve: changedRow("sessionParticipant", (_args: unknown, context) =>
      context.services.sessions.joining.leave(context.participant),
    ),
  }),
  giveRecordingConsent: t.withAuth({ participant: true }).prismaField({
    type: "SessionParticipant",
    description: "The participant (by token) consents to being recorded.",
    resolve: changedRow("sessionParticipant", (_args: unknown, context) =>
      context.services.sessions.joining.giveRecordingConsent(context.participant),
    ),
  }),
}));
