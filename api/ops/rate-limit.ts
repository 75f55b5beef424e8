import type { Clock } from "../clock.ts";
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
 * Fixed-window counters. Embedded mode counts in memory; server mode counts in Redis, so every instance
 * shares the same budget.
 */
export interface RateLimiter {
  hit(key: string, rule: RateRule): Promise<RateDecision>;
  /** Whether the key has already used its budget, without counting a hit. */
  peek(key: string, rule: RateRule): Promise<RateDecision>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly clock: Clock) {}

  async hit(key: string, rule: RateRule): Promise<RateDecision> {
    const now = this.clock.now().getTime();
    if (this.windows.size > 10_000) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + rule.windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return window.count <= rule.limit
      ? { allowed: true, retryAfterMs: 0 }
      : { allowed: false, retryAfterMs: window.resetAt - now };
  }

  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    const now = this.clock.now().getTime();
    const window = this.windows.get(key);
    if (!window || window.resetAt <= now || window.count < rule.limit) return { allowed: true, retryAfterMs: 0 };
    return { allowed: false, retryAfterMs: window.resetAt - now };
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

/** INCR, and PEXPIRE on the first hit of a window, atomically; returns the count and the window's remaining ms. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

export class RedisRateLimiter implements RateLimiter {
  constructor(private readonly redis: RedisConnections) {}

  async hit(key: string, rule: RateRule): Promise<RateDecision> {
    const [count, ttl] = (await this.redis.commands.eval(
      HIT_SCRIPT,
      1,
      `${this.redis.prefix}rate:${key}`,
      String(rule.windowMs),
    )) as [number, number];
    return count <= rule.limit ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs: ttl };
  }

  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    const redisKey = `${this.redis.prefix}rate:${key}`;
    const [count, ttl] = await Promise.all([this.redis.commands.get(redisKey), this.redis.commands.pttl(redisKey)]);
    if (count === null || Number(count) < rule.limit || ttl <= 0) return { allowed: true, retryAfterMs: 0 };
    return { allowed: false, retryAfterMs: ttl };
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
    await this.limiter.hit(`session:${key}`, rule);
  }

  private async check(name: string, key: string, rule: RateRule | null): Promise<void> {
    if (!rule) return;
    const decision = await this.limiter.hit(key, rule);
    if (!decision.allowed) this.onRefused(name);
    if (!decision.allowed) throw new RateLimitedError(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }
}
