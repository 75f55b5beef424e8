import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { createRefreshCookie } from "./refresh-cookie.ts";

const LOG_IN = `mutation($input: LogInInput!) {
  logIn(input: $input) { __typename ... on AuthPayload { accessToken refreshToken } }
}`;

/** The refresh cookie's value in a response's Set-Cookie headers, with its attributes. */
function refreshCookieOf(response: Response): { value: string; attributes: string } | null {
  for (const header of response.headers.getSetCookie()) {
    const match = /^ls_refresh=([^;]*);(.*)$/.exec(header);
    if (match) return { value: match[1] ?? "", attributes: match[2] ?? "" };
  }
  return null;
}

describe("the refresh cookie and POST /auth/refresh", () => {
  let server: TestServer;
  const user = { email: "cookie@example.com", name: "Cookie", password: "cookie-password-1" };

  beforeAll(async () => {
    server = await startTestServer();
    await server.gql(`mutation($input: SignUpInput!) { signUp(input: $input) { __typename } }`, { input: user });
  });
  afterAll(async () => {
    await server?.close();
  });

  const graphql = (query: string, variables: Record<string, unknown>, token?: string) =>
    fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  const refresh = (cookie: string | undefined, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/auth/refresh`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(cookie ? { cookie: `ls_refresh=${cookie}` } : {}),
        ...headers,
      },
      body: "{}",
    });
  const logIn = async () => {
    const response = await graphql(LOG_IN, { input: { email: user.email, password: user.password } });
    const cookie = refreshCookieOf(response);
    const body = (await response.json()) as { data: { logIn: { accessToken: string; refreshToken: string } } };
    return { cookie, ...body.data.logIn };
  };

  it("log-in sets the refresh token as an httpOnly, SameSite=Strict cookie for /auth/refresh only", async () => {
    const { cookie, refreshToken } = await logIn();
    expect(cookie?.value).toBe(refreshToken);
    expect(cookie?.attributes).toContain("HttpOnly");
    expect(cookie?.attributes).toContain("SameSite=Strict");
    expect(cookie?.attributes).toContain("Path=/auth/refresh");
    expect(cookie?.attributes).not.toContain("Secure");
    expect(cookie?.attributes).toMatch(/Max-Age=\d+/);
  });

  it("trades the cookie for an access token and a new cookie, never answering the refresh token", async () => {
    const { cookie } = await logIn();
    const response = await refresh(cookie?.value);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, any>;
    expect(body).toMatchObject({ __typename: "AuthPayload", user: { email: user.email, role: "ADMIN" } });
    expect(JSON.stringify(body)).not.toContain("refreshToken");
    const next = refreshCookieOf(response);
    expect(next?.value).toMatch(/.{20,}/);
    expect(next?.value).not.toBe(cookie?.value);
    const me = await graphql(`{ me { email } }`, {}, body.accessToken);
    expect(await me.json()).toEqual({ data: { me: { email: user.email } } });
    // The new cookie works in turn.
    expect((await refresh(next?.value)).status).toBe(200);
  });

  it("refuses a request another site could send (not JSON), other methods and a missing or unknown cookie", async () => {
    const { cookie } = await logIn();
    const form = await refresh(cookie?.value, { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const plain = await refresh(cookie?.value, { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    const get = await fetch(`${server.url}/auth/refresh`, { headers: { cookie: `ls_refresh=${cookie?.value}` } });
    expect(get.status).toBe(405);
    // None of those used the token up.
    expect((await refresh(cookie?.value)).status).toBe(200);
    const missing = await refresh(undefined);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ __typename: "InvalidTokenError", code: "INVALID_TOKEN" });
    const unknown = await refresh("not-a-token");
    expect(unknown.status).toBe(401);
    expect(refreshCookieOf(unknown)?.attributes).toContain("Max-Age=0");
  });

  it("log-out clears the cookie and revokes it", async () => {
    const { cookie, accessToken } = await logIn();
    const response = await graphql(`mutation { logOut }`, {}, accessToken);
    expect(await response.json()).toEqual({ data: { logOut: true } });
    const cleared = refreshCookieOf(response);
    expect(cleared?.value).toBe("");
    expect(cleared?.attributes).toContain("Max-Age=0");
    expect(cleared?.attributes).toContain("Path=/auth/refresh");
    expect((await refresh(cookie?.value)).status).toBe(401);
  });

  it("integrators still trade the refresh token as an argument of refreshSession", async () => {
    const { refreshToken } = await logIn();
    const response = await graphql(
      `mutation($refreshToken: String!) {
        refreshSession(refreshToken: $refreshToken) { __typename ... on AuthPayload { refreshToken } }
      }`,
      { refreshToken },
    );
    const body = (await response.json()) as { data: { refreshSession: { refreshToken: string } } };
    expect(body.data.refreshSession.refreshToken).toMatch(/.{20,}/);
    expect(refreshCookieOf(response)?.value).toBe(body.data.refreshSession.refreshToken);
  });

  it("is Secure when the public URL is https", () => {
    const cookie = createRefreshCookie({ publicUrl: "https://support.example.com" });
    const expiresAt = new Date(Date.now() + 60_000);
    expect(cookie.issue({ refreshToken: "t", refreshTokenExpiresAt: expiresAt })).toMatch(/; Secure$/);
    expect(cookie.read("other=1; ls_refresh=abc; more=2")).toBe("abc");
  });
});
