/**
 * Prints the Pothos schema as SDL to schema.graphql (sorted, so diffs stay small).
 * With --check it writes nothing and exits 1 when schema.graphql is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "../api/schema.ts";

const target = fileURLToPath(new URL("../schema.graphql", import.meta.url));
const header = "# Printed from the Pothos schema by `npm run schema:print`; do not edit by hand.\n\n";
export const printedSchema = `${header}${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv.includes("--check")) {
  const current = readFileSync(target, "utf8");
  if (current !== printedSchema) {
    console.error("schema.graphql is out of date: run npm run schema:print");
    process.exit(1);
  }
  console.log("schema.graphql is up to date.");
} else {
  writeFileSync(target, printedSchema);
  console.log(`Wrote ${target}`);
}
