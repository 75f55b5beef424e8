import { z } from "zod";
import {
  checkInvitee,
  describeProblem,
  isEmailAddress,
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  parseInviteeList,
} from "../../shared/invitees.ts";
import { ValidationError } from "../errors.ts";
import {
  LiveSessionStatus as LiveSessionStatusValues,
  LiveSessionType as LiveSessionTypeValues,
} from "../generated/prisma/enums.ts";
import {
  CHAT_MAX_LENGTH,
  DEFAULT_REMINDER_OFFSETS,
  MAX_PARTICIPANTS_CEILING,
  REACTION_EMOJI,
} from "./sessions.rules.ts";

/** The sessions domain's inputs, validated at the edge with a message per field. */

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("enter a valid email address").max(254, "must be at most 254 characters"));
const personName = z
  .string()
  .trim()
  .min(1, "enter a name")
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`);
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "enter a domain such as example.com");
/** An invitee given as fields, checked by the same rules as the PWA's invitee chips (shared/invitees.ts). */
export type Invitee = { name: string; email: string };
const invitee = z
  .object({
    name: personName,
    email: z.string().trim().toLowerCase().max(MAX_EMAIL_LENGTH, `must be at most ${MAX_EMAIL_LENGTH} characters`),
  })
  .superRefine((value, ctx) => {
    const wrong = checkInvitee(value);
    if (wrong) ctx.addIssue({ code: "custom", path: [wrong.field], message: wrong.message });
    else if (!isEmailAddress(value.email))
      ctx.addIssue({ code: "custom", path: ["email"], message: `"${value.email}" is not an email address` });
  });
/** Invitees as pasted text ("a@x.com, Bo <b@y.org>; …"), read by the PWA's parser; each bad entry is named. */
const MAX_INVITEES = 500;
const inviteList = z
  .string()
  .max(50_000, "must be at most 50,000 characters")
  .transform((text, ctx) => {
    const { invitees, problems } = parseInviteeList(text);
    for (const problem of problems) ctx.addIssue({ code: "custom", message: describeProblem(problem) });
    return invitees;
  });

/** Adds the people of `inviteList` to `invites` (an address in both is invited once). */
function withInviteList<T extends { invites?: Invitee[]; inviteList?: Invitee[] | null }>(
  value: T,
  ctx: z.RefinementCtx,
): Omit<T, "inviteList"> {
  const { inviteList: listed, ...rest } = value;
  if (!listed) return rest;
  const invites = [...(rest.invites ?? []), ...listed];
  if (invites.length > MAX_INVITEES)
    ctx.addIssue({ code: "custom", path: ["inviteList"], message: `at most ${MAX_INVITEES} invitees` });
  return { ...rest, invites };
}

const sessionFields = {
  title: z.string().trim().min(3, "must be at least 3 characters").max(200, "must be at most 200 characters"),
  description: z.string().trim().max(5000, "must be at most 5,000 characters"),
  agenda: z.string().trim().max(5000, "must be at most 5,000 characters"),
  type: z.enum(LiveSessionTypeValues),
  scheduledStartAt: z.date(),
  scheduledEndAt: z.date(),
  maxParticipants: z
    .number()
    .int()
    .min(1, "must be at least 1")
    // The limit by type (sessions.rules.ts seatLimit) is checked by the scheduling service.
    .max(MAX_PARTICIPANTS_CEILING, `must be at most ${MAX_PARTICIPANTS_CEILING}`),
  invites: z.array(invitee).max(MAX_INVITEES, `at most ${MAX_INVITEES} invitees`),
  inviteList,
  waitingRoom: z.boolean(),
  requiresApproval: z.boolean(),
  password: z.string().min(4, "must be at least 4 characters").max(200, "must be at most 200 characters").nullable(),
  allowedEmailDomains: z.array(domain).max(50, "at most 50 domains"),
  emailVerificationRequired: z.boolean(),
  recordingEnabled: z.boolean(),
  chatEnabled: z.boolean(),
  screenShareEnabled: z.boolean(),
  reminderOffsets: z
    .array(z.number().int().min(1, "must be at least 1 minute").max(10_080, "must be at most a week"))
    .max(5, "at most 5 reminders"),
  ticketId: z.string().min(1).nullable(),
};

const endAfterStart = (value: { scheduledStartAt?: Date; scheduledEndAt?: Date }) =>
  !value.scheduledStartAt || !value.scheduledEndAt || value.scheduledEndAt > value.scheduledStartAt;

export const createSessionInput = z
  .object({
    ...sessionFields,
    description: sessionFields.description.default(""),
    agenda: sessionFields.agenda.default(""),
    maxParticipants: sessionFields.maxParticipants.nullish(),
    invites: sessionFields.invites.default([]),
    inviteList: inviteList.nullish(),
    waitingRoom: sessionFields.waitingRoom.default(false),
    requiresApproval: sessionFields.requiresApproval.default(false),
    password: sessionFields.password.nullish(),
    allowedEmailDomains: sessionFields.allowedEmailDomains.default([]),
    emailVerificationRequired: sessionFields.emailVerificationRequired.default(false),
    recordingEnabled: sessionFields.recordingEnabled.default(false),
    chatEnabled: sessionFields.chatEnabled.default(true),
    screenShareEnabled: sessionFields.screenShareEnabled.default(true),
    reminderOffsets: sessionFields.reminderOffsets.default(DEFAULT_REMINDER_OFFSETS),
    ticketId: sessionFields.ticketId.nullish(),
  })
  .refine(endAfterStart, { path: ["scheduledEndAt"], message: "must be after the start" })
  .transform(withInviteList);

/** Every field optional: only what is sent changes. `password: null` removes the password. */
export const updateSessionInput = z
  .object({
    title: sessionFields.title,
    description: sessionFields.description,
    agenda: sessionFields.agenda,
    type: sessionFields.type,
    scheduledStartAt: sessionFields.scheduledStartAt,
    scheduledEndAt: sessionFields.scheduledEndAt,
    maxParticipants: sessionFields.maxParticipants,
    invites: sessionFields.invites,
    inviteList: sessionFields.inviteList.nullable(),
    waitingRoom: sessionFields.waitingRoom,
    requiresApproval: sessionFields.requiresApproval,
    password: sessionFields.password,
    allowedEmailDomains: sessionFields.allowedEmailDomains,
    emailVerificationRequired: sessionFields.emailVerificationRequired,
    recordingEnabled: sessionFields.recordingEnabled,
    chatEnabled: sessionFields.chatEnabled,
    screenShareEnabled: sessionFields.screenShareEnabled,
    reminderOffsets: sessionFields.reminderOffsets,
    ticketId: sessionFields.ticketId,
  })
  .partial()
  .transform(withInviteList);

export const sessionFilterInput = z.object({
  status: z.array(z.enum(LiveSessionStatusValues)).nullish(),
  when: z.enum(["UPCOMING", "PAST"]).nullish(),
  hostId: z.string().min(1).nullish(),
  ticketId: z.string().min(1).nullish(),
});
export type SessionFilter = z.input<typeof sessionFilterInput>;

export const joinInput = z.object({
  token: z.string().min(1, "missing link token").max(200),
  name: personName,
  email,
  password: z.string().max(200).nullish(),
  verificationCode: z
    .string()
    .trim()
    .regex(/^\d{6}$/, "enter the 6-digit code")
    .nullish(),
  recordingConsent: z.boolean().nullish(),
});

/** Asking for a verification code: the link and the address to prove. */
export const verificationCodeRequestInput = z.object({ token: joinInput.shape.token, email });

export const reactionEmoji = z.enum(REACTION_EMOJI, { error: `must be one of ${REACTION_EMOJI.join(" ")}` });

export const chatBody = z
  .string()
  .trim()
  .min(1, "write a message")
  .max(CHAT_MAX_LENGTH, `must be at most ${CHAT_MAX_LENGTH} characters`);

export function parse<T extends z.ZodType>(schema: T, input: unknown, prefix = "input"): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error, prefix);
  return result.data;
}

export type CreateSessionData = z.infer<typeof createSessionInput>;
