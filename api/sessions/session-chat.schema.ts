import { builder } from "../builder.ts";
import { ValidationError } from "../errors.ts";
import {
  AFTER_ARG_DESCRIPTION,
  CURSOR_DESCRIPTION,
  sessionCursorField,
  sessionEvents,
} from "./session-events.schema.ts";
import { RateLimitedError, SessionEndedError, SessionOptionDisabledError } from "./sessions.errors.ts";
import type { LiveSessionEventPayload } from "./sessions.events.ts";
import { changedRow } from "./sessions.resolvers.ts";
import { inTheRoom } from "./sessions.scopes.ts";

builder.mutationFields((t) => ({
  sendSessionChatMessage: t.prismaField({
    type: "SessionChatMessage",
    description: "Chat as the host or an admitted participant (by token).",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    errors: {
      types: [ValidationError, SessionEndedError, SessionOptionDisabledError, RateLimitedError],
      directResult: true,
    },
    args: { sessionId: t.arg.id({ required: true }), body: t.arg.string({ required: true }) },
    resolve: changedRow("sessionChatMessage", (args, context) =>
      context.services.sessions.chat.send(context, String(args.sessionId), args.body),
    ),
  }),
}));

const SessionChatEvent = builder.objectRef<LiveSessionEventPayload>("SessionChatEvent").implement({
  fields: (t) => ({
    cursor: t.string({ description: CURSOR_DESCRIPTION, resolve: sessionCursorField }),
    message: t.prismaField({
      type: "SessionChatMessage",
      resolve: (query, event, _args, context) =>
        context.prisma.sessionChatMessage.findUniqueOrThrow({ ...query, where: { id: event.messageId ?? "" } }),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  sessionChat: t.field({
    type: SessionChatEvent,
    description: "New chat messages. Host, admins and admitted participants.",
    authScopes: (_root, args) => inTheRoom(String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }), after: t.arg.string({ description: AFTER_ARG_DESCRIPTION }) },
    subscribe: (_root, args, context) =>
      sessionEvents(context, String(args.sessionId), (event) => event.kind === "CHAT_MESSAGE", args.after),
    resolve: (event) => event,
  }),
}));
