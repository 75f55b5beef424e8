import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCast, createTicket } from "../../test/fixtures.ts";
import { eventually, startTestServer, subscribe, type TestServer } from "../../test/harness.ts";
import { WS_SERVICE_RESTART } from "../app.ts";

const SIGN_UP = `mutation($input: SignUpInput!) {
  signUp(input: $input) { __typename ... on Error { code } ... on RateLimitedError { retryAfterSeconds } }
}`;

describe("operations", () => {
  let server: TestServer;
  let cast: Awaited<ReturnType<typeof createCast>>;

  beforeAll(async () => {
    server = await startTestServer({ env: { RATE_LIMITS: "on", RATE_LIMIT_AUTH_IP: "3/1m" } });
    cast = await createCast(server);
    server.clock.advance(61_000); // a fresh rate-limit window after the cast's three sign-ups
  });
  afterAll(async () => {
    await server?.close();
  });

  it("echoes a caller's x-request-id and makes one up otherwise", async () => {
    const given = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "proxy-abc.123" } });
    expect(given.headers.get("x-request-id")).toBe("proxy-abc.123");
    const made = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports readiness: database up and migrated; no Redis in embedded mode", async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ready: true,
      status: "ok",
      database: true,
      redis: null,
      pendingMigrations: [],
      draining: false,
    });
  });

  it("limits sign-ups per address in memory, and lets the caller retry after the window", async () => {
    const attempt = (n: number) =>
      server.gql(SIGN_UP, { input: { email: `limit${n}@example.com`, name: "L", password: "correct horse battery" } });
    for (const n of [1, 2, 3]) expect((await attempt(n)).data?.signUp.__typename).toBe("AuthPayload");
    const refused = (await attempt(4)).data?.signUp;
    expect(refused).toMatchObject({ __typename: "RateLimitedError", code: "RATE_LIMITED" });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    server.clock.advance(61_000);
    expect((await attempt(5)).data?.signUp.__typename).toBe("AuthPayload");
  });

  it("serves Prometheus metrics: requests, latency, operations, subscriptions, connections and job queue depth", async () => {
    const { customer } = cast;
    const ticket = await createTicket(server, customer);
    const events = subscribe(
      server.wsClient(customer.token),
      `subscription($id: ID!) { ticketEvents(ticketId: $id) { kind } }`,
      { id: ticket.id },
    );
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    // The subscription counts once the server has attached it.
    const text = await eventually(async () => {
      const body = await scrape();
      return /graphql_subscriptions_active 1/.test(body) && body;
    });
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/graphql",status="200"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.1",route="\/graphql"\} \d+/);
    expect(text).toMatch(/graphql_operations_total\{type="mutation",name="anonymous"\} \d+/);
    expect(text).toMatch(/graphql_subscriptions_active 1/);
    expect(text).toMatch(/graphql_ws_connections 1/);
    // Creating the ticket queued its confirmation email; the worker is off in tests, so it is still due.
    const due = await server.app.prisma.job.count({ where: { status: "PENDING", runAt: { lte: server.clock.now() } } });
    expect(due).toBeGreaterThan(0);
    expect(text).toMatch(new RegExp(`job_queue_depth ${due}`));
    expect(text).toMatch(/rate_limited_total\{rule="authPerAddress"\} 1/);
    await events.stop();
    await eventually(async () => /graphql_subscriptions_active 0/.test(await scrape()));
  });

  it("serves /metrics only to this host, or to METRICS_TOKEN from anywhere", async () => {
    const outside = { "x-forwarded-for": "203.0.113.9" };
    expect((await fetch(`${server.url}/metrics`, { headers: outside })).status).toBe(403);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    const token = "metrics-token-0123456789";
    const withToken = await startTestServer({ env: { METRICS_TOKEN: token } });
    try {
      expect((await fetch(`${withToken.url}/metrics`)).status).toBe(401);
      const scraped = await fetch(`${withToken.url}/metrics`, {
        headers: { ...outside, authorization: `Bearer ${token}` },
      });
      expect(scraped.status).toBe(200);
    } finally {
      await withToken.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes requests in flight, tells realtime clients to reconnect (1012) and refuses new work", async () => {
    const server = await startTestServer();
    try {
      const { customer } = await createCast(server);
      const ticket = await createTicket(server, customer);
      const events = subscribe(
        server.wsClient(customer.token),
        `subscription($id: ID!) { ticketEvents(ticketId: $id) { kind } }`,
        { id: ticket.id },
      );
      await eventually(async () =>
        /graphql_subscriptions_active 1/.test(await (await fetch(`${server.url}/metrics`)).text()),
      );
      let ran = false;
      server.app.onClose(() => {
        ran = true;
      });
      // A log-in hashes a password: slow enough to be in flight when shutdown starts.
      const inFlight = server.gql(`mutation($input: LogInInput!) { logIn(input: $input) { __typename } }`, {
        input: { email: customer.email, password: "correct horse battery" },
      });
      await eventually(() => server.app.inFlight() === 1, { what: "the log-in to be in flight" });
      const closed = server.app.close();
      const refused = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ me { id } }" }),
      });
      expect(refused.status).toBe(503);
      // Answered outside the router, still with the security headers.
      expect(refused.headers.get("x-frame-options")).toBe("DENY");
      expect(refused.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect((await inFlight).data?.logIn.__typename).toBe("AuthPayload");
      await closed;
      expect(ran).toBe(true);
      await expect(events.next(2000)).rejects.toMatchObject({ code: WS_SERVICE_RESTART });
    } finally {
      await server.close();
    }
  }, 120_000);
});
