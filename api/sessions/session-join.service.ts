import { verifyPassword } from "../auth/password.ts";
import { hashToken, randomToken } from "../auth/tokens.ts";
import type { Clock } from "../clock.ts";
import { ValidationError } from "../errors.ts";
import type { LiveSession, Prisma, PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import { enqueueJob } from "../jobs/jobs.service.ts";
import { noMediaState } from "../media/media.events.ts";
import type { RateLimits } from "../ops/rate-limit.ts";
import type { ParticipantAuth } from "./session-access.service.ts";
import "./sessions.jobs.ts";
import { batchOrEach, KeyedBatches, type Settled } from "../ops/keyed-queue.ts";
import { assertSeatFree, peerToPeerOnly, type SeatPolicy } from "./seat-limits.ts";
import {
  EmailDomainNotAllowedError,
  EmailVerificationRequiredError,
  InvalidVerificationCodeError,
  ParticipantRemovedError,
  RecordingConsentRequiredError,
  SessionEndedError,
  SessionLockedError,
  SessionNotFoundError,
  TooManyAttemptsError,
  WrongPasswordError,
} from "./sessions.errors.ts";
import { joinInput, parse, verificationCodeRequestInput } from "./sessions.inputs.ts";
import {
  domainAllowed,
  hashVerificationCode,
  isClosed,
  newPeerId,
  newVerificationCode,
  VERIFICATION_MAX_ATTEMPTS,
} from "./sessions.rules.ts";
import { admittedCount, closeVisits, lockSession, openVisit, type SessionEvents } from "./sessions.store.ts";

export interface JoinLimits {
  verificationCodeTtlMs: number;
  joinAttemptsPer10Min: number;
  passwordFailuresPer15Min: number;
  verificationRequestsPer15Min: number;
}

/** A joiner past the checks that need no lock (link, domain, verification, password), waiting for a seat. */
interface Joiner {
  data: ReturnType<typeof joinInput.parse>;
  tokenHash: string;
  joinAddressHash: string;
}

type Tx = Prisma.TransactionClient;

export interface JoinResult {
  participantToken: string;
  participantId: string;
  sessionId: string;
}

/** The public side: looking up a link, proving an email address, joining, leaving, consenting to recording. */
export class SessionJoinService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly events: SessionEvents,
    private readonly options: {
      limits: JoinLimits;
      rateLimits: RateLimits;
      sealCode: (code: string) => string;
      seats?: SeatPolicy;
    },
  ) {}

  /**
   * A session's joins on this instance wait for each other here, not on its row lock, and those that waited are
   * seated together in one transaction (api/ops/keyed-queue.ts, `joinBatch`).
   */
  private readonly joins = new KeyedBatches<Joiner, SessionParticipant>((sessionId, joiners) =>
    this.joinBatch(sessionId, joiners),
  );

  async byLink(token: string): Promise<LiveSession | null> {
    if (!token || token.length > 200) return null;
    return this.prisma.liveSession.findUnique({ where: { linkTokenHash: hashToken(token) } });
  }

  /** Sends a one-time code to prove the joiner owns `email` (sessions that require verification). */
  async requestVerificationCode(input: unknown, clientAddress: string): Promise<{ expiresAt: Date }> {
    const data = parse(verificationCodeRequestInput, input);
    const linkKey = hashToken(data.token);
    const limit = this.options.limits.verificationRequestsPer15Min;
    for (const key of [`verify:${linkKey}:${data.email}`, `verify:${linkKey}:${clientAddress}`]) {
      await this.options.rateLimits.session(key, { limit, windowMs: 15 * 60_000 });
    }
    const session = await this.byLink(data.token);
    if (!session) throw new SessionNotFoundError();
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (!domainAllowed(data.email, session.allowedEmailDomains))
      throw new EmailDomainNotAllowedError(session.allowedEmailDomains);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.options.limits.verificationCodeTtlMs);
    const code = newVerificationCode();
    await this.prisma.$transaction(async (tx) => {
      const verification = await tx.sessionEmailVerification.create({
        data: {
          sessionId: session.id,
          email: data.email,
          codeHash: "pending",
          expiresAt,
          maxAttempts: VERIFICATION_MAX_ATTEMPTS,
          createdAt: now,
        },
      });
      await tx.sessionEmailVerification.update({
        where: { id: verification.id },
        data: { codeHash: hashVerificationCode(verification.id, code) },
      });
      const sealedCode = this.options.sealCode(code);
      await enqueueJob(tx, "email.verificationCode", { verificationId: verification.id, sealedCode }, { runAt: now });
    });
    return { expiresAt };
  }

  /**
   * Joins through the access link. Checks in this order, each with its own error: link exists, session not
   * ended/cancelled, email domain allowed, email verified, password, not removed/denied, not locked, capacity,
   * recording consent. Then the participant waits or is admitted; rejoining with the same email resumes the row.
   */
  async join(input: unknown, clientAddress: string): Promise<JoinResult> {
    const data = parse(joinInput, input);
    const linkKey = hashToken(data.token);
    const { limits } = this.options;
    await this.options.rateLimits.session(`join:${linkKey}:${clientAddress}`, {
      limit: limits.joinAttemptsPer10Min,
      windowMs: 10 * 60_000,
    });

    const session = await this.prisma.liveSession.findUnique({ where: { linkTokenHash: linkKey } });
    if (!session) throw new SessionNotFoundError();
    if (isClosed(session.status)) throw new SessionEndedError(session.status);
    if (!domainAllowed(data.email, session.allowedEmailDomains))
      throw new EmailDomainNotAllowedError(session.allowedEmailDomains);
    if (session.emailVerificationRequired) await this.checkVerification(session.id, data.email, data.verificationCode);
    if (session.passwordHash) {
      const passwordKey = `password:${linkKey}:${clientAddress}`;
      const passwordRule = { limit: limits.passwordFailuresPer15Min, windowMs: 15 * 60_000 };
      await this.options.rateLimits.sessionBlocked(passwordKey, passwordRule);
      if (!(await verifyPassword(session.passwordHash, data.password ?? ""))) {
        await this.options.rateLimits.sessionCount(passwordKey, passwordRule);
        throw new WrongPasswordError();
      }
    }

    const token = randomToken();
    const participant = await this.joins.run(session.id, {
      data,
      tokenHash: hashToken(token),
      joinAddressHash: hashToken(`${session.id}:${clientAddress}`),
    });
    return { participantToken: token, participantId: participant.id, sessionId: session.id };
  }

  /**
   * The joins that queued for a session while its previous batch ran, in one transaction under the session's row
   * lock: the capacity count and the inserts see the same state, for every instance (server mode). Each joiner gets
   * its own outcome: a typed error for one (session full, locked, removed…) leaves the others' rows written. If the
   * transaction fails as a whole, each joiner is tried again on their own, so one cannot fail the others.
   */
  private async joinBatch(sessionId: string, joiners: Joiner[]): Promise<Settled<SessionParticipant>[]> {
    // A batch whose transaction fails as a whole is seated again one joiner at a time: nobody fails for another.
    const outcomes = await batchOrEach(joiners, (some) =>
      this.prisma.$transaction((tx) => this.seatJoiners(tx, sessionId, some)),
    );
    // Published after the commit, together (the session's stream log appends them in one batch, in this order).
    await Promise.all(
      outcomes.map((outcome) =>
        outcome.ok
          ? this.events.publish(
              outcome.value.status === "WAITING" ? "PARTICIPANT_WAITING" : "PARTICIPANT_JOINED",
              sessionId,
              { participantId: outcome.value.id },
            )
          : undefined,
      ),
    );
    return outcomes;
  }

  /** Seats the joiners in arrival order, inside the caller's transaction; a few statements for the whole batch. */
  private async seatJoiners(tx: Tx, sessionId: string, joiners: Joiner[]): Promise<Settled<SessionParticipant>[]> {
    const now = this.clock.now();
    const locked = await lockSession(tx, sessionId);
    const outcomes: Settled<SessionParticipant>[] = new Array(joiners.length);
    let admitted: number | null = null;
    // One joiner per email address in a round: a second join with the same address (a double click) comes in the
    // next round and sees the first one's row, as it would have in a transaction of its own.
    let pending = joiners.map((joiner, index) => ({ joiner, index }));
    while (pending.length > 0) {
      const emails = new Set<string>();
      const round: typeof pending = [];
      const later: typeof pending = [];
      for (const entry of pending) {
        if (emails.has(entry.joiner.data.email)) later.push(entry);
        else {
          emails.add(entry.joiner.data.email);
          round.push(entry);
        }
      }
      pending = later;
      const existingRows = await tx.sessionParticipant.findMany({
        where: { sessionId, email: { in: [...emails] } },
      });
      const existingOf = new Map(existingRows.map((row) => [row.email, row]));
      const removedAddresses = new Set(
        (
          await tx.sessionParticipant.findMany({
            where: {
              sessionId,
              joinAddressHash: { in: [...new Set(round.map(({ joiner }) => joiner.joinAddressHash))] },
              status: { in: ["REMOVED", "DENIED"] },
            },
            select: { joinAddressHash: true },
          })
        ).map((row) => row.joinAddressHash),
      );
      const creates: { index: number; row: Prisma.SessionParticipantCreateManyInput }[] = [];
      const updates: { index: number; id: string; fields: Prisma.SessionParticipantUpdateInput }[] = [];
      for (const { joiner, index } of round) {
        try {
          const { data, tokenHash, joinAddressHash } = joiner;
          if (isClosed(locked.status)) throw new SessionEndedError(locked.status);
          const existing = existingOf.get(data.email);
          if (existing?.role === "HOST")
            throw ValidationError.field("input.email", "this is the host's address; sign in to host the session");
          if (existing?.status === "REMOVED" || existing?.status === "DENIED")
            throw new ParticipantRemovedError(existing.status);
          const alreadyIn = existing?.status === "ADMITTED";
          // Admitted before and left (or let back by the host after a removal): may come back into a locked room.
          const returning = alreadyIn || (existing?.status === "LEFT" && existing.admittedAt !== null);
          if (!returning && locked.locked) throw new SessionLockedError();
          // Someone the host removed or denied cannot walk back in under another email from the same address: the
          // newcomer waits for the host instead (colleagues behind one office NAT still get in, once admitted).
          const sharesRemovedAddress = !returning && removedAddresses.has(joinAddressHash);
          const waits = !alreadyIn && (locked.waitingRoom || locked.requiresApproval || sharesRemovedAddress);
          if (!alreadyIn && !waits) {
            admitted ??= await admittedCount(tx, sessionId);
            assertSeatFree(this.options.seats ?? peerToPeerOnly, locked, admitted);
          }
          const consented = data.recordingConsent === true || existing?.recordingConsentAt != null;
          if (locked.recording && !waits && !consented) throw new RecordingConsentRequiredError();
          const status = waits ? "WAITING" : "ADMITTED";
          if (status === "ADMITTED" && !alreadyIn && admitted !== null) admitted++;
          const fields = {
            name: data.name,
            status,
            tokenHash,
            joinAddressHash,
            leftAt: null,
            ...(data.recordingConsent && !existing?.recordingConsentAt ? { recordingConsentAt: now } : {}),
            ...(status === "ADMITTED" && !alreadyIn ? { admittedAt: now } : {}),
          } as const;
          if (existing) updates.push({ index, id: existing.id, fields });
          else
            creates.push({
              index,
              row: {
                ...fields,
                sessionId,
                email: data.email,
                role: "ATTENDEE",
                peerId: newPeerId(),
                firstJoinedAt: now,
                createdAt: now,
              },
            });
        } catch (error) {
          outcomes[index] = { ok: false, error };
        }
      }
      const written: { index: number; participant: SessionParticipant }[] = [];
      if (creates.length > 0) {
        const rows = await tx.sessionParticipant.createManyAndReturn({ data: creates.map(({ row }) => row) });
        const byEmail = new Map(rows.map((row) => [row.email, row]));
        for (const { index, row } of creates) {
          const participant = byEmail.get(row.email);
          if (!participant) throw new Error(`the participant row for ${row.email} was not returned`);
          written.push({ index, participant });
        }
      }
      for (const { index, id, fields } of updates)
        written.push({ index, participant: await tx.sessionParticipant.update({ where: { id }, data: fields }) });
      // Visits of the admitted: new rows have none open; a returning participant's may be (openVisit checks).
      const fresh = new Set(creates.map(({ index }) => index));
      const visits = written
        .filter(({ index, participant }) => fresh.has(index) && participant.status === "ADMITTED")
        .map(({ participant }) => ({ sessionId, participantId: participant.id, joinedAt: now }));
      if (visits.length > 0) await tx.sessionVisit.createMany({ data: visits });
      for (const { index, participant } of written) {
        if (!fresh.has(index) && participant.status === "ADMITTED") await openVisit(tx, participant, now);
        outcomes[index] = { ok: true, value: participant };
      }
    }
    return outcomes;
  }

  private async checkVerification(sessionId: string, address: string, code: string | null | undefined) {
    const verified = await this.prisma.sessionEmailVerification.findFirst({
      where: { sessionId, email: address, verifiedAt: { not: null } },
      select: { id: true },
    });
    if (verified) return;
    const latest = await this.prisma.sessionEmailVerification.findFirst({
      where: { sessionId, email: address },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    });
    if (!code) throw new EmailVerificationRequiredError();
    if (!latest || latest.expiresAt <= this.clock.now())
      throw new EmailVerificationRequiredError("The code has expired or was never requested: request a new code");
    // Counted in the database before comparing, so parallel guesses cannot exceed the limit.
    const counted = await this.prisma.sessionEmailVerification.updateMany({
      where: { id: latest.id, attempts: { lt: latest.maxAttempts }, verifiedAt: null },
      data: { attempts: { increment: 1 } },
    });
    if (counted.count === 0) throw new TooManyAttemptsError();
    if (hashVerificationCode(latest.id, code) !== latest.codeHash) {
      const attemptsLeft = latest.maxAttempts - latest.attempts - 1;
      if (attemptsLeft <= 0) throw new TooManyAttemptsError();
      throw new InvalidVerificationCodeError(attemptsLeft);
    }
    await this.prisma.sessionEmailVerification.update({
      where: { id: latest.id },
      data: { verifiedAt: this.clock.now() },
    });
  }

  /** The participant leaves; their token stays valid so they can come back (same row, a new visit). */
  async leave(participant: ParticipantAuth): Promise<SessionParticipant> {
    const now = this.clock.now();
    const left = await this.prisma.$transaction(async (tx) => {
      const row = await tx.sessionParticipant.findUniqueOrThrow({ where: { id: participant.participantId } });
      if (row.role === "HOST") throw ValidationError.field("participantToken", "the host ends the session instead");
      const updated = await tx.sessionParticipant.update({
        where: { id: row.id },
        data: { status: "LEFT", leftAt: now, handRaisedAt: null, ...noMediaState },
      });
      await closeVisits(tx, { participantId: row.id }, now);
      return updated;
    });
    await this.events.publish("PARTICIPANT_LEFT", left.sessionId, { participantId: left.id });
    this.events.revokePeers(left.sessionId, [left.peerId]);
    return left;
  }

  async giveRecordingConsent(participant: ParticipantAuth): Promise<SessionParticipant> {
    const now = this.clock.now();
    const updated = await this.prisma.sessionParticipant.update({
      where: { id: participant.participantId },
      data: { recordingConsentAt: now },
    });
    await this.events.publish("PARTICIPANT_UPDATED", updated.sessionId, { participantId: updated.id });
    return updated;
  }
}
