import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "../clock.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { JobKind, JobPayloads } from "./jobs.service.ts";

/** What a handler learns about the job it runs, besides the payload. */
export interface JobRun {
  id: string;
  kind: string;
  /** 1 on the first run; counts every claim, including one that crashed before it could record a result. */
  attempt: number;
  maxAttempts: number;
}

export type JobHandler<Kind extends JobKind> = (payload: JobPayloads[Kind], run: JobRun) => Promise<void>;

/**
 * Thrown by a handler when retrying cannot help (the row it needs is gone, the input is invalid):
 * the job fails at once instead of using up its attempts.
 */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}

export interface JobWorkerOptions {
  /** Jobs claimed and run at once. */
  concurrency: number;
  /** How often the background loop looks for due jobs. */
  pollIntervalMs: number;
  /** How long a claim holds; a RUNNING job whose lease has passed is claimed again (its worker died). */
  leaseMs: number;
  /** Delay before the first retry; doubled on each further attempt, capped at `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Shows in `lockedBy`; unique per process. */
  workerId?: string;
  /** For tests: 0 ≤ random() < 1 drives the jitter. */
  random?: () => number;
  /** Where handler failures are reported; silent by default. */
  onError?: (error: unknown, job: JobRun) => void;
}

interface ClaimedJob {
  id: string;
  kind: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
}

/**
 * Delay before retry number `attempt` (1 = after the first failure): base·2^(attempt−1), capped, with "equal
 * jitter" (between half and all of it) so jobs that failed together do not all come back at the same instant.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 2000);
}

/**
 * Runs durable jobs (see jobs.service.ts) in the server process. Any number of workers (processes) may share one
 * PostgreSQL database: a job is claimed with `FOR UPDATE SKIP LOCKED` in a single short statement, so two workers
 * never claim the same due job; no transaction stays open while a handler runs (PGlite has one connection).
 *
 * Delivery is at-least-once at the edges: a handler that did its work and then died before the result was recorded
 * runs again once its lease expires. Results are recorded only by the claim that holds the job (`lockedBy` and
 * `attempts` act as a fencing token), so a late worker never overwrites a newer claim.
 */
export class JobWorker {
  readonly workerId: string;
  private readonly handlers = new Map<string, JobHandler<JobKind>>();
  private readonly random: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = true;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly options: JobWorkerOptions,
  ) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.random = options.random ?? Math.random;
  }

  /** Registers the handler of a kind; only registered kinds are claimed, so other kinds wait for their code. */
  register<Kind extends JobKind>(kind: Kind, handler: JobHandler<Kind>): this {
    if (this.handlers.has(kind)) throw new Error(`A handler for ${kind} is already registered`);
    this.handlers.set(kind, handler as unknown as JobHandler<JobKind>);
    return this;
  }

  get kinds(): string[] {
    return [...this.handlers.keys()];
  }

  /** Starts the background loop: every poll interval, runs due jobs until none is left. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.runDueJobs();
      } catch (error) {
        this.options.onError?.(error, { id: "", kind: "", attempt: 0, maxAttempts: 0 });
      }
      if (!this.stopped) this.timer = setTimeout(tick, this.options.pollIntervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops the loop and waits for the jobs in hand; their results are recorded before this resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /**
   * Claims and runs due jobs, batch after batch, until none is due; returns how many ran. Concurrent calls share
   * one pass, so the background loop and a test calling this never run a job twice in one process.
   */
  runDueJobs(): Promise<number> {
    if (!this.running) {
      this.running = this.runBatches().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Waits for a pass in progress, then runs what is due now (tests: deterministic delivery). */
  async drain(): Promise<number> {
    await this.running?.catch(() => {});
    return this.runDueJobs();
  }

  private async runBatches(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.claim(this.options.concurrency);
      if (claimed.length === 0) return total;
      await Promise.all(claimed.map((job) => this.execute(job)));
      total += claimed.length;
    }
  }

  /**
   * One statement, hence one short transaction: picks due PENDING jobs and RUNNING jobs whose lease has expired,
   * skipping rows another worker is claiming right now, and marks them RUNNING under this worker's lease.
   */
  private async claim(limit: number): Promise<ClaimedJob[]> {
    const kinds = this.kinds;
    if (kinds.length === 0) return [];
    const now = this.clock.now();
    const lockedUntil = new Date(now.getTime() + this.options.leaseMs);
    return this.prisma.$queryRaw<ClaimedJob[]>`
      UPDATE "Job" SET status = 'RUNNING', "lockedUntil" = ${lockedUntil}, "lockedBy" = ${this.workerId},
             attempts = attempts + 1, "updatedAt" = ${now}
       WHERE id IN (
         SELECT id FROM "Job"
          WHERE kind = ANY(${kinds}::text[])
            AND ((status = 'PENDING' AND "runAt" <= ${now})
              OR (status = 'RUNNING' AND "lockedUntil" < ${now}))
          ORDER BY "runAt", id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
      RETURNING id, kind, payload, attempts, "maxAttempts"`;
  }

  private async execute(job: ClaimedJob): Promise<void> {
    const run: JobRun = { id: job.id, kind: job.kind, attempt: job.attempts, maxAttempts: job.maxAttempts };
    const handler = this.handlers.get(job.kind);
    let failure: unknown = null;
    try {
      if (!handler) throw new PermanentJobError(`No handler for ${job.kind}`);
      await handler(job.payload as JobPayloads[JobKind], run);
    } catch (error) {
      failure = error;
    }
    const now = this.clock.now();
    const held = { id: job.id, status: "RUNNING" as const, lockedBy: this.workerId, attempts: job.attempts };
    if (failure === null) {
      await this.prisma.job.updateMany({
        where: held,
        data: { status: "SUCCEEDED", finishedAt: now, lockedUntil: null, lastError: null },
      });
      return;
    }
    this.options.onError?.(failure, run);
    const final = failure instanceof PermanentJobError || job.attempts >= job.maxAttempts;
    const delay = backoffDelay(job.attempts, this.options.backoffBaseMs, this.options.backoffMaxMs, this.random);
    await this.prisma.job.updateMany({
      where: held,
      data: final
        ? { status: "FAILED", finishedAt: now, lockedUntil: null, lastError: describe(failure) }
        : {
            status: "PENDING",
            runAt: new Date(now.getTime() + delay),
            lockedUntil: null,
            lastError: describe(failure),
          },
    });
  }
}
