import { builder } from "../builder.ts";
import { InvalidTransitionError, NotFoundError, ValidationError } from "../errors.ts";
import { ParticipantRoleEnum, SessionParticipantRef } from "./session-types.schema.ts";
import {
  RecordingConsentMissingError,
  SeatLimitError,
  SessionEndedError,
  SessionFullError,
  SessionOptionDisabledError,
} from "./sessions.errors.ts";
import { changedRow } from "./sessions.resolvers.ts";
import { managesParticipant, managesSession } from "./sessions.scopes.ts";

const participantErrors = [
  NotFoundError,
  ValidationError,
  InvalidTransitionError,
  SessionEndedError,
  SessionFullError,
  SeatLimitError,
  RecordingConsentMissingError,
];

builder.mutationFields((t) => ({
  startLiveSession: t.prismaField({
    type: "LiveSession",
    authScopes: (_root, args, context) => managesSession(context, String(args.id)),
    errors: { types: [NotFoundError, InvalidTransitionError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: changedRow("liveSession", (args, context) =>
      context.services.sessions.hostControls.start(String(args.id)),
    ),
  }),
  endLiveSession: t.prismaField({
    type: "LiveSession",
    description: "Ends the session for everyone: participant tokens stop working and subscriptions complete.",
    authScopes: (_root, args, context) => managesSession(context, String(args.id)),
    errors: { types: [NotFoundError, InvalidTransitionError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: changedRow("liveSession", (args, context) => context.services.sessions.hostControls.end(String(args.id))),
  }),
  setSessionLocked: t.prismaField({
    type: "LiveSession",
    description: "A locked session admits nobody new (admitted participants may rejoin).",
    authScopes: (_root, args, context) => managesSession(context, String(args.id)),
    errors: { types: [NotFoundError, SessionEndedError], directResult: true },
    args: { id: t.arg.id({ required: true }), locked: t.arg.boolean({ required: true }) },
    resolve: changedRow("liveSession", (args, context) =>
      context.services.sessions.hostControls.setLocked(String(args.id), args.locked),
    ),
  }),
  setSessionRecording: t.prismaField({
    type: "LiveSession",
    description: "Starts or stops recording. Starting needs every admitted participant's consent.",
    authScopes: (_root, args, context) => managesSession(context, String(args.id)),
    errors: {
      types: [NotFoundError, InvalidTransitionError, SessionOptionDisabledError, RecordingConsentMissingError],
      directResult: true,
    },
    args: { id: t.arg.id({ required: true }), recording: t.arg.boolean({ required: true }) },
    resolve: changedRow("liveSession", (args, context) =>
      context.services.sessions.hostControls.setRecording(String(args.id), args.recording),
    ),
  }),
  admitParticipant: t.prismaField({
    type: "SessionParticipant",
    description: "Admits a waiting participant; for a removed or denied one, allows them to join again.",
    authScopes: (_root, args, context) => managesParticipant(context, String(args.participantId)),
    errors: { types: participantErrors, directResult: true },
    args: { participantId: t.arg.id({ required: true }) },
    resolve: changedRow("sessionParticipant", (args, context) =>
      context.services.sessions.hostControls.admit(String(args.participantId)),
    ),
  }),
  admitAllParticipants: t.field({
    type: [SessionParticipantRef],
    description: "Admits waiting participants in arrival order while seats remain; returns those admitted.",
    authScopes: (_root, args, context) => managesSession(context, String(args.sessionId)),
    errors: { types: [NotFoundError, SessionEndedError] },
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => context.services.sessions.hostControls.admitAll(String(args.sessionId)),
  }),

  denyParticipant: t.prismaField({
    type: "SessionParticipant",
    authScopes: (_root, args, context) => managesParticipant(context, String(args.participantId)),
    errors: { types: participantErrors, directResult: true },
    args: { participantId: t.arg.id({ required: true }) },
    resolve: changedRow("sessionParticipant", (args, context) =>
      context.services.sessions.hostControls.deny(String(args.participantId)),
    ),
  }),
  denyAllParticipants: t.field({
    type: [SessionParticipantRef],
    authScopes: (_root, args, context) => managesSession(context, String(args.sessionId)),
    errors: { types: [NotFoundError] },
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => context.services.sessions.hostControls.denyAll(String(args.sessionId)),
  }),

  removeParticipant: t.prismaField({
    type: "SessionParticipant",
    description: "Removes a participant: their token and peer stop working; they return only if re-admitted.",
    authScopes: (_root, args, context) => managesParticipant(context, String(args.participantId)),
    errors: { types: participantErrors, directResult: true },
    args: { participantId: t.arg.id({ required: true }) },
    resolve: changedRow("sessionParticipant", (args, context) =>
      context.services.sessions.hostControls.remove(String(args.participantId)),
    ),
  }),
  setParticipantRole: t.prismaField({
    type: "SessionParticipant",
    description: "Promotes an attendee to presenter or back (webinars: presenters publish media).",
    authScopes: (_root, args, context) => managesParticipant(context, String(args.participantId)),
    errors: { types: participantErrors, directResult: true },
    args: {
      participantId: t.arg.id({ required: true }),
      role: t.arg({ type: ParticipantRoleEnum, required: true }),
    },
    resolve: changedRow("sessionParticipant", (args, context) =>
      context.services.sessions.hostControls.setRole(String(args.participantId), args.role),
    ),
  }),
}));
