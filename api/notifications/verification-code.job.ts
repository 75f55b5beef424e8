import type { Clock } from "../clock.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { JobWorker } from "../jobs/job-worker.ts";
import { verificationCodeEmail } from "./emails/session.emails.ts";
import type { Mailer } from "./mailer.ts";

declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /** The code proving a participant owns their email, sealed; queued by the sessions domain with its verification row. */
    "email.verificationCode": { verificationId: string; sealedCode: string };
  }
}

/** What the handler needs about a pending verification; null when it is gone or already used. */
export type VerificationLookup = (
  verificationId: string,
) => Promise<{ to: string; sessionTitle: string; expiresAt: Date } | null>;

/**
 * Registers the `email.verificationCode` handler. The sessions domain owns the verification table and the key:
 * it passes `lookup` and `openCode`. The job row carries the code sealed (AES-256-GCM under the server secret), so
 * reading the jobs table does not give it away; after sending, even the sealed code is blanked.
 */
export function registerVerificationCodeJob(
  worker: JobWorker,
  deps: {
    prisma: PrismaClient;
    mailer: Mailer;
    clock: Clock;
    lookup: VerificationLookup;
    openCode: (sealedCode: string) => string;
  },
): void {
  worker.register("email.verificationCode", async ({ verificationId, sealedCode }, run) => {
    const verification = await deps.lookup(verificationId);
    if (verification && verification.expiresAt > deps.clock.now()) {
      await deps.mailer.send(verificationCodeEmail({ ...verification, code: deps.openCode(sealedCode) }));
    }
    await deps.prisma.job.update({ where: { id: run.id }, data: { payload: { verificationId, sealedCode: "" } } });
  });
}
