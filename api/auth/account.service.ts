import { z } from "zod";
import type { Clock } from "../clock.ts";
import {
  AccountDeactivatedError,
  EmailTakenError,
  InvalidCredentialsError,
  InvalidTokenError,
  ValidationError,
} from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { AccountTokenPurpose } from "../generated/prisma/enums.ts";
import { enqueueJob } from "../jobs/jobs.service.ts";
import type { AuthResult, AuthService, Viewer } from "./auth.service.ts";
import { newPassword } from "./auth.service.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import { TokenSealer } from "./sealed-token.ts";
import { hashToken, randomToken } from "./tokens.ts";

declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /** A password-reset or email-change link; the token travels sealed and is blanked once sent. */
    "email.accountLink": { tokenId: string; sealedToken: string };
    /** Tells the old address that the account's email changed (nothing secret). */
    "email.emailChanged": { userId: string; oldEmail: string };
  }
}

/** How long a password reset link works. */
export const PASSWORD_RESET_TTL_MS = 60 * 60_000;
/** How long the link confirming a new email address works. */
export const EMAIL_CHANGE_TTL_MS = 24 * 60 * 60_000;

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("enter a valid email address").max(254, "must be at most 254 characters"));

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error);
  return result.data;
}

/** One device's sign-in: the newest refresh session of a family (a sign-in and the refreshes that followed it). */
export interface SignIn {
  id: string;
  userAgent: string | null;
  signedInAt: Date;
  lastActiveAt: Date;
  current: boolean;
}

/**
 * What a user does with their own account: forgotten password (a single-use link by email, the same answer whether
 * or not the address has an account), password and email changes (a new address is confirmed from that inbox), their
 * sign-ins listed, and signing out everywhere. Links are random tokens stored hashed; the email job carries the token
 * sealed under the server secret.
 */
