import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import type { AuthService } from "../auth/auth.service.ts";
import type { SessionService } from "../sessions/sessions.service.ts";
import { createRequestAuth } from "./request-auth.ts";

const REFRESH = `mutation($token: String!) {
  refreshSession(refreshToken: $token) { __typename ... on RateLimitedError { code } }
}`;
const LOG_IN = `mutation($input: LogInInput!) {
  logIn(input: $input) { __typename ... on RateLimitedError { code } }
}`;

/** The default per-address limit of logIn, refreshSession… is 60 per 15 minutes: 65 calls, 5 refused. */
const CALLS = 65;

describe("client address behind a trusted proxy (TRUST_PROXY)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { RATE_LIMITS: "on", TRUST_PROXY: "true" } });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Posts `query` as a client would through a proxy that appends the address it saw to X-Forwarded-For. */
  async function limitedOf(query: string, variables: (n: number) => Record<string, unknown>, forged: boolean) {
    let limited = 0;
    for (let n = 0; n < CALLS; n++) {
      // What nginx with `$proxy_add_x_forwarded_for` sends: the client's own header, then the address it saw.
      const forwardedFor = forged ? `198.51.100.${n}, 203.0.113.7` : "203.0.113.9";
      const response = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
        body: JSON.stringify({ query, variables: variables(n) }),
      });
      const { data } = (await response.json()) as { data: Record<string, { __typename: string }> };
      if (Object.values(data)[0]?.__typename === "RateLimitedError") limited += 1;
    }
    return limited;
  }

  it("limits 65 refreshSession calls with a forged X-Forwarded-For exactly as without it", async () => {
    const variables = (n: number) => ({ token: `not-a-refresh-token-${n}` });
    expect(await limitedOf(REFRESH, variables, false)).toBe(CALLS - 60);
    expect(await limitedOf(REFRESH, variables, true)).toBe(CALLS - 60);
  });

  it("limits 65 logIn calls with a forged X-Forwarded-For exactly as without it", async () => {
    // A different email each time, so only the per-address limit applies.
    const variables = (n: number) => ({ input: { email: `nobody${n}@example.com`, password: "wrong password" } });
    expect(await limitedOf(LOG_IN, variables, false)).toBe(CALLS - 60);
    expect(await limitedOf(LOG_IN, variables, true)).toBe(CALLS - 60);
  }, 120_000);
});

describe("clientAddressOf", () => {
  const addressOf = (trustProxy: number, forwardedFor: string | null) =>
    createRequestAuth({ trustProxy, auth: {} as AuthService, sessions: {} as SessionService }).clientAddressOf(
      "10.0.0.2",
      forwardedFor,
    );

  it("reads the hop the outermost trusted proxy saw, counted from the right", () => {
    expect(addressOf(0, "198.51.100.1")).toBe("10.0.0.2");
    expect(addressOf(1, "198.51.100.1, 203.0.113.7")).toBe("203.0.113.7");
    expect(addressOf(2, "198.51.100.1, 203.0.113.7, 10.0.0.1")).toBe("203.0.113.7");
    // Fewer hops than trusted proxies: the left-most one is the best we know.
    expect(addressOf(3, "203.0.113.7, 10.0.0.1")).toBe("203.0.113.7");
    expect(addressOf(1, null)).toBe("10.0.0.2");
  });
});
