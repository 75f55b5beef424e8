import { RoleEnum } from "../auth/auth.schema.ts";
import { builder } from "../builder.ts";
import { ErrorInterface } from "../errors.schema.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { Invite } from "../generated/prisma/client.ts";
import { LastAdminError } from "./team.errors.ts";

/**
 * The Team screen's API, admins only: who has an account (the team, customers apart) with status and last activity,
 * invitations (send, resend, revoke), roles, deactivation and reactivation. See team.service.ts for the rules.
 */

builder.objectType(LastAdminError, {
  name: "LastAdminError",
  description: "The change would leave no active admin; make someone else an admin first.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof LastAdminError,
  fields: (t) => ({ userId: t.exposeID("userId") }),
});

const MemberStatusEnum = builder.enumType("MemberStatus", {
  description: "ACTIVE can sign in; DEACTIVATED was signed out everywhere by an admin and cannot sign in.",
  values: ["ACTIVE", "DEACTIVATED"] as const,
});

const TeamAudienceEnum = builder.enumType("TeamAudience", {
  description: "TEAM lists agents and admins; CUSTOMERS everyone who signed up to ask for help.",
  values: ["TEAM", "CUSTOMERS"] as const,
});

/** What an admin sees of a person on the Team screen, beyond the fields every staff member sees. */
builder.prismaObjectFields("User", (t) => ({
  status: t.field({
    type: MemberStatusEnum,
    authScopes: { admin: true },
    select: { deactivatedAt: true },
    resolve: (user) => (user.deactivatedAt ? "DEACTIVATED" : "ACTIVE"),
  }),
  deactivatedAt: t.expose("deactivatedAt", { type: "DateTime", nullable: true, authScopes: { admin: true } }),
  lastActiveAt: t.field({
    type: "DateTime",
    nullable: true,
    description: "When one of their devices last signed in or renewed its sign-in; null if never.",
    authScopes: { admin: true },
    select: { authSessions: { select: { lastUsedAt: true }, orderBy: { lastUsedAt: "desc" }, take: 1 } },
    resolve: (user) => user.authSessions[0]?.lastUsedAt ?? null,
  }),
  openAssignedTickets: t.relationCount("assignedTickets", {
    description: "Open and in-progress tickets assigned to them: what deactivating them hands on.",
    authScopes: { admin: true },
    where: { status: { in: ["OPEN", "IN_PROGRESS"] } },
  }),
}));

export const TeamInvitationRef = builder.prismaObject("Invite", {
  variant: "TeamInvitation",
  description: "An invitation to join the team that is still open (not accepted or revoked), perhaps expired.",
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.exposeString("email"),
    name: t.exposeString("name"),
    role: t.expose("role", { type: RoleEnum }),
    sentAt: t.expose("sentAt", { type: "DateTime", description: "When the current link was emailed." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    expired: t.boolean({
      select: { expiresAt: true },
      resolve: (invite, _args, context) => invite.expiresAt <= context.services.team.now(),
    }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    invitedBy: t.relation("invitedBy"),
  }),
});

const Invitation = builder.objectRef<{ url: string; invite: Invite }>("Invitation").implement({
  description: "A sent invitation and its link (shown once, to the admin who sent it; the invitee gets it by email).",
  fields: (t) => ({
    url: t.exposeString("url", { description: "Link the invitee opens to set a password." }),
    email: t.string({ resolve: (result) => result.invite.email }),
    role: t.field({ type: RoleEnum, resolve: (result) => result.invite.role }),
    expiresAt: t.field({ type: "DateTime", resolve: (result) => result.invite.expiresAt }),
    invitation: t.prismaField({
      type: TeamInvitationRef,
      resolve: (query, result, _args, context) =>
        context.prisma.invite.findUniqueOrThrow({ ...query, where: { id: result.invite.id } }),
    }),
  }),
});

const InvitationPreview = builder.objectRef<Invite & { invitedBy: { name: string } }>("InvitationPreview").implement({
  description: "What an invitation link's page shows before the invitee sets a password.",
  fields: (t) => ({
    email: t.exposeString("email"),
    name: t.exposeString("name"),
    role: t.expose("role", { type: RoleEnum }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    invitedBy: t.string({ resolve: (invite) => invite.invitedBy.name }),
  }),
});

const Team = builder.objectRef<Record<string, never>>("Team").implement({
  description: "The people of this workspace, for admins.",
  fields: (t) => ({
    members: t.prismaConnection({
      type: "User",
      cursor: "id",
      description: "People with an account, by name: the team (agents and admins) or the customers.",
      args: {
        audience: t.arg({ type: TeamAudienceEnum, defaultValue: "TEAM" }),
        search: t.arg.string({ description: "A fragment of a name or email." }),
      },
      totalCount: (_parent, args, context) =>
        context.prisma.user.count({ where: context.services.team.membersWhere(args.audience, args.search) }),
      resolve: (query, _parent, args, context) =>
        context.prisma.user.findMany({
          ...query,
          where: context.services.team.membersWhere(args.audience, args.search),
          orderBy: [{ name: "asc" }, { id: "asc" }],
        }),
    }),
    member: t.prismaField({
      type: "User",
      nullable: true,
      description: "One person with an account (team or customer), or null when there is none with this id.",
      args: { id: t.arg.id({ required: true }) },
      resolve: (query, _parent, args, context) =>
        context.prisma.user.findUnique({ ...query, where: { id: String(args.id) } }),
    }),
    invitations: t.prismaField({
      type: [TeamInvitationRef],
      description: "Open invitations (expired ones too, to resend), newest first.",
      args: { search: t.arg.string({ description: "A fragment of a name or email." }) },
      resolve: (query, _parent, args, context) => context.services.team.pendingInvitations(args.search, query),
    }),
    invitationsSent: t.int({
      description: "Invitations ever sent (open, accepted or revoked): whether the team was invited yet.",
      resolve: (_parent, _args, context) => context.services.team.invitationsSent(),
    }),
  }),
});

const InviteUserInput = builder.inputType("InviteUserInput", {
  fields: (t) => ({
    email: t.string({ required: true }),
    name: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true, description: "AGENT or ADMIN." }),
  }),
});

