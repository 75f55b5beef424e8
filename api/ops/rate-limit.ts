import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Clock } from "../clock.ts";
import type { Env } from "../env.ts";
import { RateLimitedError } from "../errors.ts";
import type { RedisConnections } from "./redis.ts";

/** At most `limit` hits per `windowMs`, counted per key. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** When the caller may try again (0 when allowed). */
  retryAfterMs: number;
}

/**
 * Fixed windows that start at a key's first hit (rate-limiter-flexible). Embedded mode counts in memory; server
 * mode counts in Redis, so every instance shares the same budget. While Redis is away, server mode counts in this
 * instance's memory instead (each instance then grants the whole budget): sign-ins and writes keep working at once
 * rather than failing after the client's retries.
 */
export class RateLimiter {
  /** One library limiter per rule (points and duration are per limiter); keys of every rule share one namespace. */
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  private constructor(
    private readonly create: (rule: RateRule) => RateLimiterAbstract,
    /** Server mode: the in-memory limiter used, without asking Redis, while its connection is not ready. */
    private readonly outage?: { redisReady: () => boolean; memory: RateLimiter },
  ) {}

  static memory(clock: Clock): RateLimiter {
    return new RateLimiter((rule) => {
      const limiter = new RateLimiterMemory({ points: rule.limit, duration: rule.windowMs / 1000 });
      // The library's memory store reads Date.now(); windows follow the app's clock instead (tests move it).
      (limiter as unknown as { _memoryStorage: ClockedStorage })._memoryStorage = new ClockedStorage(clock);
      return limiter;
    });
  }

  static redis(redis: RedisConnections, clock: Clock): RateLimiter {
    const memory = RateLimiter.memory(clock);
    return new RateLimiter(
      (rule) =>
        new RateLimiterRedis({
          storeClient: redis.commands,
          keyPrefix: `${redis.prefix}rate`,
          points: rule.limit,
          duration: rule.windowMs / 1000,
          // A command that fails although the connection looked ready (Redis just went away) counts here instead.
          insuranceLimiter: memory.limiterFor(rule),
        }),
      { redisReady: () => redis.commands.status === "ready", memory },
    );
  }

  async hit(key: string, rule: RateRule): Promise<RateDecision> {
    try {
      await this.limiterFor(rule).consume(key);
      return { allowed: true, retryAfterMs: 0 };
    } catch (refusal) {
      // The library rejects with a RateLimiterRes when the budget is spent, with an Error when the store failed.
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return { allowed: false, retryAfterMs: refusal.msBeforeNext };
    }
  }

