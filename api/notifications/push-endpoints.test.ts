import { createECDH, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { createSession, join, participantGql } from "../../test/session-fixtures.ts";
import { enqueuePush, PushService } from "./push.service.ts";
import { type AddressLookup, pushEndpointRefusal } from "./push-endpoints.ts";

/**
 * Push endpoints are URLs a client chooses and the server later posts to: only public hosts are accepted
 * (the default, PUSH_ALLOW_PRIVATE_HOSTS off). A listener on 127.0.0.1 stands for a service inside the network.
 */
let internalService: Server;
let internalBase: string;
const leaked: string[] = [];

let server: TestServer;
let user: Actor;
let participantToken: string;

beforeAll(async () => {
  internalService = createServer((request, response) => {
    leaked.push(request.url ?? "");
    response.writeHead(201).end();
  });
  await new Promise<void>((resolve) => internalService.listen(0, "127.0.0.1", resolve));
  internalBase = `http://127.0.0.1:${(internalService.address() as AddressInfo).port}`;
  server = await startTestServer({ env: { PUSH_ALLOW_PRIVATE_HOSTS: "false" } });
  const cast = await createCast(server);
  user = cast.customer;
  const session = await createSession(server, cast.agent);
  participantToken = (await join(server, session.accessToken, "guest@example.net")).participantToken;
}, 300_000);
afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => internalService?.close(resolve));
});

/** A browser's subscription keys (a P-256 public key and an auth secret), valid enough for web-push to encrypt. */
const browser = createECDH("prime256v1");
browser.generateKeys();
const keys = { p256dh: browser.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") };

const RESULT = `__typename ... on PushSubscription { endpoint } ... on PushEndpointRefusedError { code reason }`;
const register = {
  user: (endpoint: string) =>
    server.gql(
      `mutation($e: String!, $k: PushSubscriptionKeysInput!) { registerPushSubscription(endpoint: $e, keys: $k) {
        ${RESULT} } }`,
      { e: endpoint, k: keys },
      user.token,
    ),
  participant: (endpoint: string) =>
    participantGql(
      server,
      `mutation($e: String!, $k: PushSubscriptionKeysInput!) { registerSessionPushSubscription(endpoint: $e, keys: $k) {
        ${RESULT} } }`,
      { e: endpoint, k: keys },
      participantToken,
    ),
};

const internalEndpoints = [
  "https://127.0.0.1/push",
  "https://localhost/push", // resolves to 127.0.0.1
  "https://[::1]/push",
  "https://0.0.0.0/push",
  "https://169.254.169.254/latest/meta-data", // cloud metadata
  "https://[fd00:ec2::254]/latest/meta-data", // cloud metadata over IPv6 (unique local)
  "https://10.0.0.8/push",
  "https://172.16.5.4/push",
  "https://192.168.1.1/push",
  "https://100.64.0.1/push", // carrier-grade NAT
  "https://[fe80::1]/push",
  "https://[::ffff:127.0.0.1]/push", // IPv4-mapped loopback
  "https://[64:ff9b::a9fe:a9fe]/push", // NAT64 form of 169.254.169.254
  "https://push.service.invalid/push", // does not resolve
];

describe.each(Object.keys(register) as (keyof typeof register)[])("push endpoints registered by a %s", (owner) => {
  it("refuses hosts that are not public, with a typed error", async () => {
    const refused = [...internalEndpoints, `${internalBase}/push`];
    for (const endpoint of refused) {
      const result = await register[owner](endpoint);
      const answer = result.data?.registerPushSubscription ?? result.data?.registerSessionPushSubscription;
      expect({ endpoint, answer }).toMatchObject({
        endpoint,
        answer: { __typename: "PushEndpointRefusedError", code: "PUSH_ENDPOINT_REFUSED" },
      });
    }
    expect(await server.app.prisma.pushSubscription.count({ where: { endpoint: { in: refused } } })).toBe(0);
  });

  it("accepts https endpoints on public addresses", async () => {
    for (const endpoint of [`https://1.1.1.1/push/${owner}`, `https://[2606:4700:4700::1111]/push/${owner}`]) {
      const result = await register[owner](endpoint);
      const answer = result.data?.registerPushSubscription ?? result.data?.registerSessionPushSubscription;
      expect(answer).toEqual({ __typename: "PushSubscription", endpoint });
    }
  });
});

describe("push delivery", () => {
  it("checks the endpoint again at send time: deletes a refused subscription unsent and fails the job with why", async () => {
    // A row saved before this check existed, or while PUSH_ALLOW_PRIVATE_HOSTS was on.
    const subscription = await server.app.prisma.pushSubscription.create({
      data: { endpoint: `${internalBase}/internal-admin`, p256dh: keys.p256dh, auth: keys.auth, userId: user.id },
    });
    await enqueuePush(
      server.app.prisma,
      { userId: user.id },
      { title: "Reminder", body: "Starts soon", url: "https://support.example.com/" },
      { runAt: server.clock.now() },
    );
    await server.app.services.jobs.drain();

    expect(leaked).toEqual([]);
    expect(await server.app.prisma.pushSubscription.findUnique({ where: { id: subscription.id } })).toBeNull();
    const job = await server.app.prisma.job.findFirstOrThrow({
      where: { kind: "push.send", payload: { path: ["subscriptionId"], equals: subscription.id } },
    });
    expect(job).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(job.lastError).toContain("is not a public host (127.0.0.1)");
  });

  it("connects only to the addresses it checked: a name rebound to 127.0.0.1 after the check reaches nothing", async () => {
    // localhost plays an attacker's name (DNS rebinding): public to the check, loopback a moment later, as it is
    // to the system resolver too.
    let asked = 0;
    const rebinding: AddressLookup = async () => [{ address: asked++ === 0 ? "1.1.1.1" : "127.0.0.1" }];
    const push = new PushService(server.app.prisma, server.app.services.notifications.push.vapid, {
      allowInsecureEndpoints: true,
      allowPrivateHosts: false,
      lookup: rebinding,
    });
    const { port } = internalService.address() as AddressInfo;
    const subscription = await server.app.prisma.pushSubscription.create({
      data: { endpoint: `http://localhost:${port}/rebound`, p256dh: keys.p256dh, auth: keys.auth, userId: user.id },
    });
    await expect(
      push.deliver(subscription.id, { title: "Reminder", body: "Starts soon", url: "https://support.example.com/" }),
    ).rejects.toThrow("deleted unsent: localhost is not a public host (127.0.0.1)");
    expect(asked).toBe(2);
    expect(leaked).toEqual([]);
    expect(await server.app.prisma.pushSubscription.findUnique({ where: { id: subscription.id } })).toBeNull();
  });
});

describe("pushEndpointRefusal", () => {
  const resolvingTo =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address }));

  it("refuses a name when any of its addresses is internal, since a connection may use any of them", async () => {
    const policy = { allowPrivateHosts: false, lookup: resolvingTo("1.1.1.1", "10.0.0.1") };
    expect(await pushEndpointRefusal("https://push.example.com/x", policy)).toBe(
      "push.example.com is not a public host (10.0.0.1)",
    );
  });

  it("accepts a name whose every address is public, and anything when private hosts are allowed", async () => {
    const lookup = resolvingTo("1.1.1.1", "2606:4700:4700::1111");
    expect(await pushEndpointRefusal("https://push.example.com/x", { allowPrivateHosts: false, lookup })).toBeNull();
    expect(await pushEndpointRefusal("http://127.0.0.1:9/x", { allowPrivateHosts: true })).toBeNull();
  });
});
