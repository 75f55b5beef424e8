import { createDecipheriv, createECDH, hkdfSync, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { importJWK, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, signUp } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { enqueuePush } from "./push.service.ts";

/**
 * A local push service: it stores each request and answers with `status`. The browser side of the subscription
 * is played by the test, with its own P-256 key pair and auth secret.
 */
interface PushRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
let pushService: Server;
let pushBase: string;
const received: PushRequest[] = [];
let status = 201;

let server: TestServer;
let user: Actor;

beforeAll(async () => {
  pushService = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => pushService.listen(0, "127.0.0.1", resolve));
  pushBase = `http://127.0.0.1:${(pushService.address() as AddressInfo).port}`;
  server = await startTestServer({ env: { PUBLIC_URL: "https://support.example.com" } });
  user = await signUp(server, "pusher@example.com");
});
afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => pushService?.close(resolve));
});

/** A browser's subscription keys: P-256 key pair (RFC 8291 "ua") and 16-byte auth secret. */
function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, p256dh: ecdh.getPublicKey().toString("base64url"), authKey: auth.toString("base64url") };
}

/** Decrypts an aes128gcm Web Push message (RFC 8188 + RFC 8291) as the browser would. */
function decryptPush(body: Buffer, keys: ReturnType<typeof browserKeys>): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const keyIdLength = body.readUInt8(20);
  const serverPublicKey = body.subarray(21, 21 + keyIdLength);
  const ciphertext = body.subarray(21 + keyIdLength);
  expect(keyIdLength).toBe(65);
  expect(ciphertext.length).toBeLessThanOrEqual(recordSize);
  const sharedSecret = keys.ecdh.computeSecret(serverPublicKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), keys.ecdh.getPublicKey(), serverPublicKey]);
  const ikm = Buffer.from(hkdfSync("sha256", sharedSecret, keys.auth, keyInfo, 32));
  const contentKey = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", contentKey, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // Last record: content, then the 0x02 delimiter, then zero padding.
  const end = plain.lastIndexOf(2);
  expect(plain.subarray(end + 1).every((byte) => byte === 0)).toBe(true);
  return plain.subarray(0, end).toString("utf8");
}

const REGISTER = `mutation($endpoint: String!, $keys: PushSubscriptionKeysInput!) {
  registerPushSubscription(endpoint: $endpoint, keys: $keys) {
    __typename ... on PushSubscription { id endpoint } ... on ValidationError { fieldErrors { path } } } }`;

async function register(path: string, keys = browserKeys()) {
  const result = await server.gql(
    REGISTER,
    { endpoint: `${pushBase}${path}`, keys: { p256dh: keys.p256dh, auth: keys.authKey } },
    user.token,
  );
  expect(result.data?.registerPushSubscription.__typename).toBe("PushSubscription");
  return { id: result.data?.registerPushSubscription.id as string, keys };
}

async function push(
  message = {
    title: "Starting soon",
    body: "Your session starts in 15 minutes",
    url: "https://support.example.com/sessions/s1",
  },
) {
  await enqueuePush(server.app.prisma, { userId: user.id }, message, { runAt: server.clock.now() });
  await server.app.services.jobs.drain();
}

describe("web push", () => {
  it("publishes a stable VAPID public key", async () => {
    const first = (await server.gql(`{ vapidPublicKey }`)).data?.vapidPublicKey as string;
    expect(Buffer.from(first, "base64url")).toHaveLength(65);
    const stored = await server.app.prisma.setting.findUniqueOrThrow({ where: { key: "vapid.keys" } });
    expect(JSON.parse(stored.value).publicKey).toBe(first);
  });

  it("delivers an encrypted, VAPID-signed payload that the browser decrypts to {title, body, url}", async () => {
    const subscription = await register("/push/one");
    received.length = 0;
    status = 201;
    await push();
    expect(received).toHaveLength(1);
    const [request] = received as [PushRequest];
    expect(request.path).toBe("/push/one");
    expect(request.headers["content-encoding"]).toBe("aes128gcm");
    expect(Number(request.headers.ttl)).toBeGreaterThan(0);
    expect(JSON.parse(decryptPush(request.body, subscription.keys))).toEqual({
      title: "Starting soon",
      body: "Your session starts in 15 minutes",
      url: "https://support.example.com/sessions/s1",
    });
    // VAPID (RFC 8292): a JWT for the push service's origin, signed with the key the app publishes.
    const [, token, key] = /^vapid t=([^,]+), k=(.+)$/.exec(request.headers.authorization ?? "") ?? [];
    const vapidKey = (await server.gql(`{ vapidPublicKey }`)).data?.vapidPublicKey;
    expect(key).toBe(vapidKey);
    const point = Buffer.from(key as string, "base64url");
    const publicKey = await importJWK(
      {
        kty: "EC",
        crv: "P-256",
        x: point.subarray(1, 33).toString("base64url"),
        y: point.subarray(33).toString("base64url"),
      },
      "ES256",
    );
    const { payload } = await jwtVerify(token as string, publicKey);
    expect(payload.aud).toBe(pushBase);
    expect(payload.sub).toBe("https://support.example.com");
  });

  it("retries when the push service fails, and deletes a subscription it answers 410 Gone", async () => {
    received.length = 0;
    status = 500;
    await push();
    const job = await server.app.prisma.job.findFirstOrThrow({ where: { kind: "push.send", status: "PENDING" } });
    expect(job.attempts).toBe(1);
    expect(job.lastError).toContain("HTTP 500");
    status = 410;
    server.clock.set(job.runAt);
    await server.app.services.jobs.drain();
    expect(received).toHaveLength(2);
    expect(await server.app.prisma.pushSubscription.count({ where: { userId: user.id } })).toBe(0);
    expect(await server.app.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({
      status: "SUCCEEDED",
    });
    status = 201;
  });

  it("validates subscriptions, needs a signed-in user, and unregisters", async () => {
    const bad = await server.gql(REGISTER, { endpoint: "not a url", keys: { p256dh: "abc", auth: "!!" } }, user.token);
    expect(bad.data?.registerPushSubscription.fieldErrors.map((issue: { path: string }) => issue.path).sort()).toEqual([
      "endpoint",
      "keys.auth",
      "keys.p256dh",
    ]);
    const keys = browserKeys();
    const anonymous = await server.gql(REGISTER, {
      endpoint: `${pushBase}/push/anon`,
      keys: { p256dh: keys.p256dh, auth: keys.authKey },
    });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    await register("/push/two");
    const other = await signUp(server, "other-pusher@example.com");
    const unregister = `mutation($endpoint: String!) { unregisterPushSubscription(endpoint: $endpoint) }`;
    // Someone else cannot remove it.
    expect(
      (await server.gql(unregister, { endpoint: `${pushBase}/push/two` }, other.token)).data
        ?.unregisterPushSubscription,
    ).toBe(false);
    expect(
      (await server.gql(unregister, { endpoint: `${pushBase}/push/two` }, user.token)).data?.unregisterPushSubscription,
    ).toBe(true);
    expect(await server.app.prisma.pushSubscription.count()).toBe(0);
  });
});
