import { z } from "zod";
import type { AuthService } from "../auth/auth.service.ts";
import { type AdminViewer, isStaff } from "../auth/roles.ts";
import { TokenSealer } from "../auth/sealed-token.ts";
import { hashToken, randomToken } from "../auth/tokens.ts";
import type { Clock } from "../clock.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { Role } from "../generated/prisma/enums.ts";
import { enqueueJob } from "../jobs/jobs.service.ts";
import type { TicketService } from "../tickets/tickets.service.ts";
import { LastAdminError } from "./team.errors.ts";

declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /** An invitation's link; the token travels sealed and is blanked once sent (or when the link was replaced). */
    "email.teamInvite": { inviteId: string; sealedToken: string };
  }
}

/** How long an invitation link works; resending issues a new one for as long. */
export const INVITE_TTL_MS = 7 * 24 * 3_600_000;
/** The PWA page an invitation link opens. */
export const INVITE_PATH = "/invite/";
/** Pending invitations listed at most (they are few: each is a person an admin typed in). */
const INVITATIONS_LISTED = 200;
/** Serializes the "someone stays admin" check across instances (demotions and deactivations). */
const ADMIN_GUARD_LOCK = 7_270_736_903;
/** Tickets still being worked, whose assignee must be someone who can work them. */
const OPEN_STATUSES = ["OPEN", "IN_PROGRESS"] as const;

type Tx = Prisma.TransactionClient;

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("enter a valid email address").max(254, "must be at most 254 characters"));
const inviteInput = z.object({
  email,
  name: z.string().trim().min(1, "enter a name").max(100, "must be at most 100 characters"),
  role: z.enum(["ADMIN", "AGENT"], "invite agents or admins; customers sign up themselves"),
});
const search = z.string().trim().max(100, "must be at most 100 characters").nullish();

function parse<T extends z.ZodType>(schema: T, input: unknown, prefix = "input"): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error, prefix);
  return result.data;
}

/** Who a team list shows: agents and admins, or customers (listed apart, since they are many more). */
export type TeamAudience = "TEAM" | "CUSTOMERS";

/**
 * Admins running their team: the lists (people with an account, pending invitations), invitations by email with a
 * link that expires (resend replaces the link, revoke ends it), role changes, deactivation (signs out everywhere at
 * once and hands the person's open tickets on, in one transaction) and reactivation. Someone always stays admin.
 * Callers are admins: the fields' `admin` scope checked that.
 */
