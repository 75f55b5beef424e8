/**
 * bench:bombs — /healthz latency while 50 clients send query bombs (1,000 aliased `__schema` selections, a query
 * nested 5,000 deep, 1,000 aliases of `tickets` as an agent) to the real server, with the operation limits on and,
 * for comparison, raised out of the way. Target (issue 15): /healthz p99 under 100 ms with the limits on.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gql, machine, ms, percentile, startApi, writeSection } from "./lib.ts";

const CLIENTS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const aliased = (count: number, selection: string) =>
  `{ ${Array.from({ length: count }, (_, index) => `a${index}: ${selection}`).join(" ")} }`;
const BOMBS = [
  { name: "1,000 × __schema", query: aliased(1000, "__schema { types { name fields { name } } }"), agent: false },
  { name: "depth 5,000", query: `{ ${"me { ".repeat(5000)}id${" }".repeat(5000)} }`, agent: false },
  {
    name: "1,000 × tickets",
    query: aliased(1000, "tickets(first: 25) { edges { node { id subject } } }"),
    agent: true,
  },
];

interface Run {
  healthz: number[];
  healthzFailed: number;
  bombs: number;
  refused: number;
  bombMs: number[];
}

async function attack(url: string, agentToken: string): Promise<Run> {
  const run: Run = { healthz: [], healthzFailed: 0, bombs: 0, refused: 0, bombMs: [] };
  const deadline = Date.now() + SECONDS * 1000;
  const client = async (index: number) => {
    for (let round = index; Date.now() < deadline; round++) {
      const bomb = BOMBS[round % BOMBS.length] as (typeof BOMBS)[number];
      const started = performance.now();
      try {
        const response = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(bomb.agent ? { authorization: `Bearer ${agentToken}` } : {}),
          },
          body: JSON.stringify({ query: bomb.query }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (text.includes("OPERATION_LIMIT_EXCEEDED")) run.refused++;
      } catch {
        // a timed-out bomb still counts as sent
      }
      run.bombs++;
      run.bombMs.push(performance.now() - started);
    }
  };
  const probe = async () => {
    while (Date.now() < deadline) {
      const started = performance.now();
      try {
        await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) }).then((response) => response.text());
      } catch {
        run.healthzFailed++;
      }
      run.healthz.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await Promise.all([probe(), ...Array.from({ length: CLIENTS }, (_, index) => client(index))]);
  return run;
}

async function measure(label: string, env: Record<string, string>, port: number) {
  const dir = mkdtempSync(join(tmpdir(), "bench-bombs-"));
  const server = await startApi(
    { DATABASE_URL: `file:${join(dir, "pglite")}`, GRAPHQL_INTROSPECTION: "on", ...env },
    port,
  );
  try {
    const signUp = await gql(
      server.url,
      `mutation { signUp(input: { email: "admin@example.com", name: "Admin", password: "correct horse battery" }) {
        ... on AuthPayload { accessToken } } }`,
    );
    const token = signUp.signUp?.accessToken as string | undefined;
    if (!token) throw new Error(`sign-up failed: ${JSON.stringify(signUp)}`);
    const run = await attack(server.url, token);
    return {
      label,
      row: `| ${label} | ${run.bombs} | ${run.refused} | ${ms(percentile(run.bombMs, 50))} | ${ms(percentile(run.healthz, 50))} | ${ms(percentile(run.healthz, 99))} | ${ms(Math.max(...run.healthz))} | ${run.healthzFailed} |`,
      p99: percentile(run.healthz, 99),
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const limited = await measure("limits on (defaults)", {}, 4121);
const unlimited = await measure(
  "limits raised out of the way",
  {
    GRAPHQL_MAX_TOKENS: "100000000",
    GRAPHQL_MAX_DEPTH: "100000",
    GRAPHQL_MAX_ALIASES: "100000",
    GRAPHQL_MAX_COST: "1000000000",
  },
  4122,
);

writeSection(
  "bombs",
  `### bench:bombs — /healthz under query bombs (${machine()})
${CLIENTS} clients for ${SECONDS} s each send, in turn, 1,000 aliased \`__schema\` selections, a query nested 5,000 deep
and 1,000 aliases of \`tickets\` as an agent, to the real server (embedded database); one probe asks \`/healthz\`
every 20 ms. Target: \`/healthz\` p99 < 100 ms with the limits on: **${limited.p99 < 100 ? "met" : "missed"}**.

| operation limits | bombs sent | refused as OPERATION_LIMIT_EXCEEDED | bomb p50 | /healthz p50 | /healthz p99 | /healthz max | /healthz failed |
| --- | --- | --- | --- | --- | --- | --- | --- |
${limited.row}
${unlimited.row}`,
);
