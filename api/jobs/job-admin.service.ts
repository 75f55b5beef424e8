import type { Clock } from "../clock.ts";
import { InvalidTransitionError, NotFoundError } from "../errors.ts";
import type { Job, PrismaClient } from "../generated/prisma/client.ts";

export interface JobKindStats {
  kind: string;
  pending: number;
  running: number;
  failed: number;
}

/** What admins see of the job queue, and the one thing they may do: retry a failed job. */
export class JobAdminService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
  ) {}

  /** Counts per kind of the jobs that need attention (pending, running, failed); kinds with none are left out. */
  async stats(): Promise<JobKindStats[]> {
    const groups = await this.prisma.job.groupBy({
      by: ["kind", "status"],
      where: { status: { in: ["PENDING", "RUNNING", "FAILED"] } },
      _count: { _all: true },
    });
    const byKind = new Map<string, JobKindStats>();
    for (const group of groups) {
      const stats = byKind.get(group.kind) ?? { kind: group.kind, pending: 0, running: 0, failed: 0 };
      if (group.status === "PENDING") stats.pending = group._count._all;
      if (group.status === "RUNNING") stats.running = group._count._all;
      if (group.status === "FAILED") stats.failed = group._count._all;
      byKind.set(group.kind, stats);
    }
    return [...byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  }

  failedWhere(kind: string | null | undefined) {
    return { status: "FAILED" as const, ...(kind ? { kind } : {}) };
  }

  /** Puts a failed job back in the queue with a fresh set of attempts, due now. */
  async retry(jobId: string): Promise<Job> {
    const job = await this.prisma.job.findUnique({ where: { id: jobId } });
    if (!job) throw new NotFoundError("Job");
    const retried = await this.prisma.job.updateMany({
      where: { id: jobId, status: "FAILED" },
      data: { status: "PENDING", attempts: 0, runAt: this.clock.now(), finishedAt: null, lockedBy: null },
    });
    if (retried.count === 0) throw new InvalidTransitionError(job.status, "PENDING", "only failed jobs can be retried");
    return this.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
  }
}
