import { AsyncLocalStorage } from "node:async_hooks";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { GraphQLError } from "graphql";
import type { Clock } from "../clock.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

/**
 * Idempotency keys for create mutations (docs/idempotency.md). A key is held by one attempt at a time: the attempt
 * inserts its record, marks it committed inside the mutation's own transaction (so the mark and the rows it
 * created commit together, or neither), then stores the answer. A retry finds the answer, or waits for it, or —
 * after the lease, when the holder died — takes the key over if nothing committed.
 */

/** What a retry sees of a key's first answer. */
export interface StoredResponse {
  data?: unknown;
  errors?: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** Printable ASCII without spaces; 16 characters at least so keys from different callers do not collide by chance. */
const KEY_PATTERN = /^[A-Za-z0-9._:~-]{16,128}$/;

/** Refusals are top-level errors with `extensions.code`, like authentication failures: they concern the request. */
function idempotencyError(code: string, status: number, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status } } });
}

export const idempotencyErrors = {
  invalidKey: (reason: string) => idempotencyError("IDEMPOTENCY_KEY_INVALID", 400, reason),
  reused: () =>
    idempotencyError(
      "IDEMPOTENCY_KEY_REUSED",
      422,
      "This idempotency key was already used for a different request; send a new key for a new action",
    ),
  answerLost: () =>
    idempotencyError(
      "IDEMPOTENCY_ANSWER_LOST",
      409,
      "The first request with this idempotency key was applied, but the server stopped before its answer was " +
        "kept; reload instead of sending it again",
    ),
};

export function checkIdempotencyKey(key: unknown): string {
  if (typeof key !== "string") throw idempotencyErrors.invalidKey("extensions.idempotencyKey must be a string");
  if (!KEY_PATTERN.test(key)) {
    throw idempotencyErrors.invalidKey(
      "extensions.idempotencyKey must be 16 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':', '~' or '-' " +
        "(a UUID fits)",
    );
  }
  return key;
}

/**
 * Answers may hold secrets (joinSession's participant token), so the database keeps only the key's hash and the
 * answer sealed with a key derived from the idempotency key, which only the client knows.
 */
const keyId = (key: string) => createHash("sha256").update(`idempotency-key:${key}`).digest("hex");
const sealingKey = (key: string) => createHash("sha256").update(`idempotency-answer:${key}`).digest();

function seal(key: string, response: StoredResponse): { sealed: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(key), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(response), "utf8"), cipher.final()]);
  return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64") };
}

