import { builder } from "../builder.ts";
import { ValidationError } from "../errors.ts";
import { PushSubscriptionKeysInput } from "../notifications/notifications.schema.ts";
import { PushEndpointRefusedError } from "../notifications/push-endpoints.ts";

builder.mutationFields((t) => ({
  registerSessionPushSubscription: t.withAuth({ participant: true }).prismaField({
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
      const { participantId } = context.participant;
      const saved = await context.services.notifications.push.register(
        { participantId },
        { endpoint: args.endpoint, keys: args.keys },
      );
      return context.prisma.pushSubscription.findUniqueOrThrow({ ...query, where: { id: saved.id } });
    },
  }),
  unregisterSessionPushSubscription: t.withAuth({ participant: true }).boolean({
    description: "Stops Web Push to this endpoint for the participant (by token); false when it was not theirs.",
    args: { endpoint: t.arg.string({ required: true }) },
    resolve: (_root, { endpoint }, context) =>
      context.services.notifications.push.unregister({ participantId: context.participant.participantId }, endpoint),
  }),
}));
