/**
 * Prints the Pothos schema as SDL to schema.graphql (sorted, so diffs stay small).
 * With --check it writes nothing and exits 1 when schema.graphql is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { schema } from "../api/schema.ts";
import { printSchemaFile, schemaFile } from "./schema-sdl.ts";

const printedSchema = printSchemaFile(schema);

if (process.argv.includes("--check")) {
  const current = readFileSync(schemaFile, "utf8");
  if (current !== printedSchema) {
    console.error("schema.graphql is out of date: run npm run schema:print");
    process.exit(1);
  }
  console.log("schema.graphql is up to date.");
} else {
  writeFileSync(schemaFile, printedSchema);
  console.log(`Wrote ${schemaFile}`);
}
