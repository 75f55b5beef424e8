import { jwtVerify, SignJWT } from "jose";
import { LRUCache } from "lru-cache";
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
import type { Role } from "../generated/prisma/enums.ts";
import type { PubSub } from "../pubsub.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import { weakPasswordReason } from "./password-rules.ts";
import { hashToken, randomToken } from "./tokens.ts";

export interface Viewer {
  userId: string;
  sessionId: string;
  role: Role;
  email: string;
  name: string;
  /** When the access token that proved this sign-in expires (one access token per refresh session). */
  accessTokenExpiresAt: Date;
}

export interface AuthResult {
  userId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface AuthOptions {
  secret: string;
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  publicUrl: string;
  /** How long a checked sign-in is trusted without asking the database again; 0 asks on every request. */
  sessionCacheMs?: number;
}

/** What a verified access token says: the user, the refresh session it was issued for, and its expiry. */
interface AccessClaims {
  sub: string;
  sid: string;
  expiresAt: Date;
}

/** At most this many sign-ins (and checked tokens) are remembered per instance; the least recently used go first. */
const SESSION_CACHE_MAX = 10_000;

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("enter a valid email address").max(254, "must be at most 254 characters"));
const name = z.string().trim().min(1, "enter a name").max(100, "must be at most 100 characters");
export const newPassword = z
  .string()
  .min(8, "must be at least 8 characters")
  .max(200, "must be at most 200 characters")
  .superRefine((value, context) => {
    const reason = weakPasswordReason(value);
    if (reason) context.addIssue({ code: "custom", message: reason });
  });

export const signUpInput = z.object({ email, name, password: newPassword });
export const logInInput = z.object({ email, password: z.string().min(1, "enter your password") });
export const acceptInviteInput = z.object({ token: z.string().min(1), password: newPassword, name: name.optional() });

/**
 * How long after its trade a refresh token is still accepted as a retry rather than treated as stolen: long
 * enough for a lost answer (navigation, a dropped connection, a slow second tab), short enough that an old
 * token copied off a device is useless.
 */
export const REFRESH_RETRY_GRACE_MS = 30_000;
/** Serializes the "first account becomes admin" check across instances. */
const FIRST_USER_LOCK = 7_270_736_902;

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error);
  return result.data;
}

