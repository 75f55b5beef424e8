import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_FIELDS, invite, signUp } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { REFRESH_RETRY_GRACE_MS } from "./auth.service.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const ME = `{ me { id email role name } }`;

describe("accounts and sessions", () => {
  it("makes the first account the admin and later ones customers", async () => {
    const admin = await signUp(server, "First@Example.com");
    const customer = await signUp(server, "second@example.com");
    expect((await server.gql(ME, {}, admin.token)).data?.me).toMatchObject({
      role: "ADMIN",
      email: "first@example.com",
    });
    expect((await server.gql(ME, {}, customer.token)).data?.me).toMatchObject({ role: "CUSTOMER" });
  });

  it("stores an argon2id hash, never the password", async () => {
    const user = await server.app.prisma.user.findUniqueOrThrow({ where: { email: "second@example.com" } });
    expect(user.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(user.passwordHash).not.toContain("correct horse");
  });

  it("names each invalid field on sign-up", async () => {
    const result = await server.gql(
      `mutation { signUp(input: { email: "nope", name: " ", password: "short" }) {
        __typename ... on ValidationError { code fieldErrors { path message } } } }`,
    );
    expect(result.data?.signUp.__typename).toBe("ValidationError");
    expect(result.data?.signUp.code).toBe("VALIDATION_FAILED");
    expect(result.data?.signUp.fieldErrors.map((issue: { path: string }) => issue.path).sort()).toEqual([
      "input.email",
      "input.name",
      "input.password",
    ]);
    expect(await server.app.prisma.user.count({ where: { email: "nope" } })).toBe(0);
  });

  it("refuses common and trivially weak passwords, naming the rule", async () => {
    const signUpWith = async (password: string) => {
      const result = await server.gql(
        `mutation($input: SignUpInput!) { signUp(input: $input) {
          __typename ... on ValidationError { fieldErrors { path message } } } }`,
        { input: { email: "weak@example.com", name: "Weak", password } },
      );
      return result.data?.signUp;
    };
    expect(await signUpWith("12345678")).toEqual({
      __typename: "ValidationError",
      fieldErrors: [{ path: "input.password", message: "is one of the most common passwords: choose another" }],
    });
    for (const password of ["Password1", "aaaaaaaaaa", "abcdefghij", "98765432"])
      expect((await signUpWith(password))?.fieldErrors?.[0]?.path).toBe("input.password");
    expect(await server.app.prisma.user.count({ where: { email: "weak@example.com" } })).toBe(0);
  });

  it("refuses a second account with the same email, whatever its case", async () => {
    const result = await server.gql(
      `mutation { signUp(input: { email: "SECOND@example.com", name: "Again", password: "long enough" }) { __typename } }`,
    );
    expect(result.data?.signUp.__typename).toBe("EmailTakenError");
  });

  it("logs in with the right password only, with the same answer for unknown emails", async () => {
    const logIn = (email: string, password: string) =>
      server.gql(`mutation($input: LogInInput!) { logIn(input: $input) { __typename ${AUTH_FIELDS} } }`, {
        input: { email, password },
      });
    expect((await logIn("second@example.com", "correct horse battery")).data?.logIn.__typename).toBe("AuthPayload");
    expect((await logIn("second@example.com", "wrong password")).data?.logIn.__typename).toBe(
      "InvalidCredentialsError",
    );
    expect((await logIn("nobody@example.com", "wrong password")).data?.logIn.__typename).toBe(
      "InvalidCredentialsError",
    );
    // A deactivated account says so, but only to someone who knows its password.
    await server.app.prisma.user.update({
      where: { email: "second@example.com" },
      data: { deactivatedAt: server.clock.now() },
    });
    expect((await logIn("second@example.com", "wrong password")).data?.logIn.__typename).toBe(
      "InvalidCredentialsError",
    );
    const deactivated = await server.gql(
      `mutation($input: LogInInput!) { logIn(input: $input) { __typename ... on Error { code message } } }`,
      { input: { email: "second@example.com", password: "correct horse battery" } },
    );
    expect(deactivated.data?.logIn).toEqual({
      __typename: "AccountDeactivatedError",
      code: "ACCOUNT_DEACTIVATED",
      message: "This account has been deactivated. Ask an admin of your workspace to reactivate it.",
    });
    await server.app.prisma.user.update({ where: { email: "second@example.com" }, data: { deactivatedAt: null } });
  });

  it("stops a deactivated account's refresh tokens and access tokens", async () => {
    const user = await signUp(server, "leaving@example.com");
    await server.app.prisma.user.update({ where: { id: user.id }, data: { deactivatedAt: server.clock.now() } });
    const refreshed = await server.gql(
      `mutation($token: String!) { refreshSession(refreshToken: $token) { __typename } }`,
      { token: user.refreshToken },
    );
    // Said plainly, so the PWA can tell its user why it signed them out.
    expect(refreshed.data?.refreshSession.__typename).toBe("AccountDeactivatedError");
    expect(await server.app.services.auth.authenticate(user.token)).toBeNull();
  });

  it("rotates refresh tokens and treats reuse as theft", async () => {
    const user = await signUp(server, "rotate@example.com");
    const refresh = (token: string) =>
      server.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { __typename ${AUTH_FIELDS} } }`, {
        t: token,
      });
    const first = (await refresh(user.refreshToken)).data?.refreshSession;
    expect(first.__typename).toBe("AuthPayload");
    expect(first.refreshToken).not.toBe(user.refreshToken);
    expect((await server.gql(ME, {}, first.accessToken)).data?.me.email).toBe("rotate@example.com");
    // The old token again, past the retry grace: refused, and the whole sign-in is revoked, including the new pair.
    server.clock.advance(REFRESH_RETRY_GRACE_MS + 1_000);
    expect((await refresh(user.refreshToken)).data?.refreshSession.__typename).toBe("InvalidTokenError");
    expect((await refresh(first.refreshToken)).data?.refreshSession.__typename).toBe("InvalidTokenError");
    expect((await server.gql(ME, {}, first.accessToken)).data?.me).toBeNull();
    server.clock.advance(-(REFRESH_RETRY_GRACE_MS + 1_000));
  });

  it("accepts a traded refresh token again within the grace (a lost answer, a second tab), in the same sign-in", async () => {
    const user = await signUp(server, "retry@example.com");
    const refresh = (token: string) =>
      server.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { __typename ${AUTH_FIELDS} } }`, {
        t: token,
      });
    // Two tabs at once: both get a working pair.
    const [a, b] = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    expect([a.data?.refreshSession.__typename, b.data?.refreshSession.__typename]).toEqual([
      "AuthPayload",
      "AuthPayload",
    ]);
    // A page that navigated away mid-refresh: the answer was lost, the retry works.
    server.clock.advance(REFRESH_RETRY_GRACE_MS - 5_000);
    const retry = (await refresh(user.refreshToken)).data?.refreshSession;
    expect(retry.__typename).toBe("AuthPayload");
    for (const pair of [a.data?.refreshSession, b.data?.refreshSession, retry])
      expect((await server.gql(ME, {}, pair.accessToken)).data?.me.email).toBe("retry@example.com");
    // Later, the same old token is theft: every pair from this sign-in stops working.
    server.clock.advance(10_000);
    expect((await refresh(user.refreshToken)).data?.refreshSession.__typename).toBe("InvalidTokenError");
    expect((await server.gql(ME, {}, retry.accessToken)).data?.me).toBeNull();
    expect((await refresh(retry.refreshToken)).data?.refreshSession.__typename).toBe("InvalidTokenError");
    server.clock.advance(-(REFRESH_RETRY_GRACE_MS + 5_000));
  });

  it("expires access tokens after their lifetime", async () => {
    const user = await signUp(server, "expiry@example.com");
    server.clock.advance(16 * 60_000);
    const result = await server.gql(`{ tickets(first: 1) { totalCount } }`, {}, user.token);
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    server.clock.advance(-16 * 60_000);
  });

  it("logs out: the access and refresh tokens stop working at once", async () => {
    const user = await signUp(server, "logout@example.com");
    expect((await server.gql(`mutation { logOut }`, {}, user.token)).data?.logOut).toBe(true);
    expect((await server.gql(ME, {}, user.token)).data?.me).toBeNull();
    const refreshed = await server.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { __typename } }`, {
      t: user.refreshToken,
    });
    expect(refreshed.data?.refreshSession.__typename).toBe("InvalidTokenError");
    expect((await server.gql(`mutation { logOut }`)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("team management", () => {
  it("lets admins invite agents, who accept once", async () => {
    const admin = (
      await server.gql(
        `mutation { logIn(input: { email: "first@example.com", password: "correct horse battery" }) { ${AUTH_FIELDS} } }`,
      )
    ).data?.logIn;
    const agent = await invite(
      server,
      { id: admin.user.id, email: "", token: admin.accessToken, refreshToken: "" },
      "agent@example.com",
      "AGENT",
    );
    expect((await server.gql(ME, {}, agent.token)).data?.me.role).toBe("AGENT");
    const invitation = await server.gql(
      `mutation { inviteUser(input: { email: "x@example.com", name: "X", role: AGENT }) { __typename ... on Invitation { url } } }`,
      {},
      admin.accessToken,
    );
    const token = invitation.data?.inviteUser.url.split("/invite/")[1];
    const accept = () =>
      server.gql(
        `mutation($t: String!) { acceptInvite(input: { token: $t, password: "long enough" }) { __typename } }`,
        {
          t: token,
        },
      );
    expect((await accept()).data?.acceptInvite.__typename).toBe("AuthPayload");
    expect((await accept()).data?.acceptInvite.__typename).toBe("InvalidTokenError");
  });

  it("keeps invitations and role changes for admins", async () => {
    const customer = await signUp(server, "sneaky@example.com");
    const agent = (
      await server.gql(
        `mutation { logIn(input: { email: "agent@example.com", password: "correct horse battery" }) { ${AUTH_FIELDS} } }`,
      )
    ).data?.logIn;
    for (const token of [customer.token, agent.accessToken]) {
      const invited = await server.gql(
        `mutation { inviteUser(input: { email: "y@example.com", name: "Y", role: ADMIN }) { __typename } }`,
        {},
        token,
      );
      expect(invited.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      const promoted = await server.gql(
        `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { __typename } }`,
        { id: customer.id },
        token,
      );
      expect(promoted.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    const anonymous = await server.gql(
      `mutation { inviteUser(input: { email: "y@example.com", name: "Y", role: ADMIN }) { __typename } }`,
    );
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("lets an admin promote a customer to agent", async () => {
    const admin = (
      await server.gql(
        `mutation { logIn(input: { email: "first@example.com", password: "correct horse battery" }) { ${AUTH_FIELDS} } }`,
      )
    ).data?.logIn;
    const customer = await signUp(server, "promote@example.com");
    const result = await server.gql(
      `mutation($id: ID!) { setUserRole(userId: $id, role: AGENT) { __typename ... on User { role } } }`,
      { id: customer.id },
      admin.accessToken,
    );
    expect(result.data?.setUserRole).toEqual({ __typename: "User", role: "AGENT" });
    expect((await server.gql(ME, {}, customer.token)).data?.me.role).toBe("AGENT");
  });

  it("hides other users' emails from customers", async () => {
    const customer = await signUp(server, "curious@example.com");
    const result = await server.gql(`{ agents { id } }`, {}, customer.token);
    expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});
