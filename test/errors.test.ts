import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { type Actor, createTicket, signUp } from "./fixtures.ts";
import { startTestServer, type TestServer } from "./harness.ts";

let server: TestServer;
let user: Actor;
/** The app's log, by level (logging on, so yoga reports errors; the lines are kept, not printed). */
const logged: Record<"error" | "warn" | "info", MockInstance> = {} as never;
beforeAll(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: "info" } });
  for (const level of ["error", "warn", "info"] as const)
    logged[level] = vi.spyOn(server.app.logger, level).mockImplementation(() => {});
  user = await signUp(server, "errors@example.com");
}, 300_000);
/** The log calls about GraphQL errors at one level, as [fields, message]. */
const graphqlLines = (level: keyof typeof logged) =>
  logged[level].mock.calls.filter((call) => String(call[1]).startsWith("graphql"));
afterAll(async () => {
  await server?.close();
});

describe("errors", () => {
  it("masks unexpected failures: a generic message and code, no internals", async () => {
    await createTicket(server, user);
    // Break the database under the running app, the way a failed deploy or a lost disk would.
    await server.app.prisma.$executeRawUnsafe(`ALTER TABLE "Ticket" RENAME COLUMN "subject" TO "subject_lost"`);
    try {
      const result = await server.gql(`{ tickets { edges { node { subject } } } }`, {}, user.token);
      expect(result.data ?? null).toBeNull();
      expect(result.errors).toEqual([
        {
          message: "Unexpected error.",
          locations: [{ line: 1, column: 3 }],
          path: ["tickets"],
          extensions: { code: "INTERNAL_SERVER_ERROR" },
        },
      ]);
      expect(JSON.stringify(result)).not.toMatch(/subject_lost|prisma|stack|\.ts/i);
      // A real internal error stays at error level, with its stack.
      expect(graphqlLines("error").at(-1)?.[0]).toMatchObject({ err: expect.any(Error) });
    } finally {
      await server.app.prisma.$executeRawUnsafe(`ALTER TABLE "Ticket" RENAME COLUMN "subject_lost" TO "subject"`);
    }
    const healed = await server.gql(`{ tickets { totalCount } }`, {}, user.token);
    expect(healed.data?.tickets.totalCount).toBe(1);
  });

  it("names the invalid fields of a validation error, as a result and as a top-level error", async () => {
    const result = await server.gql(
      `mutation { createTicket(input: { subject: "", description: "" }) {
        __typename ... on ValidationError { code message fieldErrors { path message } } } }`,
      {},
      user.token,
    );
    expect(result.data?.createTicket).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      message: "input.subject: must be at least 3 characters; input.description: describe the problem",
      fieldErrors: [
        { path: "input.subject", message: "must be at least 3 characters" },
        { path: "input.description", message: "describe the problem" },
      ],
    });
    const listed = await server.gql(
      `{ tickets(filter: { search: "${"x".repeat(300)}" }) { totalCount } }`,
      {},
      user.token,
    );
    expect(listed.errors?.[0]?.extensions).toEqual({
      code: "VALIDATION_FAILED",
      fieldErrors: [{ path: "filter.search", message: "must be at most 200 characters" }],
    });
  });

  it("logs clients' mistakes at info level, without a stack, and keeps error level for internal errors", async () => {
    logged.error.mockClear();
    await server.gql(`{ tickets { totalCount } }`);
    await server.gql(
      `mutation { createTicket(input: { subject: "", description: "" }) { __typename } }`,
      {},
      user.token,
    );
    await server.gql(`{ tickets(first: -1) { totalCount } }`, {}, user.token);
    expect(graphqlLines("error")).toEqual([]);
    const codes = graphqlLines("info").map((call) => (call[0] as { code?: string }).code);
    expect(codes).toEqual(expect.arrayContaining(["UNAUTHENTICATED", "BAD_USER_INPUT"]));
    expect(JSON.stringify(graphqlLines("info"))).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it("keeps the message of requests that are wrong before they run", async () => {
    const syntax = await server.gql(`{ tickets {`, {}, user.token);
    expect(syntax.errors?.[0]?.message).toMatch(/^Syntax Error/);
    const unknown = await server.gql(`{ nothingHere }`, {}, user.token);
    expect(unknown.errors?.[0]?.message).toBe('Cannot query field "nothingHere" on type "Query".');
  });
});
