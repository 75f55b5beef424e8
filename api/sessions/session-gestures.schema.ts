import { builder } from "../builder.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { sessionEvents } from "./session-events.schema.ts";
import type { GestureEvent } from "./session-gestures.service.ts";
import { RateLimitedError, SessionEndedError } from "./sessions.errors.ts";
import { type GestureKind, gestureKinds, type LiveSessionEventPayload } from "./sessions.events.ts";
import { changedRow } from "./sessions.resolvers.ts";
import { inTheRoom, managesParticipant } from "./sessions.scopes.ts";

const SessionGestureKindEnum = builder.enumType("SessionGestureKind", { values: gestureKinds });
const MicRequestEnum = builder.enumType("MicRequest", {
  description: "MUTE: the participant's client mutes itself. ASK_TO_UNMUTE: it asks the participant to unmute.",
  values: ["MUTE", "ASK_TO_UNMUTE"] as const,
});

const gestureKindSet: ReadonlySet<string> = new Set(gestureKinds);
const isGesture = (event: LiveSessionEventPayload): event is GestureEvent => gestureKindSet.has(event.kind);
const forEveryone: ReadonlySet<GestureKind> = new Set(["HAND_RAISED", "HAND_LOWERED", "REACTION"]);

const SessionGestureEvent = builder.objectRef<GestureEvent>("SessionGestureEvent").implement({
  description:
    "A hand raised or lowered, a reaction, or the host asking a participant to mute (MUTE_REQUESTED) or to " +
    "unmute (UNMUTE_REQUESTED).",
  fields: (t) => ({
    kind: t.field({ type: SessionGestureKindEnum, resolve: (event) => event.kind }),
    sessionId: t.id({ resolve: (event) => event.sessionId }),
    participantId: t.id({
      description: "Whose hand or reaction; whom the host asks.",
      resolve: (e) => e.participantId,
    }),
    emoji: t.string({ nullable: true, resolve: (event) => event.emoji ?? null }),
    at: t.field({ type: "DateTime", resolve: (event) => new Date(event.at) }),
    participant: t.prismaField({
      type: "SessionParticipant",
      resolve: (query, event, _args, context) =>
        context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: event.participantId } }),
    }),
  }),
});

const gestureErrors = [ValidationError, SessionEndedError];

builder.mutationFields((t) => ({
  setHandRaised: t.prismaField({
    type: "SessionParticipant",
    description: "Raises or lowers your own hand, as the host or an admitted participant (by token).",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: { types: gestureErrors, directResult: true },
    args: { sessionId: t.arg.id({ required: true }), raised: t.arg.boolean({ required: true }) },
    resolve: changedRow("sessionParticipant", (args, context) =>
      context.services.sessions.gestures.setHandRaised(context, String(args.sessionId), args.raised),
    ),
  }),
  sendSessionReaction: t.field({
    type: SessionGestureEvent,
    description: "Sends a reaction (👍 ❤️ 😂 🎉 👏 😮) to everyone in the call.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: { types: [...gestureErrors, RateLimitedError], directResult: true },
    args: { sessionId: t.arg.id({ required: true }), emoji: t.arg.string({ required: true }) },
    resolve: (_root, args, context) =>
      context.services.sessions.gestures.react(context, String(args.sessionId), args.emoji),
  }),
  lowerParticipantHand: t.prismaField({
    type: "SessionParticipant",
    description: "The host lowers a participant's hand.",
    authScopes: (_root, args, context) => managesParticipant(context, String(args.participantId)),
    errors: { types: [NotFoundError, ...gestureErrors], directResult: true },
    args: { participantId: t.arg.id({ required: true }) },
    resolve: changedRow("sessionParticipant", (args, context) =>
      context.services.sessions.gestures.lowerHand(String(args.participantId)),
    ),
  }),
  requestParticipantMic: t.field({
    type: SessionGestureEvent,
    description: "The host asks an admitted participant to mute or to unmute; their client acts on it.",
    authScopes: (_root, args, context) => managesParticipant(context, String(args.participantId)),
    errors: { types: [NotFoundError, ...gestureErrors], directResult: true },
    args: {
      participantId: t.arg.id({ required: true }),
      request: t.arg({ type: MicRequestEnum, required: true }),
    },
    resolve: (_root, args, context) =>
      context.services.sessions.gestures.requestMic(String(args.participantId), args.request),
  }),
}));

builder.subscriptionFields((t) => ({
  sessionGestures: t.field({
    type: SessionGestureEvent,
    description:
      "Hands, reactions and the host's mute requests. Host, admins and admitted participants; a mute request " +
      "reaches only the managers and the participant it is for.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }) },
    subscribe: (_root, args, context) =>
      sessionEvents(
        context,
        String(args.sessionId),
        (event, caller) =>
          isGesture(event) &&
          (forEveryone.has(event.kind) || caller.manager || event.participantId === caller.participantId),
        false,
      ),
    resolve: (event) => event as GestureEvent,
  }),
}));