const DeactivateUserInput = builder.inputType("DeactivateUserInput", {
  fields: (t) => ({
    userId: t.id({ required: true }),
    reassignToId: t.id({
      description: "An active agent or admin who takes all their open tickets; without it, those are unassigned.",
    }),
  }),
});

const DeactivateUserResult = builder
  .objectRef<{ user: { id: string }; movedTickets: number }>("DeactivateUserResult")
  .implement({
    fields: (t) => ({
      user: t.prismaField({
        type: "User",
        resolve: (query, result, _args, context) =>
          context.prisma.user.findUniqueOrThrow({ ...query, where: { id: result.user.id } }),
      }),
      movedTickets: t.exposeInt("movedTickets", { description: "Open tickets unassigned or handed on." }),
    }),
  });

builder.queryFields((t) => ({
  team: t.withAuth({ admin: true }).field({
    type: Team,
    description: "The people of this workspace and open invitations. Admins only.",
    resolve: () => ({}),
  }),
  invitationPreview: t.field({
    type: InvitationPreview,
    nullable: true,
    description: "The invitation a link stands for, or null when it is unknown, used, revoked, replaced or expired.",
    args: { token: t.arg.string({ required: true }) },
    resolve: (_root, { token }, context) => context.services.team.preview(token),
  }),
}));

builder.mutationFields((t) => ({
  inviteUser: t.withAuth({ admin: true }).field({
    type: Invitation,
    description: "Invites an agent or admin by email (the link expires; an open invitation to them is replaced).",
    errors: { types: [ValidationError], directResult: true },
    args: { input: t.arg({ type: InviteUserInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.team.invite(context.viewer, input),
  }),
  resendInvitation: t.withAuth({ admin: true }).field({
    type: Invitation,
    description: "Emails a new link, valid for as long again; the previous link stops working.",
    errors: { types: [NotFoundError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => context.services.team.resendInvitation(context.viewer, String(id)),
  }),
  revokeInvitation: t.withAuth({ admin: true }).prismaField({
    type: TeamInvitationRef,
    description: "Ends an open invitation: its link stops working.",
    errors: { types: [NotFoundError], directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, context) => {
      const invite = await context.services.team.revokeInvitation(context.viewer, String(id));
      return context.prisma.invite.findUniqueOrThrow({ ...query, where: { id: invite.id } });
    },
  }),
  setUserRole: t.withAuth({ admin: true }).prismaField({
    type: "User",
    description: "Promotes or demotes someone; the last active admin stays one.",
    errors: { types: [NotFoundError, LastAdminError], directResult: true },
    args: { userId: t.arg.id({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: async (query, _root, { userId, role }, context) => {
      const user = await context.services.team.setRole(context.viewer, String(userId), role);
      return context.prisma.user.findUniqueOrThrow({ ...query, where: { id: user.id } });
    },
  }),
  deactivateUser: t.withAuth({ admin: true }).field({
    type: DeactivateUserResult,
    description:
      "Signs someone out everywhere at once and stops them signing in; their open tickets are unassigned or handed " +
      "to `reassignToId`. Tickets, messages and history stay.",
    errors: { types: [ValidationError, NotFoundError, LastAdminError], directResult: true },
    args: { input: t.arg({ type: DeactivateUserInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.team.deactivate(context.viewer, {
        userId: String(input.userId),
        reassignToId: input.reassignToId ? String(input.reassignToId) : null,
      }),
  }),
  reactivateUser: t.withAuth({ admin: true }).prismaField({
    type: "User",
    description: "Lets a deactivated person sign in again, with the role they had.",
    errors: { types: [NotFoundError], directResult: true },
    args: { userId: t.arg.id({ required: true }) },
    resolve: async (query, _root, { userId }, context) => {
      const user = await context.services.team.reactivate(context.viewer, String(userId));
      return context.prisma.user.findUniqueOrThrow({ ...query, where: { id: user.id } });
    },
  }),
}));
