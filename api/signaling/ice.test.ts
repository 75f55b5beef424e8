import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { ConfigError, loadEnv } from "../env.ts";
import { iceConfigFromEnv } from "./ice.ts";

const SECRET = "a-turn-secret-shared-with-coturn";
const ICE = `{ iceServers { urls username credential expiresAt } }`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: {
      STUN_URLS: "stun:stun.example.org:3478, stun:stun2.example.org",
      TURN_URLS: "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349",
      TURN_SECRET: SECRET,
      TURN_TTL: "10m",
    },
  });
});
afterAll(async () => {
  await server?.close();
});

describe("ICE servers", () => {
  it("hands a signed-in user STUN and coturn REST-API TURN credentials that verify with the shared secret", async () => {
    const user = await signUp(server, "caller@example.com");
    const result = await server.gql(ICE, {}, user.token);
    expect(result.errors).toBeUndefined();
    const [stun, turn] = result.data?.iceServers ?? [];
    expect(stun).toEqual({
      urls: ["stun:stun.example.org:3478", "stun:stun2.example.org"],
      username: null,
      credential: null,
      expiresAt: null,
    });
    expect(turn.urls).toEqual(["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]);
    const expiry = Math.floor(server.clock.now().getTime() / 1000) + 600;
    expect(turn.username).toBe(`${expiry}:${user.id}`);
    expect(turn.expiresAt).toBe(new Date(expiry * 1000).toISOString());
    // What coturn computes for `use-auth-secret`: base64(HMAC-SHA1(static-auth-secret, username)).
    expect(turn.credential).toBe(createHmac("sha1", SECRET).update(turn.username).digest("base64"));
    expect(turn.credential).not.toBe(createHmac("sha1", "another secret").update(turn.username).digest("base64"));
  });

  it("mints a later expiry as time passes", async () => {
    const user = await signUp(server, "later@example.com");
    const first = (await server.gql(ICE, {}, user.token)).data?.iceServers[1].username as string;
    server.clock.advance(60_000);
    const second = (await server.gql(ICE, {}, user.token)).data?.iceServers[1].username as string;
    expect(Number(second.split(":")[0]) - Number(first.split(":")[0])).toBe(60);
  });

  it("refuses anonymous callers", async () => {
    const result = await server.gql(ICE);
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("hands out nothing when nothing is configured, so LAN and loopback calls use host candidates", () => {
    const config = iceConfigFromEnv(loadEnv({}));
    expect(config).toMatchObject({ stunUrls: [], turnUrls: [], turnTtlMs: 3_600_000 });
  });

  it("refuses TURN without a secret and URLs of the wrong scheme at start-up", () => {
    expect(() => iceConfigFromEnv(loadEnv({ TURN_URLS: "turn:turn.example.org" }))).toThrow(/TURN_SECRET/);
    expect(() => iceConfigFromEnv(loadEnv({ STUN_URLS: "turn:x.example.org" }))).toThrow(ConfigError);
    expect(() => iceConfigFromEnv(loadEnv({ TURN_URLS: "stun:x", TURN_SECRET: SECRET }))).toThrow(/TURN_URLS/);
    expect(() => loadEnv({ TURN_SECRET: "short" })).toThrow(/TURN_SECRET/);
    expect(() => loadEnv({ TURN_TTL: "soon" })).toThrow(/TURN_TTL/);
  });
});
