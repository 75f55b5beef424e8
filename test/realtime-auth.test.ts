import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFRESH_RETRY_GRACE_MS } from "../api/auth/auth.service.ts";
import { signUp } from "./fixtures.ts";
import { startTestServer, type TestServer } from "./harness.ts";
import {
  demote,
  expectEnded,
  freshCast,
  openSubscription,
  postNote,
  TICKET_EVENTS,
  TRANSPORTS,
  watchedTicket,
} from "./realtime-auth.ts";

/**
 * A subscription is authenticated once, when it starts. Issue 15 item 7: it kept delivering (internal notes
 * included) after log-out, token theft, a demotion and the token's expiry. Each of those now ends it within a
 * second, the documented way for its transport.
 */
let server: TestServer;
const ADMIN = "realtime-admin@example.com";

beforeAll(async () => {
  // The sign-in cache stays on, as in production: only the authChanged event can explain a prompt end.
  server = await startTestServer({ env: { AUTH_SESSION_CACHE: "10m" } });
  await signUp(server, ADMIN);
}, 300_000);
afterAll(async () => {
  await server?.close();
});

describe.each(TRANSPORTS)("subscriptions over %s", (transport) => {
  it("end when the viewer logs out", async () => {
    const cast = await freshCast(server, ADMIN, `logout-${transport}`);
    const { events } = await watchedTicket(transport, server, server, cast);
    const loggedOut = await server.gql(`mutation { logOut }`, {}, cast.agent.token);
    expect(loggedOut.data?.logOut).toBe(true);
    await expectEnded(transport, events, "changed");
  });

  it("end when a stolen refresh token revokes the sign-in", async () => {
    const cast = await freshCast(server, ADMIN, `theft-${transport}`);
    const { events } = await watchedTicket(transport, server, server, cast);
    const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { __typename } }`;
    const traded = await server.gql(REFRESH, { t: cast.agent.refreshToken });
    expect(traded.data?.refreshSession.__typename).toBe("AuthPayload");
    // Presented again after the retry grace, the traded token can only be a copy: the whole sign-in is revoked.
    server.clock.advance(REFRESH_RETRY_GRACE_MS + 1000);
    const replayed = await server.gql(REFRESH, { t: cast.agent.refreshToken });
    expect(replayed.data?.refreshSession.__typename).toBe("InvalidTokenError");
    await expectEnded(transport, events, "changed");
  });

  it("end when the viewer's role changes, so a demoted agent reads no more internal notes", async () => {
    const cast = await freshCast(server, ADMIN, `demoted-${transport}`);
    const { ticket, events } = await watchedTicket(transport, server, server, cast);
    await demote(server, cast.admin, cast.agent.id);
    await expectEnded(transport, events, "changed");
    // Subscribing again with the same token now acts as a customer, who may not see this ticket at all.
    const again = openSubscription(transport, server, cast.agent.token, TICKET_EVENTS, { ticketId: ticket.id });
    expect((await again.next()).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    await again.stop();
  });

  it("end when the access token expires", async () => {
    const cast = await freshCast(server, ADMIN, `expiry-${transport}`);
    const { ticket, events } = await watchedTicket(transport, server, server, cast);
    // Tokens last ACCESS_TOKEN_TTL (15 minutes) on the app's clock.
    server.clock.advance(15 * 60_000 + 1000);
    await expectEnded(transport, events, "expired");
    const fresh = await freshCast(server, ADMIN, `expiry-after-${transport}`);
    await postNote(server, fresh.agent, ticket.id, "After the expiry");
    expect(events.pending().some((event) => JSON.stringify(event).includes("After the expiry"))).toBe(false);
  });
});
