import { createHmac } from "node:crypto";
import type { Clock } from "../clock.ts";
import { ConfigError, type Env } from "../env.ts";

/** One entry of RTCConfiguration.iceServers. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
  /** When the TURN credential stops working (TURN only). */
  expiresAt?: Date;
}

export interface IceConfig {
  stunUrls: string[];
  turnUrls: string[];
  turnSecret?: string;
  turnTtlMs: number;
}

export function iceConfigFromEnv(env: Pick<Env, "STUN_URLS" | "TURN_URLS" | "TURN_SECRET" | "TURN_TTL">): IceConfig {
  if (env.TURN_URLS.length > 0 && !env.TURN_SECRET) {
    throw new ConfigError("Invalid configuration:\n  TURN_SECRET: required when TURN_URLS is set");
  }
  for (const [name, urls, scheme] of [
    ["STUN_URLS", env.STUN_URLS, /^stuns?:/],
    ["TURN_URLS", env.TURN_URLS, /^turns?:/],
  ] as const) {
    const bad = urls.find((url) => !scheme.test(url));
    if (bad) throw new ConfigError(`Invalid configuration:\n  ${name}: ${bad} does not start with ${scheme.source}`);
  }
  return { stunUrls: env.STUN_URLS, turnUrls: env.TURN_URLS, turnSecret: env.TURN_SECRET, turnTtlMs: env.TURN_TTL };
}

/**
 * TURN credentials in coturn's REST-API scheme (`use-auth-secret` + `static-auth-secret`): the username is
 * `<expiry unix seconds>:<id>` and the password is base64(HMAC-SHA1(secret, username)). coturn recomputes the
 * HMAC, so nothing is stored, and refuses the username once the expiry has passed.
 */
export function turnCredentials(secret: string, id: string, expiresAt: Date): { username: string; credential: string } {
  const username = `${Math.floor(expiresAt.getTime() / 1000)}:${id}`;
  const credential = createHmac("sha1", secret).update(username).digest("base64");
  return { username, credential };
}

/** Hands out the ICE servers for one caller; TURN credentials are minted per call and expire after TURN_TTL. */
export class IceService {
  constructor(
    private readonly config: IceConfig,
    private readonly clock: Clock,
  ) {}

  /** `id` names the caller in the TURN username (a user id, or a participant id for participant tokens). */
  serversFor(id: string): IceServer[] {
    const servers: IceServer[] = [];
    if (this.config.stunUrls.length > 0) servers.push({ urls: this.config.stunUrls });
    if (this.config.turnUrls.length > 0 && this.config.turnSecret) {
      const expiresAt = new Date(this.clock.now().getTime() + this.config.turnTtlMs);
      servers.push({
        urls: this.config.turnUrls,
        ...turnCredentials(this.config.turnSecret, id, expiresAt),
        expiresAt,
      });
    }
    return servers;
  }
}
