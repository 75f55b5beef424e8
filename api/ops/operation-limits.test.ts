import { createRequire } from "node:module";
import type { DocumentNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCast } from "../../test/fixtures.ts";
import { type GraphQLResponse, startTestServer, type TestServer } from "../../test/harness.ts";
import { loadEnv } from "../env.ts";
import { schema } from "../schema.ts";
import { OPERATION_LIMIT_CODE, operationLimitRules, operationLimitsFromEnv } from "./operation-limits.ts";

const aliased = (count: number, selection: string) =>
  `{ ${Array.from({ length: count }, (_, index) => `a${index}: ${selection}`).join(" ")} }`;
const nested = (depth: number) => `{ ${"me { ".repeat(depth)}id${" }".repeat(depth)} }`;

function refusal(result: GraphQLResponse) {
  const error = result.errors?.find((candidate) => candidate.extensions?.code === OPERATION_LIMIT_CODE);
  return error?.extensions?.limit;
}

describe("operation limits", () => {
  let server: TestServer;
  let agentToken: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { GRAPHQL_MAX_COST: "400" } });
    const cast = await createCast(server);
    agentToken = cast.agent.token;
  });
  afterAll(async () => {
    await server?.close();
  });

  it("refuses 1,000 aliased __schema selections while parsing, with a typed error", async () => {
    const result = await server.gql(aliased(1000, "__schema { types { name } }"));
    expect(result.data ?? null).toBeNull();
    expect(refusal(result)).toBe("tokens");
  });

  it("refuses a query nested 5,000 deep with a typed error, not a stack overflow", async () => {
    const result = await server.gql(nested(5000));
    expect(refusal(result)).toBe("tokens");
    expect(JSON.stringify(result)).not.toContain("INTERNAL_SERVER_ERROR");
  });

  it("refuses a query deeper than GRAPHQL_MAX_DEPTH", async () => {
    expect(refusal(await server.gql(nested(11), {}, agentToken))).toBe("depth");
  });

  it("refuses more aliases than GRAPHQL_MAX_ALIASES, even of a cheap field", async () => {
    expect(refusal(await server.gql(aliased(16, "me { id }"), {}, agentToken))).toBe("aliases");
    const allowed = await server.gql(aliased(15, "me { id }"), {}, agentToken);
    expect(allowed.errors).toBeUndefined();
  });

  it("refuses an operation whose estimated cost passes GRAPHQL_MAX_COST", async () => {
    const expensive = `{ tickets(first: 50) { edges { node { id subject status priority createdAt updatedAt
      messages(first: 50) { edges { node { id body createdAt author { id name email role } } } } } } } }`;
    expect(refusal(await server.gql(expensive, {}, agentToken))).toBe("cost");
  });

  it("checks graphql-ws operations through the same limits", async () => {
    const client = server.wsClient(agentToken);
    const result = await new Promise<GraphQLResponse>((resolve, reject) => {
      client.subscribe(
        { query: aliased(16, "me { id }") },
        { next: (answer) => resolve(answer as GraphQLResponse), error: reject, complete: () => resolve({}) },
      );
    }).catch((errors: GraphQLResponse["errors"]) => ({ errors }));
    expect(refusal(result)).toBe("aliases");
  });

  it("answers introspection outside production by default", async () => {
    const result = await server.gql("{ __schema { queryType { name } } }");
    expect(result.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });
});

describe("introspection switch", () => {
  it("is off in production unless GRAPHQL_INTROSPECTION says otherwise", () => {
    expect(loadEnv({ NODE_ENV: "production", AUTH_SECRET: "x".repeat(32) }).GRAPHQL_INTROSPECTION).toBe(false);
    expect(
      loadEnv({ NODE_ENV: "production", AUTH_SECRET: "x".repeat(32), GRAPHQL_INTROSPECTION: "on" })
        .GRAPHQL_INTROSPECTION,
    ).toBe(true);
    expect(loadEnv({}).GRAPHQL_INTROSPECTION).toBe(true);
  });

  it("refuses introspection when it is off", async () => {
    const server = await startTestServer({ env: { GRAPHQL_INTROSPECTION: "off" } });
    try {
      const result = await server.gql("{ __schema { queryType { name } } }");
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.message).toMatch(/introspection/i);
      expect((await server.gql("{ __typename }")).data).toEqual({ __typename: "Query" });
    } finally {
      await server.close();
    }
  });
});

describe("the PWA's own operations", () => {
  // The schema and graphql-armor load graphql's CommonJS build; validating with its ES build would mix two realms.
  const { Kind, parse, print, validate } = createRequire(import.meta.url)("graphql") as typeof import("graphql");
  const modules = import.meta.glob<Record<string, unknown>>("../../app/**/*.documents.ts", { eager: true });
  const documents = Object.entries(modules).flatMap(([file, exports]) =>
    Object.entries(exports)
      .filter(([, value]) => (value as DocumentNode | undefined)?.kind === Kind.DOCUMENT)
      .filter(([, value]) =>
        (value as DocumentNode).definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION),
      )
      .map(([name, value]) => [`${file}: ${name}`, value as DocumentNode] as const),
  );

  it("finds the documents", () => {
    expect(documents.length).toBeGreaterThan(20);
  });

  it.each(documents)("%s passes the default limits", (_name, document) => {
    const env = loadEnv({});
    const rules = operationLimitRules(operationLimitsFromEnv(env));
    expect(() => parse(print(document), { maxTokens: env.GRAPHQL_MAX_TOKENS })).not.toThrow();
    expect(validate(schema, document, rules).map((error) => error.message)).toEqual([]);
  });
});
