import { builder } from "../builder.ts";
import { ErrorInterface } from "../errors.schema.ts";
import { ValidationError } from "../errors.ts";
import type { NotificationPreferences } from "./notification-preferences.ts";
import { PushEndpointRefusedError } from "./push-endpoints.ts";

const NotificationPreferencesRef = builder.objectRef<NotificationPreferences>("NotificationPreferences").implement({
  description: "Which ticket emails the user receives. Everything is on until turned off.",
  fields: (t) => ({
    ticketCreated: t.exposeBoolean("ticketCreated", { description: "Confirmation when you open a ticket." }),
    ticketReply: t.exposeBoolean("ticketReply", { description: "An agent answered your ticket." }),
    ticketCustomerMessage: t.exposeBoolean("ticketCustomerMessage", {
      description: "Agents: the customer wrote on a ticket assigned to you.",
    }),
    ticketAssigned: t.exposeBoolean("ticketAssigned", { description: "Agents: a ticket was assigned to you." }),
    ticketResolved: t.exposeBoolean("ticketResolved", { description: "Your ticket was resolved." }),
  }),
});

const NotificationPreferencesInput = builder.inputType("NotificationPreferencesInput", {
  description: "Only the fields given change.",
  fields: (t) => ({
    ticketCreated: t.boolean(),
    ticketReply: t.boolean(),
    ticketCustomerMessage: t.boolean(),
    ticketAssigned: t.boolean(),
    ticketResolved: t.boolean(),
  }),
});

builder.prismaObjectField("User", "notificationPreferences", (t) =>
  t.field({
    type: NotificationPreferencesRef,
    description: "Visible to the user themself only.",
    authScopes: (user) => ({ self: user.id }),
    resolve: (user, _args, context) => context.services.notifications.preferences.get(user.id),
  }),
);

builder.objectType(PushEndpointRefusedError, {
  name: "PushEndpointRefusedError",
  description: "The endpoint's host is not a public push service (a private, loopback or metadata address).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof PushEndpointRefusedError,
  fields: (t) => ({ reason: t.exposeString("reason") }),
});

const PushSubscriptionRef = builder.prismaObject("PushSubscription", {
  description: "A browser registered to receive Web Push notifications.",
  fields: (t) => ({
    id: t.exposeID("id"),
    endpoint: t.exposeString("endpoint"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const PushSubscriptionKeysInput = builder.inputType("PushSubscriptionKeysInput", {
  description: "`PushSubscription.toJSON().keys` from the browser.",
  fields: (t) => ({
    p256dh: t.string({ required: true, description: "The browser's P-256 public key, base64url." }),
    auth: t.string({ required: true, description: "The 16-byte authentication secret, base64url." }),
  }),
});

builder.queryFields((t) => ({
  vapidPublicKey: t.string({
    description: "The server's VAPID public key (base64url): `applicationServerKey` for `pushManager.subscribe`.",
    resolve: (_root, _args, context) => context.services.notifications.push.vapid.publicKey,
  }),
}));

builder.mutationFields((t) => ({
  updateNotificationPreferences: t.withAuth({ authenticated: true }).field({
    type: NotificationPreferencesRef,
    description: "Turns kinds of ticket email on or off for the signed-in user.",
    errors: { types: [ValidationError], directResult: true },
    args: { input: t.arg({ type: NotificationPreferencesInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.notifications.preferences.update(context.viewer.userId, input),
  }),
  registerPushSubscription: t.withAuth({ authenticated: true }).prismaField({
    type: PushSubscriptionRef,
    description: "Registers this browser for Web Push notifications of the signed-in user.",
    errors: { types: [ValidationError, PushEndpointRefusedError], directResult: true },
    args: {
      endpoint: t.arg.string({ required: true }),
      keys: t.arg({ type: PushSubscriptionKeysInput, required: true }),
    },
    resolve: async (query, _root, args, context) => {
      const saved = await context.services.notifications.push.register(
        { userId: context.viewer.userId },
        { endpoint: args.endpoint, keys: args.keys },
      );
      return context.prisma.pushSubscription.findUniqueOrThrow({ ...query, where: { id: saved.id } });
    },
  }),
  unregisterPushSubscription: t.withAuth({ authenticated: true }).boolean({
    description: "Stops Web Push to this endpoint for the signed-in user; false when it was not registered.",
    args: { endpoint: t.arg.string({ required: true }) },
    resolve: (_root, { endpoint }, context) =>
      context.services.notifications.push.unregister({ userId: context.viewer.userId }, endpoint),
  }),
}));