export class AuthService {
  private readonly key: Uint8Array;
  /**
   * Sign-ins checked recently, by session id. Every request carries a token, and asking the database each time
   * was a third of an inbox request's cost. Log-out, revocation and role changes drop a user's entries here at
   * once and, through the `authChanged` event, on every other instance; the expiry bounds what a lost event
   * (Redis away) could leave behind, and on Redis' return the app forgets everything.
   */
  private readonly sessions: LRUCache<string, Viewer>;
  /** Access tokens whose signature was checked, with their claims, each until it expires. */
  private readonly verifiedTokens: LRUCache<string, AccessClaims>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: AuthOptions,
    private readonly clock: Clock,
    private readonly pubsub?: PubSub,
  ) {
    this.key = new TextEncoder().encode(options.secret);
    // Entries expire on the app's clock, like the tokens they stand for.
    const perf = { now: () => clock.now().getTime() };
    const timing = { perf, ttlResolution: 0 };
    this.sessions = new LRUCache({ max: SESSION_CACHE_MAX, ttl: options.sessionCacheMs || undefined, ...timing });
    this.verifiedTokens = new LRUCache({ max: SESSION_CACHE_MAX, ...timing });
  }

  /** Drops what this instance remembers about a user's sign-ins (all of them without a user). */
  forgetSessions(userId?: string): void {
    if (userId === undefined) {
      this.sessions.clear();
      return;
    }
    for (const [id, viewer] of this.sessions.entries()) if (viewer.userId === userId) this.sessions.delete(id);
  }

  /** Forgets the user here and tells every other instance to. */
  authChanged(userId: string): void {
    this.forgetSessions(userId);
    this.pubsub?.publish("authChanged", { userId });
  }

  /** The first account on an empty install becomes the admin; everyone else signs up as a customer. */
  async signUp(input: z.input<typeof signUpInput>, userAgent?: string): Promise<AuthResult> {
    const data = parse(signUpInput, input);
    const passwordHash = await hashPassword(data.password);
    const user = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_USER_LOCK}::bigint)`;
      if (await tx.user.findUnique({ where: { email: data.email }, select: { id: true } })) throw new EmailTakenError();
      const isFirst = (await tx.user.count()) === 0;
      return tx.user.create({
        data: { email: data.email, name: data.name, passwordHash, role: isFirst ? "ADMIN" : "CUSTOMER" },
      });
    });
    return this.startSession(user.id, userAgent);
  }

  async logIn(input: z.input<typeof logInInput>, userAgent?: string): Promise<AuthResult> {
    const data = parse(logInInput, input);
    const user = await this.prisma.user.findUnique({ where: { email: data.email } });
    if (!(await verifyPassword(user?.passwordHash ?? null, data.password)) || !user)
      throw new InvalidCredentialsError();
    if (user.deactivatedAt) throw new AccountDeactivatedError();
    return this.startSession(user.id, userAgent);
  }

  /**
   * Trades a refresh token for a new pair. Each refresh token works once; presenting one that was already
   * used revokes every session descended from the same sign-in, since only a thief would hold it. The one
   * exception is a retry soon after the trade (REFRESH_RETRY_GRACE_MS): a page that navigated away while
   * its refresh was in flight, or two tabs refreshing at once, never saw or stored the new pair, and must not
   * be signed out for it. The retry gets a pair of its own in the same sign-in.
   */
  async refresh(refreshToken: string, userAgent?: string, retried = false): Promise<AuthResult> {
    const now = this.clock.now();
    const session = await this.prisma.authSession.findUnique({
      where: { refreshTokenHash: hashToken(refreshToken) },
      include: { user: { select: { deactivatedAt: true } } },
    });
    if (!session) throw new InvalidTokenError("Refresh token");
    // A deactivated account keeps no sign-in alive, and its holder is told why (the PWA signs out saying so).
    if (session.user.deactivatedAt) throw new AccountDeactivatedError();
    if (session.revokedAt || session.expiresAt <= now) throw new InvalidTokenError("Refresh token");
    const renew = () =>
      this.startSession(session.userId, userAgent ?? session.userAgent ?? undefined, session.familyId);
    if (session.rotatedAt) {
      if (now.getTime() - session.rotatedAt.getTime() <= REFRESH_RETRY_GRACE_MS) return renew();
      await this.prisma.authSession.updateMany({
        where: { familyId: session.familyId, revokedAt: null },
        data: { revokedAt: now },
      });
      this.authChanged(session.userId);
      throw new InvalidTokenError("Refresh token");
    }
    const claimed = await this.prisma.authSession.updateMany({
      where: { id: session.id, rotatedAt: null, revokedAt: null },
      data: { rotatedAt: now, lastUsedAt: now },
    });
    if (claimed.count === 1) return renew();
    // A concurrent request traded it (a retry, see above) or signed out: look again, once.
    if (retried) throw new InvalidTokenError("Refresh token");
    return this.refresh(refreshToken, userAgent, true);
  }

  /** Revokes the viewer's sign-in (every token issued from it) at once. */
  async logOut(viewer: Viewer): Promise<void> {
    const session = await this.prisma.authSession.findUnique({ where: { id: viewer.sessionId } });
    if (!session) return;
    await this.prisma.authSession.updateMany({
      where: { familyId: session.familyId, revokedAt: null },
      data: { revokedAt: this.clock.now() },
    });
    this.authChanged(session.userId);
  }

  /** Resolves an access token to its viewer, or null when it is invalid, expired or its session was revoked. */
  async authenticate(accessToken: string): Promise<Viewer | null> {
    const claims = await this.verifyAccessToken(accessToken);
    if (!claims) return null;
    const cached = this.sessions.get(claims.sid);
    if (cached && cached.userId === claims.sub) return cached;
    return this.loadViewer(claims);
  }

  /**
   * Whether a sign-in checked earlier still stands as it was: not revoked, same role. Long-lived operations
   * (subscriptions) ask this when the user's sign-ins changed; it reads the database, not the cache.
   */
  async stillSignedIn(viewer: Viewer): Promise<boolean> {
    const current = await this.loadViewer({
      sub: viewer.userId,
      sid: viewer.sessionId,
      expiresAt: viewer.accessTokenExpiresAt,
    });
    return current !== null && current.role === viewer.role;
  }

  private async loadViewer(claims: AccessClaims): Promise<Viewer | null> {
    const session = await this.prisma.authSession.findUnique({
      where: { id: claims.sid },
      include: { user: { select: { id: true, role: true, email: true, name: true, deactivatedAt: true } } },
    });
    if (!session || session.revokedAt || session.userId !== claims.sub || session.user.deactivatedAt) return null;
    const { user } = session;
    const viewer: Viewer = {
      userId: user.id,
      sessionId: session.id,
      role: user.role,
      email: user.email,
      name: user.name,
      accessTokenExpiresAt: claims.expiresAt,
    };
    if ((this.options.sessionCacheMs ?? 0) > 0) this.sessions.set(session.id, viewer);
    return viewer;
  }

  /**
   * The claims of a valid access token. With the sign-in cache on, a token checked once is remembered until it
   * expires (the same bytes verify the same way), which takes the signature check off every request after the first.
   */
  private async verifyAccessToken(accessToken: string): Promise<AccessClaims | null> {
    const known = this.verifiedTokens.get(accessToken);
    if (known) return known;
    let payload: { sub?: string; sid?: unknown; exp?: number };
    try {
      ({ payload } = await jwtVerify(accessToken, this.key, { algorithms: ["HS256"], currentDate: this.clock.now() }));
    } catch {
      return null;
    }
    if (typeof payload.sid !== "string" || !payload.sub || typeof payload.exp !== "number") return null;
    const claims = { sub: payload.sub, sid: payload.sid, expiresAt: new Date(payload.exp * 1000) };
    const validForMs = Math.floor(payload.exp * 1000 - this.clock.now().getTime());
    if ((this.options.sessionCacheMs ?? 0) > 0 && validForMs > 0) {
      this.verifiedTokens.set(accessToken, claims, { ttl: validForMs });
    }
    return claims;
  }

  /** Accepting creates the account with the invited role, or promotes the existing account with that email. */
  async acceptInvite(input: z.input<typeof acceptInviteInput>, userAgent?: string): Promise<AuthResult> {
    const data = parse(acceptInviteInput, input);
    const now = this.clock.now();
    const passwordHash = await hashPassword(data.password);
    const userId = await this.prisma.$transaction(async (tx) => {
      const invite = await tx.invite.findUnique({ where: { tokenHash: hashToken(data.token) } });
      if (!invite || invite.acceptedAt || invite.revokedAt || invite.expiresAt <= now)
        throw new InvalidTokenError("Invitation");
      const existing = await tx.user.findUnique({ where: { email: invite.email }, select: { deactivatedAt: true } });
      if (existing?.deactivatedAt) throw new AccountDeactivatedError();
      await tx.invite.update({ where: { id: invite.id }, data: { acceptedAt: now } });
      const user = await tx.user.upsert({
        where: { email: invite.email },
        create: { email: invite.email, name: data.name ?? invite.name, role: invite.role, passwordHash },
        update: { role: invite.role, passwordHash },
      });
      return user.id;
    });
    this.authChanged(userId);
    return this.startSession(userId, userAgent);
  }

  /**
   * Ends a user's sign-ins at once (every device; all but `keepFamilyId`, the one asking, when given): their refresh
   * tokens stop working and their access tokens are refused from the next request on (the sign-in cache is dropped
   * here and on every instance; open subscriptions end with UNAUTHENTICATED).
   */
  async revokeSignIns(userId: string, keepFamilyId?: string): Promise<number> {
    const revoked = await this.prisma.authSession.updateMany({
      where: { userId, revokedAt: null, ...(keepFamilyId ? { familyId: { not: keepFamilyId } } : {}) },
      data: { revokedAt: this.clock.now() },
    });
    this.authChanged(userId);
    return revoked.count;
  }

  /** A new sign-in for a user whose identity another step proved (a password reset link). */
  signIn(userId: string, userAgent?: string): Promise<AuthResult> {
    return this.startSession(userId, userAgent);
  }

  private async startSession(userId: string, userAgent?: string, familyId?: string): Promise<AuthResult> {
    const now = this.clock.now();
    const refreshToken = randomToken();
    const refreshTokenExpiresAt = new Date(now.getTime() + this.options.refreshTokenTtlMs);
    const session = await this.prisma.authSession.create({
      data: {
        userId,
        refreshTokenHash: hashToken(refreshToken),
        familyId: familyId ?? randomToken(),
        userAgent: userAgent?.slice(0, 300),
        createdAt: now,
        lastUsedAt: now,
        expiresAt: refreshTokenExpiresAt,
      },
    });
    const accessTokenExpiresAt = new Date(now.getTime() + this.options.accessTokenTtlMs);
    const accessToken = await new SignJWT({ sid: session.id })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(accessTokenExpiresAt.getTime() / 1000))
      .sign(this.key);
    return { userId, accessToken, accessTokenExpiresAt, refreshToken, refreshTokenExpiresAt };
  }
}
