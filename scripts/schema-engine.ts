import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PGlite } from "@electric-sql/pglite";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { type Migration, readMigrations } from "../api/db/migrate.ts";

/**
 * Prisma's schema engine compiled to WebAssembly, running on an in-memory PGlite: the migration diffing of
 * `prisma migrate dev` without the native engine binary that the CLI would download.
 */
async function loadEngineModule(): Promise<typeof engineBindings> {
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm");
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
    "./schema_engine_bg.js": engineBindings as unknown as WebAssembly.ModuleImports,
  });
  engineBindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return engineBindings;
}

const noFilters = { externalTables: [], externalEnums: [] };

/** SQL that takes a database built by `migrations` to the state `schemaText` describes ("" when in step). */
export async function diffMigrationsToSchema(schemaText: string, migrations: Migration[] = readMigrations()) {
  const { SchemaEngine } = await loadEngineModule();
  const factory = bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(new PGlite()));
  const files = [{ path: "schema.prisma", content: schemaText }];
  const engine = await SchemaEngine.new({ datamodels: [["schema.prisma", schemaText]] }, () => {}, factory);
  const from =
    migrations.length === 0
      ? ({ tag: "empty" } as const)
      : ({
          tag: "migrations",
          baseDir: "/migrations",
          lockfile: { path: "migration_lock.toml", content: 'provider = "postgresql"\n' },
          shadowDbInitScript: "",
          migrationDirectories: migrations.map((migration) => ({
            path: migration.name,
            migrationFile: { path: "migration.sql", content: { tag: "ok" as const, value: migration.sql } },
          })),
        } as const);
  const result = await engine.diff({
    from,
    to: { tag: "schemaDatamodel", files },
    script: true,
    exitCode: null,
    filters: noFilters,
  });
  engine.free();
  const script = result.stdout ?? "";
  return script.includes("-- This is an empty migration.") ? "" : script.trim();
}
