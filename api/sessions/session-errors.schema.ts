import { builder } from "../builder.ts";
import { ErrorInterface } from "../errors.schema.ts";
import {
  EmailDomainNotAllowedError,
  EmailVerificationRequiredError,
  InvalidVerificationCodeError,
  ParticipantRemovedError,
  RecordingConsentMissingError,
  RecordingConsentRequiredError,
  SeatLimitError,
  SessionEndedError,
  SessionFullError,
  SessionLockedError,
  SessionNotFoundError,
  SessionOptionDisabledError,
  TooManyAttemptsError,
  WrongPasswordError,
} from "./sessions.errors.ts";

/** The sessions domain's expected failures as GraphQL types, members of the mutations' result unions. */

for (const [ErrorClass, name] of [
  [SessionNotFoundError, "SessionNotFoundError"],
  [EmailVerificationRequiredError, "EmailVerificationRequiredError"],
  [TooManyAttemptsError, "TooManyAttemptsError"],
  [WrongPasswordError, "WrongPasswordError"],
  [SessionLockedError, "SessionLockedError"],
  [RecordingConsentRequiredError, "RecordingConsentRequiredError"],
] as const) {
  builder.objectType(ErrorClass as unknown as typeof SessionNotFoundError, {
    name,
    interfaces: [ErrorInterface],
    isTypeOf: (value) => value instanceof ErrorClass,
  });
}

builder.objectType(SessionEndedError, {
  name: "SessionEndedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof SessionEndedError,
  fields: (t) => ({ status: t.exposeString("status") }),
});
builder.objectType(EmailDomainNotAllowedError, {
  name: "EmailDomainNotAllowedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof EmailDomainNotAllowedError,
  fields: (t) => ({ allowedDomains: t.exposeStringList("allowedDomains") }),
});
builder.objectType(InvalidVerificationCodeError, {
  name: "InvalidVerificationCodeError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidVerificationCodeError,
  fields: (t) => ({ attemptsLeft: t.exposeInt("attemptsLeft") }),
});
builder.objectType(ParticipantRemovedError, {
  name: "ParticipantRemovedError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ParticipantRemovedError,
  fields: (t) => ({ reason: t.exposeString("reason", { description: "REMOVED or DENIED." }) }),
});
builder.objectType(SessionFullError, {
  name: "SessionFullError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof SessionFullError,
  fields: (t) => ({ maxParticipants: t.exposeInt("maxParticipants") }),
});
builder.objectType(SeatLimitError, {
  name: "SeatLimitError",
  description: "More seats than the call can carry (peer-to-peer as measured, or the media server's maximum).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof SeatLimitError,
  fields: (t) => ({
    limit: t.exposeInt("limit", { description: "Most seats (the host does not count)." }),
    mediaServer: t.exposeBoolean("mediaServer", { description: "The limit is the media server's." }),
    kind: t.exposeString("kind", { description: "MEETING or WEBINAR." }),
  }),
});
builder.objectType(RecordingConsentMissingError, {
  name: "RecordingConsentMissingError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RecordingConsentMissingError,
  fields: (t) => ({ participantIds: t.exposeIDList("participantIds") }),
});
builder.objectType(SessionOptionDisabledError, {
  name: "SessionOptionDisabledError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof SessionOptionDisabledError,
  fields: (t) => ({ option: t.exposeString("option", { description: "CHAT or RECORDING." }) }),
});
