import type { PrismaClient } from "../generated/prisma/client.ts";
import type { JobWorker } from "../jobs/job-worker.ts";
import {
  emailChangeConfirmEmail,
  emailChangedEmail,
  passwordResetEmail,
} from "../notifications/emails/account.emails.ts";
import type { Mailer } from "../notifications/mailer.ts";
import type { AccountService } from "./account.service.ts";

/** The PWA's pages that links in account emails open. */
export const RESET_PASSWORD_PATH = "/reset-password/";
export const CONFIRM_EMAIL_PATH = "/confirm-email/";

/**
 * Sends the account emails: the link (reset or confirm), then blanks the sealed token in the job row; a link spent,
 * replaced or expired before the job ran sends nothing.
 */
export function registerAccountEmailJobs(
  worker: JobWorker,
  deps: { prisma: PrismaClient; mailer: Mailer; accounts: AccountService; publicUrl: string },
): void {
  worker.register("email.accountLink", async ({ tokenId, sealedToken }, run) => {
    const link = await deps.accounts.linkToSend(tokenId, sealedToken);
    if (link) {
      const path = link.purpose === "PASSWORD_RESET" ? RESET_PASSWORD_PATH : CONFIRM_EMAIL_PATH;
      const message = {
        to: link.to,
        name: link.name,
        url: new URL(path + link.token, deps.publicUrl).toString(),
        expiresAt: link.expiresAt,
      };
      await deps.mailer.send(
        link.purpose === "PASSWORD_RESET" ? passwordResetEmail(message) : emailChangeConfirmEmail(message),
      );
    }
    await deps.prisma.job.update({ where: { id: run.id }, data: { payload: { tokenId, sealedToken: "" } } });
  });
  worker.register("email.emailChanged", async ({ userId, oldEmail }) => {
    const user = await deps.prisma.user.findUnique({ where: { id: userId } });
    if (!user) return;
    await deps.mailer.send(
      emailChangedEmail({
        to: oldEmail,
        name: user.name,
        newEmail: user.email,
        url: new URL("/profile", deps.publicUrl).toString(),
      }),
    );
  });
}
