import webpush from "web-push";
import { z } from "zod";
import { sharedSecret } from "../auth/secrets.ts";
import { ValidationError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { PermanentJobError } from "../jobs/job-worker.ts";
import { enqueueJob, type JobWriter } from "../jobs/jobs.service.ts";
import {
  type PushEndpointPolicy,
  PushEndpointRefusedError,
  postToPushService,
  pushEndpointRefusal,
} from "./push-endpoints.ts";

declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /** One Web Push message to one subscription; the payload the service worker gets is {title, body, url}. */
    "push.send": { subscriptionId: string; title: string; body: string; url: string };
  }
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  /** mailto: or https: contact the push services may use. */
  subject: string;
}

/** Who owns a subscription: a signed-in user, or a live-session participant (by participant id). */
export type PushOwner = { userId: string } | { participantId: string };

export interface PushMessage {
  title: string;
  body: string;
  /** The page the notification opens; absolute, built from PUBLIC_URL. */
  url: string;
}

/** Push services keep a message this long for an offline device. */
const TTL_SECONDS = 60 * 60;

const base64url = (bytes: number, name: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+=*$/, { message: "must be base64url", abort: true })
    .refine((value) => Buffer.from(value, "base64url").length === bytes, `${name} must be ${bytes} bytes`);

/**
 * VAPID keys from configuration, or generated on first start and stored in the Setting table, so every instance
 * signs with the same key and existing browser subscriptions keep working after a restart.
 */
export async function loadVapidKeys(
  prisma: PrismaClient,
  config: { publicKey?: string; privateKey?: string; subject?: string; publicUrl: string; mailFrom: string },
): Promise<VapidKeys> {
  const subject =
    config.subject ??
    (config.publicUrl.startsWith("https://")
      ? config.publicUrl
      : `mailto:${/<([^>]+)>/.exec(config.mailFrom)?.[1] ?? config.mailFrom}`);
  if (config.publicKey && config.privateKey) {
    return { publicKey: config.publicKey, privateKey: config.privateKey, subject };
  }
  const stored = JSON.parse(
    await sharedSecret(prisma, "vapid.keys", () => JSON.stringify(webpush.generateVAPIDKeys())),
  ) as { publicKey: string; privateKey: string };
  return { ...stored, subject };
}

export class PushService {
  private readonly subscriptionInput: z.ZodType<{ endpoint: string; keys: { p256dh: string; auth: string } }>;
  private readonly endpointPolicy: PushEndpointPolicy;

  constructor(
    private readonly prisma: PrismaClient,
    readonly vapid: VapidKeys,
    options: { allowInsecureEndpoints: boolean } & PushEndpointPolicy,
  ) {
    this.endpointPolicy = options;
    this.subscriptionInput = z.object({
      endpoint: z
        .url({ protocol: options.allowInsecureEndpoints ? /^https?$/ : /^https$/, message: "must be an https URL" })
        .max(2000, "must be at most 2,000 characters"),
      keys: z.object({ p256dh: base64url(65, "p256dh"), auth: base64url(16, "auth") }),
    });
  }

  /**
   * Saves the browser's subscription for this owner. An endpoint belongs to one browser profile, so registering it
   * again (another user signed in on that browser) moves it to the new owner. Endpoints whose host is not public
   * are refused (PushEndpointRefusedError).
   */
  async register(owner: PushOwner, input: unknown) {
    const parsed = this.subscriptionInput.safeParse(input);
    if (!parsed.success) throw ValidationError.fromZod(parsed.error, "");
    const { endpoint, keys } = parsed.data;
    const refusal = await pushEndpointRefusal(endpoint, this.endpointPolicy);
    if (refusal) throw new PushEndpointRefusedError(refusal);
    const ownerColumns = {
      userId: "userId" in owner ? owner.userId : null,
      participantId: "participantId" in owner ? owner.participantId : null,
    };
    return this.prisma.pushSubscription.upsert({
      where: { endpoint },
      create: { endpoint, p256dh: keys.p256dh, auth: keys.auth, ...ownerColumns },
      update: { p256dh: keys.p256dh, auth: keys.auth, ...ownerColumns },
    });
  }

  /** Removes the owner's subscription with this endpoint; true when there was one. */
  async unregister(owner: PushOwner, endpoint: string): Promise<boolean> {
    const removed = await this.prisma.pushSubscription.deleteMany({ where: { endpoint, ...owner } });
    return removed.count > 0;
  }

  /**
   * Encrypts (RFC 8291, aes128gcm) and signs (VAPID, RFC 8292) with `web-push`, then posts to the push service.
   * A subscription the service no longer knows (404/410) is deleted; other failures throw, so the job retries.
   * The endpoint's host is checked again first, as its name may resolve elsewhere now (or the row predates the
   * check), and the connection goes only to public addresses: a refused one is deleted unsent, and the job fails
   * permanently with the reason, which the worker logs.
   */
  async deliver(subscriptionId: string, message: PushMessage): Promise<"sent" | "gone"> {
    const subscription = await this.prisma.pushSubscription.findUnique({ where: { id: subscriptionId } });
    if (!subscription) return "gone";
    const refusal = await pushEndpointRefusal(subscription.endpoint, this.endpointPolicy);
    if (refusal) return this.refuse(subscription.id, refusal);
    const request = webpush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
      JSON.stringify({ title: message.title, body: message.body, url: message.url }),
      {
        vapidDetails: this.vapid,
        TTL: TTL_SECONDS,
        contentEncoding: "aes128gcm",
      },
    );
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    let status: number;
    try {
      status = await postToPushService(
        request.endpoint,
        { headers, body: request.body, timeoutMs: 30_000 },
        this.endpointPolicy,
      );
    } catch (error) {
      if (error instanceof PushEndpointRefusedError) return this.refuse(subscription.id, error.reason);
      throw error;
    }
    if (status === 404 || status === 410) {
      await this.prisma.pushSubscription.deleteMany({ where: { id: subscription.id } });
      return "gone";
    }
    if (status === 400 || status === 413) {
      throw new PermanentJobError(`Push service refused the message: HTTP ${status}`);
    }
    if (status < 200 || status >= 300) throw new Error(`Push service answered HTTP ${status}`);
    return "sent";
  }

  /** Deletes a subscription whose endpoint is refused; the job fails for good with the reason, which is logged. */
  private async refuse(subscriptionId: string, reason: string): Promise<never> {
    await this.prisma.pushSubscription.deleteMany({ where: { id: subscriptionId } });
    throw new PermanentJobError(`Push subscription ${subscriptionId} deleted unsent: ${reason}`);
  }
}

/**
 * Queues one `push.send` job per subscription of the owner, in the caller's transaction. Returns how many.
 * Use it wherever something should reach a user's or participant's devices (reminders, session started).
 */
export async function enqueuePush(
  tx: JobWriter & Pick<PrismaClient, "pushSubscription">,
  owner: PushOwner,
  message: PushMessage,
  options: { runAt?: Date; dedupeKeyPrefix?: string } = {},
): Promise<number> {
  const subscriptions = await tx.pushSubscription.findMany({ where: owner, select: { id: true } });
  for (const subscription of subscriptions) {
    await enqueueJob(
      tx,
      "push.send",
      { subscriptionId: subscription.id, ...message },
      {
        ...(options.runAt ? { runAt: options.runAt } : {}),
        ...(options.dedupeKeyPrefix ? { dedupeKey: `${options.dedupeKeyPrefix}:${subscription.id}` } : {}),
      },
    );
  }
  return subscriptions.length;
}
