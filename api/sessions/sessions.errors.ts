import { DomainError } from "../errors.ts";

/** Expected failures of the sessions domain; each is a member of the result union of the mutations that raise it. */

export class SessionNotFoundError extends DomainError {
  override readonly code = "SESSION_NOT_FOUND";
  constructor() {
    super("This session link is not valid; check the link in your invitation");
  }
}

export class SessionEndedError extends DomainError {
  override readonly code = "SESSION_ENDED";
  constructor(readonly status: "ENDED" | "CANCELLED") {
    super(status === "CANCELLED" ? "This session was cancelled" : "This session has ended");
  }
}

export class EmailDomainNotAllowedError extends DomainError {
  override readonly code = "EMAIL_DOMAIN_NOT_ALLOWED";
  constructor(readonly allowedDomains: string[]) {
    super(`Only addresses at ${allowedDomains.join(", ")} may join this session`);
  }
}

export class EmailVerificationRequiredError extends DomainError {
  override readonly code = "EMAIL_VERIFICATION_REQUIRED";
  constructor(reason = "This session requires you to verify your email: request a code and enter it") {
    super(reason);
  }
}

export class InvalidVerificationCodeError extends DomainError {
  override readonly code = "INVALID_VERIFICATION_CODE";
  constructor(readonly attemptsLeft: number) {
    super(`The code is not correct; ${attemptsLeft} attempt(s) left`);
  }
}

export class TooManyAttemptsError extends DomainError {
  override readonly code = "TOO_MANY_ATTEMPTS";
  constructor() {
    super("Too many wrong codes: request a new code");
  }
}

export class WrongPasswordError extends DomainError {
  override readonly code = "WRONG_PASSWORD";
  constructor() {
    super("The session password is not correct");
  }
}

export class ParticipantRemovedError extends DomainError {
  override readonly code = "PARTICIPANT_REMOVED";
  constructor(readonly reason: "REMOVED" | "DENIED") {
    super(
      reason === "REMOVED"
        ? "The host removed you from this session; you can join again only if the host lets you back in"
        : "The host declined your request to join; you can join again only if the host lets you in",
    );
  }
}

export class SessionLockedError extends DomainError {
  override readonly code = "SESSION_LOCKED";
  constructor() {
    super("The host has locked this session; nobody new can join");
  }
}

export class SessionFullError extends DomainError {
  override readonly code = "SESSION_FULL";
  constructor(readonly maxParticipants: number) {
    super(`This session is full (${maxParticipants} participants)`);
  }
}

/**
 * More seats than the session's call can carry: peer-to-peer without a media server (measured limits), or the media
 * server's maximum. At scheduling (maxParticipants) and when one more would join or be admitted.
 */
export class SeatLimitError extends DomainError {
  override readonly code = "SEAT_LIMIT";
  constructor(
    readonly limit: number,
    readonly mediaServer: boolean,
    readonly kind: "MEETING" | "WEBINAR",
  ) {
    super(
      kind === "WEBINAR"
        ? mediaServer
          ? `A webinar through the media server seats at most ${limit} participants`
          : `Without a media server a webinar carries at most ${limit} viewers (peer-to-peer)`
        : mediaServer
          ? `A meeting through the media server carries at most ${limit} participants besides the host`
          : `Without a media server a call carries at most ${limit} participants besides the host (peer-to-peer)`,
    );
  }
}

export class RecordingConsentRequiredError extends DomainError {
  override readonly code = "RECORDING_CONSENT_REQUIRED";
  constructor() {
    super("This session is being recorded: consent to the recording to join");
  }
}

export class RecordingConsentMissingError extends DomainError {
  override readonly code = "RECORDING_CONSENT_MISSING";
  constructor(readonly participantIds: string[]) {
    super(`${participantIds.length} participant(s) have not consented to recording`);
  }
}

export class SessionOptionDisabledError extends DomainError {
  override readonly code = "OPTION_DISABLED";
  constructor(readonly option: "CHAT" | "RECORDING") {
    super(option === "CHAT" ? "Chat is turned off for this session" : "Recording is not enabled for this session");
  }
}

/** One rate-limit error for the whole API (api/errors.ts), so clients branch on a single type. */
export { RateLimitedError } from "../errors.ts";
