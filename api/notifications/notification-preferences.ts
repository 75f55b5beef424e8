import { z } from "zod";
import { ValidationError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

/** Each kind of ticket email a user can turn off. All are on until the user says otherwise. */
export const ticketEmailKinds = [
  "ticketCreated",
  "ticketReply",
  "ticketCustomerMessage",
  "ticketAssigned",
  "ticketResolved",
] as const;
export type TicketEmailKind = (typeof ticketEmailKinds)[number];
export type NotificationPreferences = Record<TicketEmailKind, boolean>;

export const defaultPreferences: NotificationPreferences = {
  ticketCreated: true,
  ticketReply: true,
  ticketCustomerMessage: true,
  ticketAssigned: true,
  ticketResolved: true,
};

const preferencesInput = z.strictObject(
  Object.fromEntries(ticketEmailKinds.map((kind) => [kind, z.boolean().nullish()])) as Record<
    TicketEmailKind,
    z.ZodOptional<z.ZodNullable<z.ZodBoolean>>
  >,
);

export class NotificationPreferenceService {
  constructor(private readonly prisma: PrismaClient) {}

  async get(userId: string): Promise<NotificationPreferences> {
    const row = await this.prisma.notificationPreference.findUnique({ where: { userId } });
    if (!row) return { ...defaultPreferences };
    return Object.fromEntries(ticketEmailKinds.map((kind) => [kind, row[kind]])) as NotificationPreferences;
  }

  /** Whether the user wants this kind of email now (checked when the job runs, not when it is queued). */
  async allows(userId: string, kind: TicketEmailKind): Promise<boolean> {
    return (await this.get(userId))[kind];
  }

  /** Changes the kinds given (null or absent: unchanged) and returns the full set. */
  async update(userId: string, input: unknown): Promise<NotificationPreferences> {
    const parsed = preferencesInput.safeParse(input ?? {});
    if (!parsed.success) throw ValidationError.fromZod(parsed.error);
    const changes = Object.fromEntries(
      Object.entries(parsed.data).filter((entry): entry is [TicketEmailKind, boolean] => typeof entry[1] === "boolean"),
    );
    await this.prisma.notificationPreference.upsert({
      where: { userId },
      create: { userId, ...changes },
      update: changes,
    });
    return this.get(userId);
  }
}
