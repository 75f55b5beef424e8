import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from "node:crypto";
import type { LiveSessionStatus, LiveSessionType, ParticipantStatus } from "../generated/prisma/enums.ts";

/** Capacity when the host does not choose one: meshes stay small, webinars fill the limit. */
export const defaultMaxParticipants: Record<LiveSessionType, number> = {
  WEBINAR: 100,
  TRAINING: 25,
  CONSULTATION: 4,
  SUPPORT_CALL: 4,
};
export const MAX_PARTICIPANTS_LIMIT = 100;
/**
 * The most a webinar may seat when WEBINAR_MAX_PARTICIPANTS raises its limit (a media server carries it; bench:webinar
 * measured 300 viewers on 2 cores). The input accepts up to this; the scheduling service applies the configured limit.
 */
export const MAX_PARTICIPANTS_CEILING = 1000;

/** The seat limit of a session type: webinars may have a configured one, every other type stays at 100. */
export function seatLimit(type: LiveSessionType, webinarMaxParticipants: number): number {
  return type === "WEBINAR" ? webinarMaxParticipants : MAX_PARTICIPANTS_LIMIT;
}
export const DEFAULT_REMINDER_OFFSETS = [60, 15];
/** How far in the past a start may be and still count as "now" (clock skew, slow forms). */
export const START_GRACE_MS = 60_000;
export const ESCALATION_LEAD_MS = 15 * 60_000;
export const SUPPORT_CALL_LENGTH_MS = 30 * 60_000;
export const CHAT_MAX_LENGTH = 2000;
/** The reactions anyone in a call may send (app/features/call/ControlBar.tsx shows the same set). */
export const REACTION_EMOJI = ["👍", "❤️", "😂", "🎉", "👏", "😮"] as const;
export const VERIFICATION_MAX_ATTEMPTS = 5;

/**
 * The order in which `joinSession` checks a request; each refusal has its own error type.
 * Documented in docs/sessions.md; the tests walk it step by step.
 */
export const joinCheckOrder = [
  "SESSION_NOT_FOUND",
  "SESSION_ENDED",
  "EMAIL_DOMAIN_NOT_ALLOWED",
  "EMAIL_VERIFICATION",
  "WRONG_PASSWORD",
  "PARTICIPANT_REMOVED",
  "SESSION_LOCKED",
  "SESSION_FULL",
  "RECORDING_CONSENT_REQUIRED",
] as const;

export function isClosed(status: LiveSessionStatus): status is "ENDED" | "CANCELLED" {
  return status === "ENDED" || status === "CANCELLED";
}

/** Participants who hold a seat: the host never counts against capacity. */
export const seatHolding: ParticipantStatus = "ADMITTED";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A readable public id such as SES-7KQ2M9XA (40 random bits; uniqueness is enforced by the database). */
export function newPublicId(): string {
  let id = "";
  for (let index = 0; index < 8; index++) id += CROCKFORD[randomInt(32)];
  return `SES-${id}`;
}

/** 160-bit hex: PeerJS accepts only [A-Za-z0-9] with single separators, and this cannot be guessed. */
export function newPeerId(): string {
  return randomBytes(20).toString("hex");
}

export function newRoomId(): string {
  return `room_${randomBytes(16).toString("hex")}`;
}

/** A six-digit code: short enough to type; guessing is bounded by the attempt counter. */
export function newVerificationCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

export function hashVerificationCode(verificationId: string, code: string): string {
  return createHash("sha256").update(`${verificationId}:${code}`).digest("hex");
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1).toLowerCase();
}

/** Exact domain match; `example.com` does not admit `evil-example.com` nor `sub.example.com`. */
export function domainAllowed(email: string, allowedDomains: readonly string[]): boolean {
  return allowedDomains.length === 0 || allowedDomains.includes(emailDomain(email));
}

/** Reminder instants still ahead of `now`, one per offset. */
export function dueReminders(startsAt: Date, offsets: readonly number[], now: Date) {
  return [...new Set(offsets)]
    .map((offsetMinutes) => ({ offsetMinutes, runAt: new Date(startsAt.getTime() - offsetMinutes * 60_000) }))
    .filter((reminder) => reminder.runAt.getTime() > now.getTime());
}

export function reminderKeyPrefix(sessionId: string): string {
  return `reminder:${sessionId}:`;
}

export function reminderKey(sessionId: string, offsetMinutes: number, startsAt: Date): string {
  return `${reminderKeyPrefix(sessionId)}${offsetMinutes}:${startsAt.toISOString()}`;
}

/**
 * The access link token is kept encrypted so the host can copy the link again; lookups go through its hash. Also
 * seals verification codes on their way to the mailer (another `purpose`, so another key). AES-256-GCM with a key
 * derived from the server secret.
 */
export class LinkCipher {
  private readonly key: Buffer;
  constructor(secret: string, purpose = "live-session-link") {
    this.key = createHash("sha256").update(`${purpose}:${secret}`).digest();
  }

  encrypt(token: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
    return [iv, cipher.getAuthTag(), data].map((part) => part.toString("base64url")).join(".");
  }

  decrypt(sealed: string): string {
    const [iv, tag, data] = sealed.split(".").map((part) => Buffer.from(part, "base64url"));
    if (!iv || !tag || !data) throw new Error("malformed sealed link token");
    const decipher = createDecipheriv("aes-256-gcm", this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
  }
}
