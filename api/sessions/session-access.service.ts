import type { Viewer } from "../auth/auth.service.ts";
import { hashToken, randomToken } from "../auth/tokens.ts";
import { NotFoundError } from "../errors.ts";
import type { LiveSession, Prisma, PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import type { LiveSessionStatus } from "../generated/prisma/enums.ts";
import { isClosed, LinkCipher } from "./sessions.rules.ts";

export interface ParticipantAuth {
  participantId: string;
  sessionId: string;
  /**
   * The participant's row and their session's status as read when the token was checked, for this request only:
   * the scopes and services of the same request use it instead of reading the row again (a webinar's 300 viewers
   * subscribing at once read the database 15 times each, 5 with this). Dropped by `forgetScopeResults`, so a
   * subscription's later events read fresh state.
   */
  snapshot?: { row: SessionParticipant; sessionStatus: LiveSessionStatus };
}

export interface SessionAccessOptions {
  secret: string;
  publicUrl: string;
  /** Checks a user's access token (the host's peer may present it instead of a participant token). */
  authenticateUser: (accessToken: string) => Promise<Viewer | null>;
}

/** Who may manage a session, who a token or peer id belongs to, and the session's access link. */
export class SessionAccessService {
  private readonly links: LinkCipher;
  private readonly codes: LinkCipher;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: SessionAccessOptions,
  ) {
    this.links = new LinkCipher(options.secret);
    this.codes = new LinkCipher(options.secret, "session-verification-code");
  }

  /** A verification code as the `email.verificationCode` job carries it: encrypted, never plain in the job row. */
  sealVerificationCode(code: string): string {
    return this.codes.encrypt(code);
  }

  openVerificationCode(sealed: string): string {
    return this.codes.decrypt(sealed);
  }

  /** The host of a session and admins manage it: the rule behind the `sessionManager` scope (auth/scopes.ts). */
  canManage(viewer: Viewer | null, session: Pick<LiveSession, "hostId">): boolean {
    return viewer !== null && (viewer.role === "ADMIN" || viewer.userId === session.hostId);
  }

  /** The session, or NotFound: for services acting for a caller the field's scopes already let through. */
  async existingSession(
    sessionId: string,
    tx: Prisma.TransactionClient | PrismaClient = this.prisma,
  ): Promise<LiveSession> {
    const session = await tx.liveSession.findUnique({ where: { id: sessionId } });
    if (!session) throw new NotFoundError("LiveSession");
    return session;
  }

  /** A participant token's identity while it is valid: the participant is not removed and the session is open. */
  async authenticateParticipant(token: string): Promise<ParticipantAuth | null> {
    if (!token) return null;
    const found = await this.prisma.sessionParticipant.findUnique({
      where: { tokenHash: hashToken(token) },
      include: { session: { select: { status: true } } },
    });
    if (!found || found.status === "REMOVED" || found.status === "DENIED") return null;
    if (isClosed(found.session.status)) return null;
    const { session, ...row } = found;
    return {
      participantId: row.id,
      sessionId: row.sessionId,
      snapshot: { row, sessionStatus: session.status },
    };
  }

  /**
   * For the signaling server: the participant behind a peer id, when `token` is that participant's token (or, for
   * the host's peer, the host's access token), the participant is admitted and the session is live.
   */
  async resolvePeer(peerId: string, token: string): Promise<{ sessionId: string; participantId: string } | null> {
    if (!peerId || !token) return null;
    const participant = await this.prisma.sessionParticipant.findUnique({
      where: { peerId },
      include: { session: { select: { status: true, hostId: true } } },
    });
    if (participant?.status !== "ADMITTED" || participant.session.status !== "LIVE") return null;
    let allowed = participant.tokenHash !== null && participant.tokenHash === hashToken(token);
    if (!allowed && participant.role === "HOST") {
      const viewer = await this.options.authenticateUser(token).catch(() => null);
      allowed = viewer !== null && viewer.userId === participant.session.hostId;
    }
    return allowed ? { sessionId: participant.sessionId, participantId: participant.id } : null;
  }

  /** For the signaling server: the session a peer id was issued for, connected or not; null for any other id. */
  async sessionOfPeer(peerId: string): Promise<string | null> {
    const participant = await this.prisma.sessionParticipant.findUnique({
      where: { peerId },
      select: { sessionId: true },
    });
    return participant?.sessionId ?? null;
  }

  /** The host's own participant row (created with the session). */
  hostParticipant(sessionId: string, tx: Prisma.TransactionClient | PrismaClient = this.prisma) {
    return tx.sessionParticipant.findFirstOrThrow({ where: { sessionId, role: "HOST" } });
  }

  /** A fresh access link's columns: the token's hash to look it up, and the token encrypted to show it again. */
  newLink(): Pick<LiveSession, "linkTokenHash" | "linkTokenEncrypted"> {
    const token = randomToken();
    return { linkTokenHash: hashToken(token), linkTokenEncrypted: this.links.encrypt(token) };
  }

  linkToken(session: Pick<LiveSession, "linkTokenEncrypted">): string {
    return this.links.decrypt(session.linkTokenEncrypted);
  }

  joinUrl(session: Pick<LiveSession, "linkTokenEncrypted">): string {
    return `${this.options.publicUrl}/session/join/${this.linkToken(session)}`;
  }
}
