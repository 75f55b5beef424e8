import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { unauthenticated, ValidationError } from "../errors.ts";
import { PushSubscriptionKeysInput } from "../notifications/notifications.schema.ts";
import { PushEndpointRefusedError } from "../notifications/push-endpoints.ts";

function participantOf(context: Context) {
  if (!context.participant) throw unauthenticated("Join the session first (participant token)");
  return context.participant;
}

builder.mutationFields((t) => ({
  registerSessionPushSubscription: t.prismaField({
    type: "PushSubscription",
    description:
      "Registers this browser for Web Push reminders of the participant behind the participant token " +
      "(`x-participant-token`). Registering an endpoint again moves it to the new owner.",
    errors: { types: [ValidationError, PushEndpointRefusedError], directResult: true },
    args: {
      endpoint: t.arg.string({ required: true }),
      keys: t.arg({ type: PushSubscriptionKeysInput, required: true }),
    },
    resolve: async (query, _root, args, context) => {
      const { participantId } = participantOf(context);
      const saved = await context.services.notifications.push.register(
        { participantId },
        { endpoint: args.endpoint, keys: args.keys },
      );
      return context.prisma.pushSubscription.findUniqueOrThrow({ ...query, where: { id: saved.id } });
    },
  }),
  unregisterSessionPushSubscription: t.boolean({
    description: "Stops Web Push to this endpoint for the participant (by token); false when it was not theirs.",
    args: { endpoint: t.arg.string({ required: true }) },
    resolve: (_root, { endpoint }, context) =>
      context.services.notifications.push.unregister({ participantId: participantOf(context).participantId }, endpoint),
  }),
}));
