import type { PrismaClient } from "../generated/prisma/client.ts";
import type { JobWorker } from "../jobs/job-worker.ts";
import { teamInviteEmail } from "../notifications/emails/team.emails.ts";
import type { Mailer } from "../notifications/mailer.ts";
import type { TeamService } from "./team.service.ts";

/**
 * Sends an invitation's link, then blanks the sealed token in the job row; an invitation revoked, accepted, expired or
 * resent (a newer link) before the job ran sends nothing.
 */
export function registerTeamEmailJobs(
  worker: JobWorker,
  deps: { prisma: PrismaClient; mailer: Mailer; team: TeamService },
): void {
  worker.register("email.teamInvite", async ({ inviteId, sealedToken }, run) => {
    const invitation = await deps.team.invitationToSend(inviteId, sealedToken);
    if (invitation) {
      const { invite } = invitation;
      await deps.mailer.send(
        teamInviteEmail({
          to: invite.email,
          name: invite.name,
          invitedBy: invitation.invitedBy,
          role: invite.role,
          url: invitation.url,
          expiresAt: invite.expiresAt,
        }),
      );
    }
    await deps.prisma.job.update({ where: { id: run.id }, data: { payload: { inviteId, sealedToken: "" } } });
  });
}
