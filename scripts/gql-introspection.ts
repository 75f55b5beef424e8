import { readFileSync, writeFileSync } from "node:fs";
import { minifyIntrospection, outputIntrospectionFile } from "@gql.tada/internal";
import { buildSchema, introspectionFromSchema } from "graphql";

/**
 * Writes app/graphql/graphql-env.d.ts, the type-level schema gql.tada checks the client's documents with,
 * from the committed schema.graphql. `--check` fails when the file is out of date.
 */
export const introspectionPath = new URL("../app/graphql/graphql-env.d.ts", import.meta.url);

export function renderIntrospection(): string {
  const schema = buildSchema(readFileSync(new URL("../schema.graphql", import.meta.url), "utf8"));
  return outputIntrospectionFile(minifyIntrospection(introspectionFromSchema(schema)), {
    fileType: ".d.ts",
    shouldPreprocess: true,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rendered = renderIntrospection();
  if (process.argv.includes("--check")) {
    if (readFileSync(introspectionPath, "utf8") !== rendered) {
      console.error("app/graphql/graphql-env.d.ts is out of date: run npm run gql:generate");
      process.exit(1);
    }
  } else {
    writeFileSync(introspectionPath, rendered);
    console.log("Wrote app/graphql/graphql-env.d.ts");
  }
}
