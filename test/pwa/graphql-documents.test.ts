import { readdirSync, readFileSync } from "node:fs";
import { buildSchema, type DocumentNode, parse, print, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { introspectionPath, renderIntrospection } from "../../scripts/gql-introspection.ts";

/**
 * The client's GraphQL documents are a contract with the API: every document exported from
 * app/features/<domain>/<domain>.documents.ts must validate against the committed schema.graphql, and the
 * type-level schema gql.tada types them with must be generated from that same file.
 */
const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));
const featuresDir = new URL("../../app/features/", import.meta.url);

function isDocument(value: unknown): value is DocumentNode {
  return typeof value === "object" && value !== null && (value as DocumentNode).kind === "Document";
}

async function clientDocuments(): Promise<[string, DocumentNode][]> {
  const found: [string, DocumentNode][] = [];
  for (const entry of readdirSync(featuresDir, { recursive: true, encoding: "utf8" })) {
    if (!entry.endsWith(".documents.ts")) continue;
    const module = (await import(new URL(entry, featuresDir).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (isDocument(value)) found.push([`${entry}#${name}`, value]);
    }
  }
  return found;
}

describe("client GraphQL documents", () => {
  it("app/graphql/graphql-env.d.ts matches schema.graphql (npm run gql:generate)", () => {
    expect(readFileSync(introspectionPath, "utf8")).toBe(renderIntrospection());
  });

  it("every operation validates against schema.graphql", async () => {
    const documents = await clientDocuments();
    expect(documents.length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const [name, document] of documents) {
      const hasOperation = document.definitions.some((definition) => definition.kind === "OperationDefinition");
      if (!hasOperation) continue;
      const errors = validate(schema, parse(print(document)));
      for (const error of errors) failures.push(`${name}: ${error.message}`);
    }
    expect(failures).toEqual([]);
  });

  it("a document that does not match the schema is reported", () => {
    const errors = validate(schema, parse("query Broken { tickets { nope } }"));
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe("normalized cache", () => {
  it("names a key (or embeds) every object type without an id, so graphcache never guesses", async () => {
    const { isObjectType } = await import("graphql");
    const { cacheConfig } = await import("../../app/graphql/cache.ts");
    const roots = new Set(["Query", "Mutation", "Subscription"]);
    const withoutId = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith("__") && !roots.has(type.name))
      .filter((type) => isObjectType(type) && !type.getFields().id)
      .map((type) => type.name);
    expect(withoutId.filter((name) => !(name in (cacheConfig.keys ?? {})))).toEqual([]);
  });
});
