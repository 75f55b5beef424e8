import { createHash } from "node:crypto";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import {
  AccountDeactivatedError,
  EmailTakenError,
  InvalidCredentialsError,
  InvalidTokenError,
  RateLimitedError,
  ValidationError,
} from "../errors.ts";
import { Role } from "../generated/prisma/enums.ts";
import type { AuthResult } from "./auth.service.ts";

/** A new sign-in also reaches a browser as the httpOnly refresh cookie (see refresh-cookie.ts). */
export function signedIn(context: Context, result: AuthResult): AuthResult {
  context.refreshCookie.issue(result);
  return result;
}

export const RoleEnum = builder.enumType(Role, { name: "Role" });

export const UserRef = builder.prismaObject("User", {
  description: "A person with an account: admin, agent or customer.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    role: t.expose("role", { type: RoleEnum }),
    email: t.exposeString("email", {
      description: "Visible to the user themself and to staff.",
      authScopes: (user, _args, context) => context.authenticatedUserIds.has(user.id) || { self: user.id, agent: true },
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const AuthPayload = builder.objectRef<AuthResult>("AuthPayload").implement({
  description:
    "Tokens for a signed-in session. Send the access token as `Authorization: Bearer …` (HTTP) or " +
    "`connectionParams.authorization` (graphql-ws); trade the refresh token for a new pair with `refreshSession`. " +
    "Over HTTP the answer also sets the refresh token as an httpOnly cookie for `POST /auth/refresh`, which " +
    "browsers use instead (docs/security.md).",
  fields: (t) => ({
    accessToken: t.exposeString("accessToken"),
    accessTokenExpiresAt: t.expose("accessTokenExpiresAt", { type: "DateTime" }),
    refreshToken: t.exposeString("refreshToken", { description: "Works once; each refresh returns a new one." }),
    refreshTokenExpiresAt: t.expose("refreshTokenExpiresAt", { type: "DateTime" }),
    user: t.prismaField({
      type: "User",
      resolve: (query, auth, _args, context) => {
        context.authenticatedUserIds.add(auth.userId);
        return context.prisma.user.findUniqueOrThrow({ ...query, where: { id: auth.userId } });
      },
    }),
  }),
});

const SignUpInput = builder.inputType("SignUpInput", {
  fields: (t) => ({
    email: t.string({ required: true }),
    name: t.string({ required: true }),
    password: t.string({ required: true, description: "At least 8 characters." }),
  }),
});

const LogInInput = builder.inputType("LogInInput", {
  fields: (t) => ({ email: t.string({ required: true }), password: t.string({ required: true }) }),
});

const AcceptInviteInput = builder.inputType("AcceptInviteInput", {
  fields: (t) => ({
    token: t.string({ required: true }),
    password: t.string({ required: true }),
    name: t.string({ description: "Defaults to the name on the invitation." }),
  }),
});

builder.queryFields((t) => ({
  me: t.prismaField({
    type: "User",
    nullable: true,
    description: "The signed-in user, or null when anonymous.",
    resolve: (query, _root, _args, context) =>
      context.viewer ? context.prisma.user.findUnique({ ...query, where: { id: context.viewer.userId } }) : null,
  }),
  agents: t.prismaField({
    type: ["User"],
    description: "Active agents and admins, for assignment pickers. Staff only.",
    authScopes: { agent: true },
    resolve: (query, _root, _args, context) =>
      context.prisma.user.findMany({
        ...query,
        where: { role: { in: ["AGENT", "ADMIN"] }, deactivatedAt: null },
        orderBy: { name: "asc" },
      }),
  }),
}));

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayload,
    description: "Creates a customer account and signs in. The first account of a new install becomes its admin.",
    errors: { types: [ValidationError, EmailTakenError, RateLimitedError], directResult: true },
    args: { input: t.arg({ type: SignUpInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      await context.services.rateLimits.auth("signUp", context.clientAddress, input.email);
      return signedIn(context, await context.services.auth.signUp(input, context.userAgent));
    },
  }),
  logIn: t.field({
    type: AuthPayload,
    errors: {
      types: [ValidationError, InvalidCredentialsError, AccountDeactivatedError, RateLimitedError],
      directResult: true,
    },
    args: { input: t.arg({ type: LogInInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      await context.services.rateLimits.auth("logIn", context.clientAddress, input.email);
      return signedIn(context, await context.services.auth.logIn(input, context.userAgent));
    },
  }),
  refreshSession: t.field({
    type: AuthPayload,
    description:
      "Trades a refresh token for a new access and refresh token. Reusing a refresh token signs out that device.",
    errors: { types: [InvalidTokenError, AccountDeactivatedError, RateLimitedError], directResult: true },
    args: { refreshToken: t.arg.string({ required: true }) },
    resolve: async (_root, { refreshToken }, context) => {
      await context.services.rateLimits.auth("refreshSession", context.clientAddress);
      return signedIn(context, await context.services.auth.refresh(refreshToken, context.userAgent));
    },
  }),
  logOut: t.withAuth({ authenticated: true }).boolean({
    description: "Ends the current session: its access and refresh tokens stop working at once.",
    resolve: async (_root, _args, context) => {
      await context.services.auth.logOut(context.viewer);
      context.refreshCookie.clear();
      return true;
    },
  }),
  acceptInvite: t.field({
    type: AuthPayload,
    errors: {
      types: [ValidationError, InvalidTokenError, AccountDeactivatedError, RateLimitedError],
      directResult: true,
    },
    args: { input: t.arg({ type: AcceptInviteInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      // Per invitation (hashed: limiter keys never hold a usable token) and per address.
      const invitation = createHash("sha256").update(input.token).digest("base64url").slice(0, 22);
      await context.services.rateLimits.auth("acceptInvite", context.clientAddress, `invite:${invitation}`);
      const result = await context.services.auth.acceptInvite(
        { ...input, name: input.name ?? undefined },
        context.userAgent,
      );
      return signedIn(context, result);
    },
  }),
}));