  /** Whether the key has already used its budget, without counting a hit. */
  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    const state = await this.limiterFor(rule).get(key);
    if (!state || state.consumedPoints < rule.limit || state.msBeforeNext <= 0)
      return { allowed: true, retryAfterMs: 0 };
    return { allowed: false, retryAfterMs: state.msBeforeNext };
  }

  /** Counts a hit without refusing. */
  async count(key: string, rule: RateRule): Promise<void> {
    await this.limiterFor(rule).penalty(key);
  }

  private limiterFor(rule: RateRule): RateLimiterAbstract {
    if (this.outage && !this.outage.redisReady()) return this.outage.memory.limiterFor(rule);
    const id = `${rule.limit}/${rule.windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = this.create(rule);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

/** RateLimiterMemory's store on the app's clock: a counter per key that expires `durationSec` after its first hit. */
class ClockedStorage {
  private readonly records = new Map<string, { value: number; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  incrby(key: string, value: number, durationSec: number): RateLimiterRes {
    const now = this.clock.now().getTime();
    const record = this.records.get(key);
    if (!record || record.expiresAt <= now) return this.set(key, value, durationSec);
    record.value += value;
    return new RateLimiterRes(0, record.expiresAt - now, record.value, false);
  }

  set(key: string, value: number, durationSec: number): RateLimiterRes {
    const now = this.clock.now().getTime();
    if (this.records.size > 10_000) this.sweep(now);
    this.records.set(key, { value, expiresAt: now + durationSec * 1000 });
    return new RateLimiterRes(0, durationSec * 1000, value, true);
  }

  get(key: string): RateLimiterRes | null {
    const record = this.records.get(key);
    return record ? new RateLimiterRes(0, record.expiresAt - this.clock.now().getTime(), record.value, false) : null;
  }

  delete(key: string): boolean {
    return this.records.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, record] of this.records) if (record.expiresAt <= now) this.records.delete(key);
  }
}

export interface RateLimitRules {
  /** Per client address, per operation (logIn, signUp, refreshSession, acceptInvite). */
  authPerAddress: RateRule | null;
  /** Per email address (logIn, signUp) or invitation (acceptInvite). */
  authPerAccount: RateRule | null;
  /** Per user: tickets and messages written. */
  writesPerUser: RateRule | null;
}

export type AuthOperation = "logIn" | "signUp" | "refreshSession" | "acceptInvite";

/** The limits the API applies; a null rule (or RATE_LIMITS=off) means no limit. */
export class RateLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly rules: RateLimitRules,
    private readonly onRefused: (rule: string) => void = () => {},
  ) {}

  /** Throws RateLimitedError when the caller has used up an auth budget. `account` is an email or invite. */
  async auth(operation: AuthOperation, address: string, account?: string): Promise<void> {
    await this.check("authPerAddress", `auth:${operation}:ip:${address}`, this.rules.authPerAddress);
    if (account) {
      const key = `auth:${operation}:account:${account.trim().toLowerCase()}`;
      await this.check("authPerAccount", key, this.rules.authPerAccount);
    }
  }

  /**
   * Password-reset emails: always on (like the session limits), whatever RATE_LIMITS says, since each one sends mail
   * to an address anyone can type: 3 per address and 20 per client address per hour.
   */
  async passwordReset(address: string, account: string): Promise<void> {
    const hour = 60 * 60_000;
    await this.check("passwordReset", `password-reset:ip:${address}`, { limit: 20, windowMs: hour });
    await this.check("passwordReset", `password-reset:account:${account.trim().toLowerCase()}`, {
      limit: 3,
      windowMs: hour,
    });
  }

  /** Throws RateLimitedError when the user wrote too many tickets or messages lately. */
  async writes(userId: string): Promise<void> {
    await this.check("writesPerUser", `writes:user:${userId}`, this.rules.writesPerUser);
  }

  /**
   * Live-session limits (join attempts, wrong passwords, code requests, chat): always on, whatever RATE_LIMITS
   * says, with their own SESSION_*_RATE_LIMIT budgets; counted in the same shared store as the rest.
   */
  async session(key: string, rule: RateRule): Promise<void> {
    await this.check("session", `session:${key}`, rule);
  }

  /** Throws RateLimitedError when the key has used its session budget, without counting (wrong-password lockout). */
  async sessionBlocked(key: string, rule: RateRule): Promise<void> {
    const decision = await this.limiter.peek(`session:${key}`, rule);
    if (!decision.allowed) this.onRefused("session");
    if (!decision.allowed) throw new RateLimitedError(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }

  /** Counts one use against a session budget without refusing (a wrong password counted after the fact). */
  async sessionCount(key: string, rule: RateRule): Promise<void> {
    await this.limiter.count(`session:${key}`, rule);
  }

  private async check(name: string, key: string, rule: RateRule | null): Promise<void> {
    if (!rule) return;
    const decision = await this.limiter.hit(key, rule);
    if (!decision.allowed) this.onRefused(name);
    if (!decision.allowed) throw new RateLimitedError(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }
}

/** The limits from the configuration, counted in Redis (server mode) or in memory; `onRefused` names the rule. */
export function createRateLimits(
  env: Pick<Env, "RATE_LIMITS" | "RATE_LIMIT_AUTH_IP" | "RATE_LIMIT_AUTH_ACCOUNT" | "RATE_LIMIT_WRITES_USER">,
  redis: RedisConnections | null,
  clock: Clock,
  onRefused: (rule: string) => void,
): RateLimits {
  return new RateLimits(
    redis ? RateLimiter.redis(redis, clock) : RateLimiter.memory(clock),
    env.RATE_LIMITS
      ? {
          authPerAddress: env.RATE_LIMIT_AUTH_IP,
          authPerAccount: env.RATE_LIMIT_AUTH_ACCOUNT,
          writesPerUser: env.RATE_LIMIT_WRITES_USER,
        }
      : { authPerAddress: null, authPerAccount: null, writesPerUser: null },
    onRefused,
  );
}
