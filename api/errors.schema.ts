import { builder } from "./builder.ts";
import {
  AccountDeactivatedError,
  DomainError,
  EmailTakenError,
  type FieldIssue,
  InvalidCredentialsError,
  InvalidTokenError,
  InvalidTransitionError,
  NotFoundError,
  RateLimitedError,
  TicketClosedError,
  UploadRejectedError,
  ValidationError,
} from "./errors.ts";

/** Every expected failure implements this interface; clients branch on `__typename` or `code`. */
export const ErrorInterface = builder.interfaceRef<DomainError>("Error").implement({
  description: "An expected failure the user can act on.",
  fields: (t) => ({
    message: t.exposeString("message"),
    code: t.exposeString("code"),
  }),
});

builder.objectType(DomainError, {
  name: "BaseError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof DomainError && value.constructor === DomainError,
});

const FieldIssueRef = builder.objectRef<FieldIssue>("FieldError").implement({
  description: "One invalid input field.",
  fields: (t) => ({
    path: t.exposeString("path", { description: "Path of the field in the input, e.g. `input.subject`." }),
    message: t.exposeString("message"),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({ fieldErrors: t.field({ type: [FieldIssueRef], resolve: (error) => error.fieldErrors }) }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({ entity: t.exposeString("entity") }),
});

builder.objectType(InvalidTransitionError, {
  name: "InvalidTransitionError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidTransitionError,
  fields: (t) => ({ from: t.exposeString("from"), to: t.exposeString("to") }),
});

builder.objectType(UploadRejectedError, {
  name: "UploadRejectedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof UploadRejectedError,
  fields: (t) => ({ fileName: t.exposeString("fileName") }),
});

builder.objectType(RateLimitedError, {
  name: "RateLimitedError",
  description: "Too many attempts in a short time; wait `retryAfterSeconds` and try again.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RateLimitedError,
  fields: (t) => ({ retryAfterSeconds: t.exposeInt("retryAfterSeconds") }),
});

for (const [ErrorClass, name] of [
  [InvalidCredentialsError, "InvalidCredentialsError"],
  [AccountDeactivatedError, "AccountDeactivatedError"],
  [EmailTakenError, "EmailTakenError"],
  [InvalidTokenError, "InvalidTokenError"],
  [TicketClosedError, "TicketClosedError"],
] as const) {
  builder.objectType(ErrorClass as typeof DomainError, {
    name,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof ErrorClass,
  });
}
