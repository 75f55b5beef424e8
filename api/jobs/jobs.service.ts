import type { Prisma } from "../generated/prisma/client.ts";

/**
 * Payload of each job kind. Domains add their kinds by declaration merging:
 *
 *   declare module "../jobs/jobs.service.ts" {
 *     interface JobPayloads { "email.ticketCreated": { ticketId: string } }
 *   }
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging in each domain
export interface JobPayloads {}

export type JobKind = keyof JobPayloads & string;

export interface EnqueueOptions {
  /** Not before this instant; defaults to now. */
  runAt?: Date;
  /** At most one job per key: a second enqueue with the same key is ignored. */
  dedupeKey?: string;
  maxAttempts?: number;
}

/** A Prisma client or an interactive transaction: enqueue inside the transaction that makes the change. */
export type JobWriter = Pick<Prisma.TransactionClient, "job">;

/**
 * Persists a job in the caller's transaction, so it exists exactly when the change that causes it commits.
 * Returns false when a job with the same dedupe key already exists.
 */
export async function enqueueJob<Kind extends JobKind>(
  db: JobWriter,
  kind: Kind,
  payload: JobPayloads[Kind],
  options: EnqueueOptions = {},
): Promise<boolean> {
  const created = await db.job.createMany({
    data: [
      {
        kind,
        payload: payload as Prisma.InputJsonValue,
        ...(options.runAt ? { runAt: options.runAt } : {}),
        ...(options.dedupeKey ? { dedupeKey: options.dedupeKey } : {}),
        ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      },
    ],
    skipDuplicates: true,
  });
  return created.count === 1;
}

/** Cancels pending jobs whose dedupe key starts with `prefix` (e.g. a cancelled session's reminders). */
export async function cancelPendingJobs(db: JobWriter, dedupeKeyPrefix: string, now: Date): Promise<number> {
  // Clearing the key lets a new job with the same key be scheduled later (a session moved back).
  const cancelled = await db.job.updateMany({
    where: { status: "PENDING", dedupeKey: { startsWith: dedupeKeyPrefix } },
    data: { status: "CANCELLED", dedupeKey: null, finishedAt: now },
  });
  return cancelled.count;
}
