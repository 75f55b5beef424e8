import { builder } from "../builder.ts";
import {
  AccountDeactivatedError,
  EmailTakenError,
  InvalidCredentialsError,
  InvalidTokenError,
  RateLimitedError,
  ValidationError,
} from "../errors.ts";
import type { SignIn } from "./account.service.ts";
import { AuthPayload, signedIn } from "./auth.schema.ts";

/** A user's own account: forgotten and changed passwords, a new email, their sign-ins (docs/security.md). */

const PasswordResetRequested = builder.objectRef<{ email: string }>("PasswordResetRequested").implement({
  description: "The same answer whether or not an account uses the address: the email says the rest.",
  fields: (t) => ({
    email: t.exposeString("email"),
    message: t.string({
      resolve: () => "If an account uses this address, we have emailed it a link to choose a new password.",
    }),
  }),
});

const EmailChangeRequested = builder.objectRef<{ newEmail: string }>("EmailChangeRequested").implement({
  description: "A confirmation link went to the new address; the email changes when it is followed.",
  fields: (t) => ({ newEmail: t.exposeString("newEmail") }),
});

const SignInRef = builder.objectRef<SignIn>("SignIn").implement({
  description: "One device signed in to the viewer's account.",
  fields: (t) => ({
    id: t.exposeID("id"),
    userAgent: t.exposeString("userAgent", { nullable: true, description: "The browser, as it named itself." }),
    signedInAt: t.expose("signedInAt", { type: "DateTime" }),
    lastActiveAt: t.expose("lastActiveAt", { type: "DateTime" }),
    current: t.exposeBoolean("current", { description: "The sign-in making this request." }),
  }),
});

const ResetPasswordInput = builder.inputType("ResetPasswordInput", {
  fields: (t) => ({
    token: t.string({ required: true, description: "From the emailed link." }),
    password: t.string({ required: true, description: "The new password: at least 8 characters." }),
  }),
});

const ChangePasswordInput = builder.inputType("ChangePasswordInput", {
  fields: (t) => ({
    currentPassword: t.string({ required: true }),
    newPassword: t.string({ required: true }),
  }),
});

const ChangeEmailInput = builder.inputType("ChangeEmailInput", {
  fields: (t) => ({
    newEmail: t.string({ required: true }),
    currentPassword: t.string({ required: true }),
  }),
});

builder.queryFields((t) => ({
  mySignIns: t.withAuth({ authenticated: true }).field({
    type: [SignInRef],
    description: "The viewer's active sign-ins (one per device), most recently used first.",
    resolve: (_root, _args, context) => context.services.accounts.signIns(context.viewer),
  }),
}));

builder.mutationFields((t) => ({
  requestPasswordReset: t.field({
    type: PasswordResetRequested,
    description:
      "Emails a single-use link (valid 1 hour) to choose a new password, if an account uses the address. The answer is the same either way. Limited to 3 per address and 20 per client per hour.",
    errors: { types: [ValidationError, RateLimitedError], directResult: true },
    args: { email: t.arg.string({ required: true }) },
    resolve: async (_root, args, context) => {
      await context.services.rateLimits.passwordReset(context.clientAddress, args.email);
      await context.services.accounts.requestPasswordReset(args.email);
      return { email: args.email.trim() };
    },
  }),
  resetPassword: t.field({
    type: AuthPayload,
    description: "Sets a new password from an emailed link (once); every other sign-in ends, and this one starts.",
    errors: {
      types: [ValidationError, InvalidTokenError, AccountDeactivatedError, RateLimitedError],
      directResult: true,
    },
    args: { input: t.arg({ type: ResetPasswordInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      await context.services.rateLimits.auth("acceptInvite", context.clientAddress);
      return signedIn(context, await context.services.accounts.resetPassword(input, context.userAgent));
    },
  }),
  changePassword: t.withAuth({ authenticated: true }).prismaField({
    type: "User",
    description:
      "Changes the viewer's password (the current one required); answers the viewer. Other devices are signed out.",
    errors: { types: [ValidationError, InvalidCredentialsError, RateLimitedError], directResult: true },
    args: { input: t.arg({ type: ChangePasswordInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      await context.services.rateLimits.auth("logIn", context.clientAddress, context.viewer.email);
      await context.services.accounts.changePassword(context.viewer, input);
      return context.prisma.user.findUniqueOrThrow({ ...query, where: { id: context.viewer.userId } });
    },
  }),
  requestEmailChange: t.withAuth({ authenticated: true }).field({
    type: EmailChangeRequested,
    description: "Emails the new address a link (valid 24 hours); the account's email changes when it is followed.",
    errors: {
      types: [ValidationError, InvalidCredentialsError, EmailTakenError, RateLimitedError],
      directResult: true,
    },
    args: { input: t.arg({ type: ChangeEmailInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      await context.services.rateLimits.passwordReset(context.clientAddress, context.viewer.email);
      await context.services.accounts.requestEmailChange(context.viewer, input);
      return { newEmail: input.newEmail.trim().toLowerCase() };
    },
  }),
  confirmEmailChange: t.prismaField({
    type: "User",
    description: "Follows the link sent to a new address: it becomes the account's email (the old one is told).",
    errors: { types: [InvalidTokenError, EmailTakenError, AccountDeactivatedError], directResult: true },
    args: { token: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, context) => {
      const { userId } = await context.services.accounts.confirmEmailChange(args.token);
      context.authenticatedUserIds.add(userId);
      return context.prisma.user.findUniqueOrThrow({ ...query, where: { id: userId } });
    },
  }),
  signOutEverywhere: t.withAuth({ authenticated: true }).int({
    description: "Ends every sign-in of the viewer, this one included; answers how many ended.",
    resolve: async (_root, _args, context) => {
      const count = await context.services.accounts.signOutEverywhere(context.viewer);
      context.refreshCookie.clear();
      return count;
    },
  }),
}));
