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
/** Server mode (two instances sharing Redis, test/scale.test.ts) runs in the PostgreSQL tier with TEST_REDIS_URL. */
const redisUrl = process.env.TEST_REDIS_URL;
if (process.env.CI && !redisUrl) {
  throw new Error("CI must run the server-mode tier: set TEST_REDIS_URL (see .ci/run).");
}

/**
 * Files that belong to one tier, so neither tier reports skipped tests: the contracts do not depend on the
 * database (run once, embedded); server mode and connection-loss tests need a PostgreSQL server.
 */
const databaseIndependent = ["test/contract.test.ts", "test/sfu.test.ts", "shared/**/*.test.ts"];
const postgresOnly = ["test/scale.test.ts", "**/*.postgres.test.ts"];
/** Chromium files that run after all the others, alone (see browserProject). */
const alone = ["test/e2e/sfu.e2e.test.ts"];

const shared = {
  include: ["api/**/*.test.ts", "scripts/**/*.test.ts", "shared/**/*.test.ts", "test/**/*.test.ts"],
  exclude: ["test/e2e/**"],
  testTimeout: 30_000,
  // Starting a server (PGlite migrations included) can take over a minute when the 2 shared cores are loaded.
  hookTimeout: 180_000,
  // expect.poll gives up after 1 s by default: too short for a loaded 2-core machine.
  expect: { poll: { timeout: 10_000 } },
};

function browserProject(name: string, include: string[], exclude: string[] = [], byItself = false) {
  return {
    test: {
      name,
      include,
      exclude,
      // After every other project, one file at a time: timings that five browser pages on two cores only keep
      // with nothing else running beside them.
      ...(byItself ? { maxWorkers: 1, sequence: { groupOrder: 1 } } : {}),
      testTimeout: 240_000,
      hookTimeout: 240_000,
      // A screen or the service worker can take seconds to settle while the other tiers load the machine.
      expect: { poll: { timeout: 15_000 } },
      env: { TEST_DB: "embedded" },
    },
  };
}

export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: "embedded",
          exclude: [...shared.exclude, ...postgresOnly],
          env: { TEST_DB: "embedded" },
        },
      },
      ...(postgresUrl
        ? [
            {
              test: {
                ...shared,
                name: "postgres",
                exclude: [...shared.exclude, ...databaseIndependent],
                env: {
                  TEST_DB: "postgres",
                  TEST_DATABASE_URL: postgresUrl,
                  ...(redisUrl ? { TEST_REDIS_URL: redisUrl } : {}),
                },
              },
            },
          ]
        : []),
      // Real browsers against the real API (embedded database): see test/e2e/. One project per engine, so one
      // engine runs alone with `--project browser` (Chromium, playwright-core), `--project firefox` (Firefox ESR,
      // puppeteer-core over WebDriver BiDi) or `--project webkit` (WebKitGTK's MiniBrowser, WebKitWebDriver under
      // Xvfb). Each browser file fails, never skips, in CI when its browser is missing. `browser-alone` holds the
      // Chromium files that measure a switch between topologies (the 4 → 5 meeting): they run last, by themselves.
      browserProject(
        "browser",
        ["test/e2e/**/*.e2e.test.ts"],
        ["test/e2e/**/*.{firefox,webkit}.e2e.test.ts", ...alone],
      ),
      browserProject("browser-alone", alone, [], true),
      browserProject("firefox", ["test/e2e/**/*.firefox.e2e.test.ts"]),
      browserProject("webkit", ["test/e2e/**/*.webkit.e2e.test.ts"]),
    ],
  },
});