export class TeamService {
  private readonly sealer: TokenSealer;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly auth: AuthService,
    private readonly tickets: TicketService,
    private readonly clock: Clock,
    private readonly options: { secret: string; publicUrl: string },
  ) {
    this.sealer = new TokenSealer(options.secret, "team-invite");
  }

  /** The filter of a team list: who it shows, matching a name or email fragment. */
  membersWhere(audience: TeamAudience | null | undefined, text?: string | null): Prisma.UserWhereInput {
    const fragment = parse(search, text, "search");
    return {
      role: audience === "CUSTOMERS" ? "CUSTOMER" : { in: ["AGENT", "ADMIN"] },
      ...(fragment
        ? {
            OR: [
              { name: { contains: fragment, mode: "insensitive" } },
              { email: { contains: fragment, mode: "insensitive" } },
            ],
          }
        : {}),
    };
  }

  /** Invitations still open (expired ones too, so they can be resent), newest first. */
  pendingInvitations(
    text?: string | null,
    query: { include?: Prisma.InviteInclude; select?: Prisma.InviteSelect } = {},
  ) {
    const fragment = parse(search, text, "search");
    return this.prisma.invite.findMany({
      ...query,
      where: {
        acceptedAt: null,
        revokedAt: null,
        ...(fragment
          ? {
              OR: [
                { name: { contains: fragment, mode: "insensitive" } },
                { email: { contains: fragment, mode: "insensitive" } },
              ],
            }
          : {}),
      },
      orderBy: [{ sentAt: "desc" }, { id: "asc" }],
      take: INVITATIONS_LISTED,
    });
  }

  now(): Date {
    return this.clock.now();
  }

  /** The open invitation a link stands for (to greet the invitee), or null. */
  async preview(token: string) {
    if (!token || token.length > 200) return null;
    const invite = await this.prisma.invite.findUnique({
      where: { tokenHash: hashToken(token) },
      include: { invitedBy: { select: { name: true } } },
    });
    if (!invite || invite.acceptedAt || invite.revokedAt || invite.expiresAt <= this.clock.now()) return null;
    return invite;
  }

  /** Every invitation ever sent (accepted, revoked or open): the first-run checklist's "invite your team". */
  invitationsSent(): Promise<number> {
    return this.prisma.invite.count();
  }

  /**
   * Invites an agent or admin by email. An open invitation to the same address is replaced (its link stops working);
   * a customer's account is promoted when they accept; people already on the team, or deactivated, are refused.
   */
  async invite(viewer: AdminViewer, input: { email: string; name: string; role: Role }) {
    const data = parse(inviteInput, input);
    const now = this.clock.now();
    const token = randomToken();
    const invite = await this.prisma.$transaction(async (tx) => {
      const existing = await tx.user.findUnique({ where: { email: data.email } });
      if (existing?.deactivatedAt)
        throw ValidationError.field("input.email", "this account is deactivated: reactivate it instead");
      if (existing && isStaff(existing.role))
        throw ValidationError.field("input.email", `${existing.name} is already on the team`);
      await tx.invite.updateMany({
        where: { email: data.email, acceptedAt: null, revokedAt: null },
        data: { revokedAt: now },
      });
      const created = await tx.invite.create({
        data: {
          ...data,
          tokenHash: hashToken(token),
          invitedById: viewer.userId,
          createdAt: now,
          sentAt: now,
          expiresAt: new Date(now.getTime() + INVITE_TTL_MS),
        },
      });
      await this.enqueueEmail(tx, created.id, token, now);
      return created;
    });
    return { invite, url: this.linkOf(token) };
  }

  /** Sends a new link (valid for another INVITE_TTL_MS); the previous link stops working at once. */
  async resendInvitation(_viewer: AdminViewer, inviteId: string) {
    const now = this.clock.now();
    const token = randomToken();
    const invite = await this.prisma.$transaction(async (tx) => {
      const replaced = await tx.invite.updateMany({
        where: { id: inviteId, acceptedAt: null, revokedAt: null },
        data: { tokenHash: hashToken(token), sentAt: now, expiresAt: new Date(now.getTime() + INVITE_TTL_MS) },
      });
      if (replaced.count !== 1) throw new NotFoundError("Open invitation");
      await this.enqueueEmail(tx, inviteId, token, now);
      return tx.invite.findUniqueOrThrow({ where: { id: inviteId } });
    });
    return { invite, url: this.linkOf(token) };
  }

  /** Ends an open invitation: its link stops working. */
  async revokeInvitation(_viewer: AdminViewer, inviteId: string) {
    const revoked = await this.prisma.invite.updateMany({
      where: { id: inviteId, acceptedAt: null, revokedAt: null },
      data: { revokedAt: this.clock.now() },
    });
    if (revoked.count !== 1) throw new NotFoundError("Open invitation");
    return this.prisma.invite.findUniqueOrThrow({ where: { id: inviteId } });
  }

  /** What the email job needs: the address, the names and the link; null once the link was replaced, used or ended. */
  async invitationToSend(inviteId: string, sealedToken: string) {
    const invite = await this.prisma.invite.findUnique({ where: { id: inviteId }, include: { invitedBy: true } });
    if (!invite || !sealedToken || invite.acceptedAt || invite.revokedAt || invite.expiresAt <= this.clock.now())
      return null;
    const token = this.sealer.unseal(sealedToken);
    if (hashToken(token) !== invite.tokenHash) return null;
    return { invite, invitedBy: invite.invitedBy.name, url: this.linkOf(token) };
  }

  /** Promotes or demotes someone; the last active admin stays one. */
  async setRole(_viewer: AdminViewer, userId: string, role: Role) {
    const updated = await this.prisma.$transaction(async (tx) => {
      const user = await this.lockedUser(tx, userId);
      if (user.role === "ADMIN" && role !== "ADMIN") await this.keepAnAdmin(tx, user);
      return tx.user.update({ where: { id: userId }, data: { role } });
    });
    this.auth.authChanged(userId);
    return updated;
  }

  /**
   * Deactivates an account in one transaction: sign-ins revoked (every device, open subscriptions end), and their open
   * tickets either unassigned or all handed to `reassignToId`, an active agent or admin. Their tickets, messages and
   * history stay. Deactivating an account that already is changes nothing.
   */
  async deactivate(viewer: AdminViewer, input: { userId: string; reassignToId?: string | null }) {
    const now = this.clock.now();
    const { user, movedTicketIds } = await this.prisma.$transaction(async (tx) => {
      const user = await this.lockedUser(tx, input.userId);
      if (user.deactivatedAt) return { user, movedTicketIds: [] as string[] };
      if (user.role === "ADMIN") await this.keepAnAdmin(tx, user);
      if (user.id === viewer.userId)
        throw ValidationError.field("input.userId", "you cannot deactivate yourself; ask another admin");
      const reassignToId = input.reassignToId || null;
      if (reassignToId) await this.checkAssignee(tx, reassignToId, user.id);
      const open = await tx.ticket.findMany({
        where: { assigneeId: user.id, status: { in: [...OPEN_STATUSES] } },
        select: { id: true },
      });
      const movedTicketIds = open.map((ticket) => ticket.id);
      await tx.ticket.updateMany({
        where: { id: { in: movedTicketIds } },
        data: { assigneeId: reassignToId, updatedAt: now },
      });
      if (reassignToId && reassignToId !== viewer.userId) {
        for (const ticketId of movedTicketIds)
          await enqueueJob(tx, "email.ticketAssigned", { ticketId, assigneeId: reassignToId }, { runAt: now });
      }
      await tx.authSession.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: now } });
      const deactivated = await tx.user.update({ where: { id: user.id }, data: { deactivatedAt: now } });
      return { user: deactivated, movedTicketIds };
    });
    this.auth.authChanged(user.id);
    const moved = await this.prisma.ticket.findMany({
      where: { id: { in: movedTicketIds } },
      select: { id: true, requesterId: true },
    });
    for (const ticket of moved)
      await this.tickets.publish({ kind: "ASSIGNED", ticketId: ticket.id, requesterId: ticket.requesterId });
    return { user, movedTickets: movedTicketIds.length };
  }

  /** Lets a deactivated account sign in again (with its old password or a reset link); its role is kept. */
  async reactivate(_viewer: AdminViewer, userId: string) {
    const user = await this.prisma.user.findUnique({ where: { id: userId } });
    if (!user) throw new NotFoundError("User");
    if (!user.deactivatedAt) return user;
    return this.prisma.user.update({ where: { id: userId }, data: { deactivatedAt: null } });
  }

  private linkOf(token: string): string {
    return new URL(INVITE_PATH + token, this.options.publicUrl).toString();
  }

  private async enqueueEmail(tx: Tx, inviteId: string, token: string, now: Date) {
    await enqueueJob(tx, "email.teamInvite", { inviteId, sealedToken: this.sealer.seal(token) }, { runAt: now });
  }

  /** The user, with the admin guard's lock held until the transaction ends (so two admins cannot demote each other). */
  private async lockedUser(tx: Tx, userId: string) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_GUARD_LOCK}::bigint)`;
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw new NotFoundError("User");
    return user;
  }

  private async keepAnAdmin(tx: Tx, leaving: { id: string; deactivatedAt: Date | null }) {
    if (leaving.deactivatedAt) return;
    const others = await tx.user.count({ where: { role: "ADMIN", deactivatedAt: null, id: { not: leaving.id } } });
    if (others === 0) throw new LastAdminError(leaving.id);
  }

  private async checkAssignee(tx: Tx, assigneeId: string, leavingId: string) {
    const path = "input.reassignToId";
    if (assigneeId === leavingId) throw ValidationError.field(path, "choose someone other than the person leaving");
    const assignee = await tx.user.findUnique({ where: { id: assigneeId } });
    if (!assignee || !isStaff(assignee.role)) throw ValidationError.field(path, "choose an agent or admin");
    if (assignee.deactivatedAt) throw ValidationError.field(path, `${assignee.name} is deactivated`);
  }
}