function unseal(key: string, stored: unknown): StoredResponse {
  const raw = Buffer.from((stored as { sealed: string }).sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(key), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8"));
}

/** The attempt running in this async context, if its operation carries a key. */
interface Attempt {
  scope: string;
  /** The stored key: a hash of the client's. */
  key: string;
  /** The client's key, kept in memory only, to seal the answer. */
  clientKey: string;
  startedAt: Date;
  /** True once a transaction of this attempt committed. */
  committed: boolean;
  /** Set once answered: work the request started that outlives it (same async context) is not fenced. */
  finished?: boolean;
}

const currentAttempt = new AsyncLocalStorage<Attempt>();

/** Thrown inside a transaction whose attempt lost its key to a retry: the transaction rolls back. */
class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/**
 * The client the services use: every interactive `$transaction` run for an attempt also marks the attempt's record
 * committed, in that transaction and only while the attempt still holds the key (a fencing check). Services stay
 * unaware of idempotency.
 */
export function withIdempotentCommits(prisma: PrismaClient, clock: Clock): PrismaClient {
  const transaction = (async (work: unknown, options?: unknown) => {
    if (typeof work !== "function") return prisma.$transaction(work as never, options as never);
    const attempt = currentAttempt.getStore();
    if (!attempt || attempt.finished) return prisma.$transaction(work as never, options as never);
    const result = await prisma.$transaction(async (tx) => {
      const value = await (work as (client: typeof tx) => Promise<unknown>)(tx);
      const marked = await tx.idempotencyRecord.updateMany({
        where: { scope: attempt.scope, key: attempt.key, startedAt: attempt.startedAt },
        data: { committedAt: clock.now() },
      });
      if (marked.count !== 1) throw new LeaseLostError("A retry took over this request's idempotency key");
      return value;
    }, options as never);
    attempt.committed = true;
    return result;
  }) as PrismaClient["$transaction"];
  return new Proxy(prisma, {
    get(target, property) {
      if (property === "$transaction") return transaction;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The outcome of claiming a key: run the operation, or answer what the first attempt answered. */
export type Claim = { kind: "run"; attempt: Attempt } | { kind: "replay"; response: StoredResponse };

const POLL_MS = 50;
const SWEEP_EVERY_MS = 10 * 60_000;

export function createIdempotencyStore(deps: { prisma: PrismaClient; clock: Clock; ttlMs: number; leaseMs: number }) {
  const { prisma, clock, ttlMs, leaseMs } = deps;
  let nextSweep = 0;

  /** Expired keys go at most every ten minutes per instance, on the next claim (an index on expiresAt). */
  async function sweep(now: Date): Promise<void> {
    if (now.getTime() < nextSweep) return;
    nextSweep = now.getTime() + SWEEP_EVERY_MS;
    await prisma.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: now } } });
  }

  async function insert(scope: string, clientKey: string, operationHash: string, now: Date): Promise<Attempt | null> {
    const key = keyId(clientKey);
    try {
      await prisma.idempotencyRecord.create({
        data: { scope, key, operationHash, startedAt: now, expiresAt: new Date(now.getTime() + ttlMs) },
      });
      return { scope, key, clientKey, startedAt: now, committed: false };
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return null;
      throw error;
    }
  }

  /** Takes over a key whose holder let its lease run out with nothing committed; null when someone else moved first. */
  async function takeOver(scope: string, clientKey: string, heldSince: Date, now: Date): Promise<Attempt | null> {
    const key = keyId(clientKey);
    const taken = await prisma.idempotencyRecord.updateMany({
      where: { scope, key, startedAt: heldSince, committedAt: null, response: { equals: Prisma.AnyNull } },
      data: { startedAt: now },
    });
    return taken.count === 1 ? { scope, key, clientKey, startedAt: now, committed: false } : null;
  }

  return {
    /**
     * Claims `key` for `scope`: a new key runs; a finished one replays its answer; one still running is waited for
     * until its lease ends, then taken over if nothing committed (else IDEMPOTENCY_ANSWER_LOST).
     */
    async claim(scope: string, clientKey: string, operationHash: string): Promise<Claim> {
      await sweep(clock.now());
      const key = keyId(clientKey);
      for (;;) {
        const now = clock.now();
        const inserted = await insert(scope, clientKey, operationHash, now);
        if (inserted) return { kind: "run", attempt: inserted };
        const record = await prisma.idempotencyRecord.findUnique({ where: { scope_key: { scope, key } } });
        if (!record) continue;
        if (record.expiresAt <= now) {
          await prisma.idempotencyRecord.deleteMany({ where: { scope, key, expiresAt: { lte: now } } });
          continue;
        }
        if (record.operationHash !== operationHash) throw idempotencyErrors.reused();
        if (record.response !== null) return { kind: "replay", response: unseal(clientKey, record.response) };
        if (now.getTime() - record.startedAt.getTime() >= leaseMs) {
          if (record.committedAt) throw idempotencyErrors.answerLost();
          const taken = await takeOver(scope, clientKey, record.startedAt, now);
          if (taken) return { kind: "run", attempt: taken };
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },

    /** Runs the operation with its transactions fenced by the attempt (see withIdempotentCommits). */
    run<T>(attempt: Attempt, operation: () => Promise<T>): Promise<T> {
      return currentAttempt.run(attempt, operation);
    },

    /**
     * Keeps the answer for retries. An answer with errors whose writes never committed releases the key instead,
     * so a retry runs again (the failure may have been passing).
     */
    async finish(attempt: Attempt, response: StoredResponse): Promise<void> {
      attempt.finished = true;
      const held = { scope: attempt.scope, key: attempt.key, startedAt: attempt.startedAt };
      if (response.errors?.length && !attempt.committed) {
        await prisma.idempotencyRecord.deleteMany({ where: { ...held, committedAt: null } });
        return;
      }
      await prisma.idempotencyRecord.updateMany({
        where: held,
        data: { response: seal(attempt.clientKey, response) },
      });
    },

    /** Releases a key whose attempt threw before answering, unless its writes committed. */
    async abandon(attempt: Attempt): Promise<void> {
      attempt.finished = true;
      await prisma.idempotencyRecord.deleteMany({
        where: { scope: attempt.scope, key: attempt.key, startedAt: attempt.startedAt, committedAt: null },
      });
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
