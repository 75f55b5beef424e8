import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestServer, type TestServer } from "../../test/harness.ts";
import { openDatabase } from "./database.ts";

/** PostgreSQL tier only (vitest.config.ts): what the server does when PostgreSQL ends its connections. */
let server: TestServer;
/** Errors the server's pool reported for connections PostgreSQL ended. */
const serverLost: Error[] = [];

beforeAll(async () => {
  server = await startTestServer({ onConnectionError: (error) => serverLost.push(error) });
});
afterAll(async () => {
  await server?.close();
});

/** Leaves several pooled connections idle. */
async function openIdleConnections(prisma: TestServer["app"]["prisma"]) {
  await Promise.all(Array.from({ length: 5 }, () => prisma.$queryRaw`SELECT 1 FROM pg_sleep(0.05)`));
}

/** What a PostgreSQL restart does to this file's database: every connection to it is ended. */
async function terminateConnections(): Promise<number> {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1",
      [new URL(server.databaseUrl).pathname.slice(1)],
    );
    return rows[0]?.n ?? 0;
  } finally {
    await admin.end();
  }
}

describe("PostgreSQL connections ended by the server", () => {
  it("keeps serving after every pooled connection is terminated (restart, failover), without crashing", async () => {
    await openIdleConnections(server.app.prisma);
    expect(await terminateConnections()).toBeGreaterThan(0);
    // The idle connections' errors reach the pool's listener (an unhandled one would fail this file); the next
    // requests get fresh connections.
    await eventually(() => serverLost.length > 0, { what: "the pool to see its connections end" });
    let ready = 0;
    for (let attempt = 0; attempt < 20 && ready < 3; attempt++) {
      const response = await fetch(`${server.url}/readyz`);
      ready = response.status === 200 ? ready + 1 : 0;
    }
    expect(ready).toBe(3);
    const result = await server.gql(`{ __typename }`);
    expect(result.data).toEqual({ __typename: "Query" });
  });

  it("survives connections ended while it shuts down (Prisma has already let go of the pool)", async () => {
    const lost: Error[] = [];
    const database = await openDatabase(server.databaseUrl, server.dataDir, {
      onConnectionError: (error) => lost.push(error),
    });
    await openIdleConnections(database.prisma);
    await database.prisma.$disconnect();
    expect(await terminateConnections()).toBeGreaterThan(0);
    await eventually(() => lost.length > 0, { what: "the pool to see its connections end" });
    await database.close();
    expect(lost[0]?.message).toMatch(/terminat/);
  });
});
