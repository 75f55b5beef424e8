import type { Clock } from "../clock.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { JobWorker } from "../jobs/job-worker.ts";
import { verificationCodeEmail } from "./emails/session.emails.ts";
import type { Mailer } from "./mailer.ts";

declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /** The code proving a participant owns their email; queued by the sessions domain with its verification row. */
    "email.verificationCode": { verificationId: string; code: string };
  }
}

/** What the handler needs about a pending verification; null when it is gone or already used. */
export type VerificationLookup = (
  verificationId: string,
) => Promise<{ to: string; sessionTitle: string; expiresAt: Date } | null>;

/**
 * Registers the `email.verificationCode` handler. The sessions domain owns the verification table and passes
 * `lookup`. After sending, the code is blanked in the job row, so the database keeps no readable code.
 */
export function registerVerificationCodeJob(
  worker: JobWorker,
  deps: { prisma: PrismaClient; mailer: Mailer; clock: Clock; lookup: VerificationLookup },
): void {
  worker.register("email.verificationCode", async ({ verificationId, code }, run) => {
    const verification = await deps.lookup(verificationId);
    if (verification && verification.expiresAt > deps.clock.now()) {
      await deps.mailer.send(verificationCodeEmail({ ...verification, code }));
    }
    await deps.prisma.job.update({ where: { id: run.id }, data: { payload: { verificationId, code: "" } } });
  });
}
