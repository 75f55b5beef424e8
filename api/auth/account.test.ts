import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_FIELDS, signUp } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { type MailSink, startMailSink } from "../../test/mail-sink.ts";
import { PASSWORD_RESET_TTL_MS } from "./account.service.ts";

/** Account essentials (issue 19, point 2) through GraphQL and a real SMTP server. */

let server: TestServer;
let sink: MailSink;

beforeAll(async () => {
  sink = await startMailSink();
  server = await startTestServer({
    env: { SMTP_URL: sink.url, PUBLIC_URL: "https://support.example.com", JOBS_WORKER: "off", ACCESS_TOKEN_TTL: "30d" },
  });
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

const drain = () => server.app.services.jobs.drain();
/** The link in the last email to `address` whose path starts with `path`, as sent (text part). */
function linkIn(address: string, path: string): string {
  const mail = sink.to(address).at(-1) as ParsedMail;
  const match = new RegExp(`https://support\\.example\\.com${path}([A-Za-z0-9_-]+)`).exec(mail?.text ?? "");
  if (!match) throw new Error(`no ${path} link in the mail to ${address}: ${mail?.text}`);
  return match[1] as string;
}

const REQUEST = `mutation($email: String!) { requestPasswordReset(email: $email) { __typename
  ... on PasswordResetRequested { message } ... on RateLimitedError { retryAfterSeconds } } }`;
const RESET = `mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { __typename ${AUTH_FIELDS}
  ... on Error { code message } ... on ValidationError { fieldErrors { path message } } } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { __typename } }`;
const ME = `{ me { id email } }`;

describe("forgotten password", () => {
  it("answers the same whether or not the address has an account, and emails only a real one", async () => {
    const user = await signUp(server, "rosa@example.com", "Rosa");
    sink.clear();
    const known = await server.gql(REQUEST, { email: "Rosa@Example.com" });
    const unknown = await server.gql(REQUEST, { email: "nobody@example.com" });
    expect(known.data?.requestPasswordReset).toEqual(unknown.data?.requestPasswordReset);
    expect(known.data?.requestPasswordReset.__typename).toBe("PasswordResetRequested");
    await drain();
    expect(sink.to("nobody@example.com")).toEqual([]);
    expect(sink.to("rosa@example.com").map((mail) => mail.subject)).toEqual(["Reset your Live Support password"]);
    // The job row kept the token only sealed, and blanked it once sent.
    const job = await server.app.prisma.job.findFirstOrThrow({ where: { kind: "email.accountLink" } });
    expect(job.payload).toMatchObject({ sealedToken: "" });

    // The link works once: a new password, every older sign-in ended, this device signed in.
    const token = linkIn("rosa@example.com", "/reset-password/");
    const weak = await server.gql(RESET, { input: { token, password: "short" } });
    expect(weak.data?.resetPassword.__typename).toBe("ValidationError");
    const reset = await server.gql(RESET, { input: { token, password: "a brand new passphrase" } });
    expect(reset.data?.resetPassword.__typename).toBe("AuthPayload");
    expect((await server.gql(ME, {}, user.token)).data?.me).toBeNull();
    expect((await server.gql(ME, {}, reset.data?.resetPassword.accessToken)).data?.me.email).toBe("rosa@example.com");
    const again = await server.gql(RESET, { input: { token, password: "yet another passphrase" } });
    expect(again.data?.resetPassword).toMatchObject({ __typename: "InvalidTokenError", code: "INVALID_TOKEN" });
    const oldPassword = await server.gql(LOG_IN, { input: { email: user.email, password: "correct horse battery" } });
    expect(oldPassword.data?.logIn.__typename).toBe("InvalidCredentialsError");
    const newPassword = await server.gql(LOG_IN, { input: { email: user.email, password: "a brand new passphrase" } });
    expect(newPassword.data?.logIn.__typename).toBe("AuthPayload");
  });

  it("expires after an hour, and a newer request replaces an older link", async () => {
    await signUp(server, "tom@example.com", "Tom");
    sink.clear();
    await server.gql(REQUEST, { email: "tom@example.com" });
    await drain();
    const first = linkIn("tom@example.com", "/reset-password/");
    await server.gql(REQUEST, { email: "tom@example.com" });
    await drain();
    const second = linkIn("tom@example.com", "/reset-password/");
    expect(second).not.toBe(first);
    const replaced = await server.gql(RESET, { input: { token: first, password: "a brand new passphrase" } });
    expect(replaced.data?.resetPassword.__typename).toBe("InvalidTokenError");
    server.clock.advance(PASSWORD_RESET_TTL_MS + 1000);
    const expired = await server.gql(RESET, { input: { token: second, password: "a brand new passphrase" } });
    expect(expired.data?.resetPassword.__typename).toBe("InvalidTokenError");
  });

  it("is rate-limited per address (3 an hour), with the same answer for unknown addresses", async () => {
    for (const address of ["limit@example.com", "nobody-else@example.com"]) {
      for (let attempt = 0; attempt < 3; attempt++)
        expect((await server.gql(REQUEST, { email: address })).data?.requestPasswordReset.__typename).toBe(
          "PasswordResetRequested",
        );
      const refused = await server.gql(REQUEST, { email: address });
      expect(refused.data?.requestPasswordReset.__typename).toBe("RateLimitedError");
      expect(refused.data?.requestPasswordReset.retryAfterSeconds).toBeGreaterThan(0);
    }
  });
});

describe("signed in", () => {
  const SIGN_INS = `{ mySignIns { id current userAgent signedInAt lastActiveAt } }`;

  it("lists one's sign-ins, changes the password (other devices signed out), signs out everywhere", async () => {
    const phone = await signUp(server, "ines@example.com", "Ines");
    const laptopLogIn = await server.gql(
      `mutation($input: LogInInput!) { logIn(input: $input) { __typename ${AUTH_FIELDS} } }`,
      { input: { email: "ines@example.com", password: "correct horse battery" } },
    );
    const laptop = laptopLogIn.data?.logIn.accessToken as string;
    // A refresh continues the same sign-in: still two devices.
    const refreshed = await server.gql(
      `mutation($t: String!) { refreshSession(refreshToken: $t) { __typename ${AUTH_FIELDS} } }`,
      { t: phone.refreshToken },
    );
    const phoneToken = refreshed.data?.refreshSession.accessToken as string;
    const listed = await server.gql(SIGN_INS, {}, phoneToken);
    expect(listed.data?.mySignIns).toHaveLength(2);
    expect(listed.data?.mySignIns.filter((entry: { current: boolean }) => entry.current)).toHaveLength(1);
    expect((await server.gql(SIGN_INS, {})).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    const CHANGE = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { __typename
      ... on Error { code } ... on ValidationError { fieldErrors { path } } } }`;
    const wrong = await server.gql(
      CHANGE,
      { input: { currentPassword: "nope", newPassword: "fresh passphrase 1" } },
      laptop,
    );
    expect(wrong.data?.changePassword.__typename).toBe("InvalidCredentialsError");
    const changed = await server.gql(
      CHANGE,
      { input: { currentPassword: "correct horse battery", newPassword: "fresh passphrase 1" } },
      laptop,
    );
    expect(changed.data?.changePassword.__typename).toBe("User");
    expect((await server.gql(ME, {}, phoneToken)).data?.me).toBeNull();
    expect((await server.gql(SIGN_INS, {}, laptop)).data?.mySignIns).toHaveLength(1);

    const everywhere = await server.gql(`mutation { signOutEverywhere }`, {}, laptop);
    expect(everywhere.data?.signOutEverywhere).toBe(1);
    expect((await server.gql(ME, {}, laptop)).data?.me).toBeNull();
  });

  it("changes the email only once the new address confirms it; the old one is told", async () => {
    const user = await signUp(server, "old@example.com", "Olga");
    await signUp(server, "taken@example.com", "Taken");
    sink.clear();
    const REQUEST_CHANGE = `mutation($input: ChangeEmailInput!) { requestEmailChange(input: $input) { __typename
      ... on EmailChangeRequested { newEmail } ... on Error { code } } }`;
    const taken = await server.gql(
      REQUEST_CHANGE,
      { input: { newEmail: "taken@example.com", currentPassword: "correct horse battery" } },
      user.token,
    );
    expect(taken.data?.requestEmailChange.__typename).toBe("EmailTakenError");
    const asked = await server.gql(
      REQUEST_CHANGE,
      { input: { newEmail: "New@Example.com", currentPassword: "correct horse battery" } },
      user.token,
    );
    expect(asked.data?.requestEmailChange).toEqual({ __typename: "EmailChangeRequested", newEmail: "new@example.com" });
    await drain();
    expect((await server.gql(ME, {}, user.token)).data?.me.email).toBe("old@example.com");
    const token = linkIn("new@example.com", "/confirm-email/");
    const CONFIRM = `mutation($t: String!) { confirmEmailChange(token: $t) { __typename ... on User { email } ... on Error { code } } }`;
    expect((await server.gql(CONFIRM, { t: token })).data?.confirmEmailChange).toEqual({
      __typename: "User",
      email: "new@example.com",
    });
    expect((await server.gql(CONFIRM, { t: token })).data?.confirmEmailChange.__typename).toBe("InvalidTokenError");
    expect((await server.gql(ME, {}, user.token)).data?.me.email).toBe("new@example.com");
    await drain();
    expect(sink.to("old@example.com").map((mail) => mail.subject)).toEqual(["Your Live Support email was changed"]);
    const logIn = await server.gql(LOG_IN, { input: { email: "new@example.com", password: "correct horse battery" } });
    expect(logIn.data?.logIn.__typename).toBe("AuthPayload");
  });
});