export class AccountService {
  private readonly sealer: TokenSealer;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly auth: AuthService,
    private readonly clock: Clock,
    options: { secret: string },
  ) {
    this.sealer = new TokenSealer(options.secret, "account-link");
  }

  /** Always resolves the same way: whether the address has an account is not told (the email says it). */
  async requestPasswordReset(address: string): Promise<void> {
    const data = parse(z.object({ email }), { email: address });
    const user = await this.prisma.user.findUnique({ where: { email: data.email } });
    if (!user || user.deactivatedAt) return;
    await this.issueLink(user.id, "PASSWORD_RESET", PASSWORD_RESET_TTL_MS);
  }

  /** Sets a new password from a reset link (once), ends every other sign-in, and signs this device in. */
  async resetPassword(input: { token: string; password: string }, userAgent?: string): Promise<AuthResult> {
    const data = parse(z.object({ token: z.string().min(1).max(200), password: newPassword }), input);
    const passwordHash = await hashPassword(data.password);
    const userId = await this.prisma.$transaction(async (tx) => {
      const link = await this.spend(tx, data.token, "PASSWORD_RESET", "Password reset link");
      await tx.user.update({ where: { id: link.userId }, data: { passwordHash } });
      return link.userId;
    });
    await this.auth.revokeSignIns(userId);
    return this.auth.signIn(userId, userAgent);
  }

  /** Changes the viewer's password (the current one required); other devices are signed out. */
  async changePassword(viewer: Viewer, input: { currentPassword: string; newPassword: string }): Promise<void> {
    const data = parse(
      z.object({ currentPassword: z.string().min(1, "enter your current password"), newPassword }),
      input,
    );
    await this.checkPassword(viewer.userId, data.currentPassword);
    await this.prisma.user.update({
      where: { id: viewer.userId },
      data: { passwordHash: await hashPassword(data.newPassword) },
    });
    await this.auth.revokeSignIns(viewer.userId, await this.familyOf(viewer));
  }

  /** Sends a confirmation link to the new address; the email changes only when it is followed. */
  async requestEmailChange(viewer: Viewer, input: { newEmail: string; currentPassword: string }): Promise<void> {
    const data = parse(
      z.object({ newEmail: email, currentPassword: z.string().min(1, "enter your current password") }),
      input,
    );
    await this.checkPassword(viewer.userId, data.currentPassword);
    if (data.newEmail === viewer.email) throw ValidationError.field("input.newEmail", "this is already your email");
    if (await this.prisma.user.findUnique({ where: { email: data.newEmail }, select: { id: true } }))
      throw new EmailTakenError();
    await this.issueLink(viewer.userId, "EMAIL_CHANGE", EMAIL_CHANGE_TTL_MS, data.newEmail);
  }

  /** Follows a confirmation link: the account's email becomes the new address; the old one is told. */
  async confirmEmailChange(token: string): Promise<{ userId: string; email: string }> {
    const result = await this.prisma.$transaction(async (tx) => {
      const link = await this.spend(tx, token, "EMAIL_CHANGE", "Email confirmation link");
      const newEmail = link.newEmail as string;
      if (await tx.user.findUnique({ where: { email: newEmail }, select: { id: true } })) throw new EmailTakenError();
      const before = await tx.user.findUniqueOrThrow({ where: { id: link.userId } });
      await tx.user.update({ where: { id: link.userId }, data: { email: newEmail } });
      await enqueueJob(
        tx,
        "email.emailChanged",
        { userId: link.userId, oldEmail: before.email },
        { runAt: this.clock.now() },
      );
      return { userId: link.userId, email: newEmail };
    });
    this.auth.authChanged(result.userId);
    return result;
  }

  /** The viewer's active sign-ins, most recently used first; `current` marks the one asking. */
  async signIns(viewer: Viewer): Promise<SignIn[]> {
    const now = this.clock.now();
    const rows = await this.prisma.authSession.findMany({
      where: { userId: viewer.userId, revokedAt: null, expiresAt: { gt: now } },
      orderBy: { createdAt: "desc" },
    });
    const currentFamily = await this.familyOf(viewer);
    const families = new Map<string, { live?: (typeof rows)[number]; first: Date; lastActive: Date }>();
    for (const row of rows) {
      const family = families.get(row.familyId) ?? { first: row.createdAt, lastActive: row.lastUsedAt };
      // The token not yet traded is the device's current one; a family whose tokens are all traded is over.
      if (!row.rotatedAt) family.live = row;
      if (row.createdAt < family.first) family.first = row.createdAt;
      if (row.lastUsedAt > family.lastActive) family.lastActive = row.lastUsedAt;
      families.set(row.familyId, family);
    }
    return [...families.entries()]
      .flatMap(([familyId, family]) =>
        family.live
          ? [
              {
                id: family.live.id,
                userAgent: family.live.userAgent,
                signedInAt: family.first,
                lastActiveAt: family.lastActive,
                current: familyId === currentFamily,
              },
            ]
          : [],
      )
      .sort((a, b) => b.lastActiveAt.getTime() - a.lastActiveAt.getTime());
  }

  /** Signs the viewer out on every device, this one included. */
  async signOutEverywhere(viewer: Viewer): Promise<number> {
    return this.auth.revokeSignIns(viewer.userId);
  }

  /** What the email job needs: the link's purpose, address and token (unsealed); null once spent or expired. */
  async linkToSend(tokenId: string, sealedToken: string) {
    const link = await this.prisma.accountToken.findUnique({ where: { id: tokenId }, include: { user: true } });
    if (!link || link.usedAt || link.expiresAt <= this.clock.now() || !sealedToken) return null;
    return {
      purpose: link.purpose,
      to: link.purpose === "EMAIL_CHANGE" ? (link.newEmail as string) : link.user.email,
      name: link.user.name,
      token: this.sealer.unseal(sealedToken),
      expiresAt: link.expiresAt,
    };
  }

  private async issueLink(userId: string, purpose: AccountTokenPurpose, ttlMs: number, newEmail?: string) {
    const now = this.clock.now();
    const token = randomToken();
    await this.prisma.$transaction(async (tx) => {
      // One live link per purpose: an earlier one stops working.
      await tx.accountToken.updateMany({ where: { userId, purpose, usedAt: null }, data: { usedAt: now } });
      const link = await tx.accountToken.create({
        data: {
          userId,
          purpose,
          tokenHash: hashToken(token),
          newEmail: newEmail ?? null,
          createdAt: now,
          expiresAt: new Date(now.getTime() + ttlMs),
        },
      });
      await enqueueJob(
        tx,
        "email.accountLink",
        { tokenId: link.id, sealedToken: this.sealer.seal(token) },
        { runAt: now },
      );
    });
  }

  /** Marks a link used, once: a second use, an expired or a replaced link is an InvalidTokenError. */
  private async spend(
    tx: Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0],
    token: string,
    purpose: AccountTokenPurpose,
    what: string,
  ) {
    const now = this.clock.now();
    const link = await tx.accountToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
    if (!link || link.purpose !== purpose || link.usedAt || link.expiresAt <= now) throw new InvalidTokenError(what);
    if (link.user.deactivatedAt) throw new AccountDeactivatedError();
    const spent = await tx.accountToken.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: now } });
    if (spent.count !== 1) throw new InvalidTokenError(what);
    return link;
  }

  private async checkPassword(userId: string, password: string): Promise<void> {
    const user = await this.prisma.user.findUniqueOrThrow({ where: { id: userId } });
    if (!(await verifyPassword(user.passwordHash, password))) throw new InvalidCredentialsError();
  }

  private async familyOf(viewer: Viewer): Promise<string | undefined> {
    const session = await this.prisma.authSession.findUnique({ where: { id: viewer.sessionId } });
    return session?.familyId;
  }
}
