import { GraphQLError } from "graphql";
import type { ZodError } from "zod";

/**
 * Expected failures a client can act on. They appear in the schema as members of a mutation's result union
 * (Pothos errors plugin), each with a stable `code`.
 */
/** Top-level error code of arguments or variable values the client got wrong (a bad DateTime, cursor or `first`). */
export const BAD_USER_INPUT = "BAD_USER_INPUT";

export class DomainError extends Error {
  readonly code: string = "DOMAIN_ERROR";
}

export interface FieldIssue {
  /** Input path such as `input.subject` or `input.attachments.2`. */
  path: string;
  message: string;
}

export class ValidationError extends DomainError {
  override readonly code = "VALIDATION_FAILED";
  constructor(readonly fieldErrors: FieldIssue[]) {
    super(fieldErrors.map((issue) => `${issue.path}: ${issue.message}`).join("; "));
  }

  static fromZod(error: ZodError, prefix = "input"): ValidationError {
    return new ValidationError(
      error.issues.map((issue) => ({
        path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
        message: issue.message,
      })),
    );
  }

  static field(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

export class NotFoundError extends DomainError {
  override readonly code = "NOT_FOUND";
  constructor(readonly entity: string) {
    super(`${entity} not found`);
  }
}

export class InvalidCredentialsError extends DomainError {
  override readonly code = "INVALID_CREDENTIALS";
  constructor() {
    super("Email or password is incorrect");
  }
}

export class EmailTakenError extends DomainError {
  override readonly code = "EMAIL_TAKEN";
  constructor() {
    super("An account with this email already exists");
  }
}

export class InvalidTokenError extends DomainError {
  override readonly code = "INVALID_TOKEN";
  constructor(what: string) {
    super(`${what} is invalid or has expired`);
  }
}

export class InvalidTransitionError extends DomainError {
  override readonly code = "INVALID_TRANSITION";
  constructor(
    readonly from: string,
    readonly to: string,
    reason: string,
  ) {
    super(`Cannot change status from ${from} to ${to}: ${reason}`);
  }
}

export class TicketClosedError extends DomainError {
  override readonly code = "TICKET_CLOSED";
  constructor() {
    super("This ticket is closed; open a new ticket to continue");
  }
}

export class UploadRejectedError extends DomainError {
  override readonly code = "UPLOAD_REJECTED";
  constructor(
    readonly fileName: string,
    reason: string,
  ) {
    super(`${fileName}: ${reason}`);
  }
}

export class RateLimitedError extends DomainError {
  override readonly code = "RATE_LIMITED";
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts; try again in ${retryAfterSeconds} seconds`);
  }
}

/** Authentication and authorization failures are top-level GraphQL errors with a code, never masked. */
export function unauthenticated(message = "Sign in to continue"): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

export function forbidden(message = "You are not allowed to do this"): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "FORBIDDEN", http: { status: 403 } } });
}

/**
 * A subscription's `after` cursor points before what the stream log still keeps (retention), or to an event it
 * never held: the client reloads what it shows and subscribes again without `after`.
 */
export class CursorExpiredError extends DomainError {
  override readonly code = "CURSOR_EXPIRED";
  constructor() {
    super("This cursor is no longer kept: reload and subscribe again without `after`");
  }
}

/** A subscription's `after` is not a cursor of this stream. */
export class InvalidCursorError extends DomainError {
  override readonly code = "INVALID_CURSOR";
  constructor() {
    super("`after` is not a cursor of this subscription: pass the `cursor` of an event it sent");
  }
}
