import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { isStaff } from "./auth/roles.ts";
import type { Context } from "./context.ts";
import { isProduction } from "./env.ts";
import { forbidden, unauthenticated } from "./errors.ts";
import type PrismaTypes from "./generated/pothos-types.ts";
import { getDatamodel } from "./generated/pothos-types.ts";

/** Builds the builder only: plugins, scalars and context. Types live in each domain's *.schema.ts. */
export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    authenticated: boolean;
    agent: boolean;
    admin: boolean;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    File: { Input: File; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, RelayPlugin, PrismaPlugin],
  relay: { clientMutationId: "omit", cursorType: "String" },
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      authenticated: context.viewer !== null,
      agent: context.viewer !== null && isStaff(context.viewer.role),
      admin: context.viewer?.role === "ADMIN",
    }),
    unauthorizedError: (_parent, context) => (context.viewer || context.participant ? forbidden() : unauthenticated()),
  },
  errors: {
    defaultTypes: [],
  },
  prisma: {
    client: (context) => context.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: isProduction ? null : "error",
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType("DateTime", {
  description: "An instant in time, as an ISO-8601 string in UTC.",
  serialize: (value) => (value instanceof Date ? value.toISOString() : value),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) throw new TypeError("DateTime must be an ISO-8601 string");
    return date;
  },
});

builder.scalarType("File", {
  description: "A file sent with the GraphQL multipart request specification.",
  serialize: () => {
    throw new TypeError("File is an input-only scalar");
  },
});
