import { hash, verify } from "@node-rs/argon2";

/** OWASP's argon2id settings: 19 MiB, two passes, one lane. */
const options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

/** Hash of a random password: verifying against it costs as much as a real check, so unknown emails take as long. */
const decoyHash = hashPassword(crypto.randomUUID());

/** Constant-time check (argon2 compares digests in constant time); a missing hash takes as long as a real one. */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  try {
    const matches = await verify(passwordHash ?? (await decoyHash), password);
    return passwordHash !== null && matches;
  } catch {
    return false;
  }
}
