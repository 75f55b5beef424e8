import { defineConfig } from "vitest/config";

/**
 * Every API test runs twice: on the embedded database (PGlite) and on PostgreSQL (TEST_DATABASE_URL).
 * In CI a missing TEST_DATABASE_URL is an error, never a silent skip.
 */
const postgresUrl = process.env.TEST_DATABASE_URL;
if (process.env.CI && !postgresUrl) {
  throw new Error("CI must run the PostgreSQL tier: set TEST_DATABASE_URL (see .ci/run).");
}
if (!postgresUrl) {
  console.warn("TEST_DATABASE_URL is not set: running the embedded-database tier only.");
}

const shared = {
  include: ["api/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts"],
  exclude: ["test/e2e/**"],
  testTimeout: 30_000,
  // Starting a server (PGlite migrations included) can take over a minute when the 2 shared cores are loaded.
  hookTimeout: 180_000,
};

export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: "embedded", env: { TEST_DB: "embedded" } } },
      ...(postgresUrl
        ? [{ test: { ...shared, name: "postgres", env: { TEST_DB: "postgres", TEST_DATABASE_URL: postgresUrl } } }]
        : []),
    ],
  },
});
