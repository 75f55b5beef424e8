import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock.ts";

/**
 * Short-lived signed download links. The GraphQL field that hands one out checks that the viewer may see the
 * file, so a browser can load it with a plain <img src> or <a href> and no Authorization header.
 */
export class FileLinks {
  constructor(
    private readonly secret: string,
    private readonly clock: Clock,
    private readonly ttlMs = 15 * 60_000,
  ) {}

  sign(attachmentId: string): string {
    const expires = Math.floor((this.clock.now().getTime() + this.ttlMs) / 1000);
    return `/files/${attachmentId}?expires=${expires}&signature=${this.signature(attachmentId, expires)}`;
  }

  verify(attachmentId: string, expires: string | null, signature: string | null): boolean {
    if (!expires || !signature || !/^\d+$/.test(expires)) return false;
    if (Number(expires) * 1000 < this.clock.now().getTime()) return false;
    const expected = Buffer.from(this.signature(attachmentId, Number(expires)));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private signature(attachmentId: string, expires: number): string {
    return createHmac("sha256", this.secret).update(`file:${attachmentId}:${expires}`).digest("base64url");
  }
}
