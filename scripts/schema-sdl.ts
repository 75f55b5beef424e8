import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { GraphQLSchema } from "graphql";

/**
 * graphql ships CommonJS and ESM builds. Pothos (loaded by Node) uses the CommonJS one, while a test file bundled
 * by vite would get the ESM one, and graphql refuses types from "another realm"; require() picks Pothos's build.
 */
const { lexicographicSortSchema, printSchema } = createRequire(import.meta.url)("graphql") as typeof import("graphql");

/** Where the committed SDL lives. */
export const schemaFile = fileURLToPath(new URL("../schema.graphql", import.meta.url));

const header = "# Printed from the Pothos schema by `npm run schema:print`; do not edit by hand.\n\n";

/** The exact text of schema.graphql for a schema: sorted, so diffs stay small. Used by the script and the test. */
export function printSchemaFile(schema: GraphQLSchema): string {
  return `${header}${printSchema(lexicographicSortSchema(schema))}\n`;
}
