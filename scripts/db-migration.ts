/**
 * Creates a migration from the difference between prisma/schema.prisma and the committed migrations:
 *   npm run db:migration -- add_sessions
 * With --check it writes nothing and exits 1 when the schema has changes no migration holds (CI runs it).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { migrationsDir } from "../api/db/migrate.ts";
import { diffMigrationsToSchema } from "./schema-engine.ts";

const schemaPath = fileURLToPath(new URL("../prisma/schema.prisma", import.meta.url));
const args = process.argv.slice(2);
const check = args.includes("--check");
const name = args.find((arg) => !arg.startsWith("--"));

const sql = await diffMigrationsToSchema(readFileSync(schemaPath, "utf8"));
if (check) {
  if (sql) {
    console.error(
      `prisma/schema.prisma has changes that no migration holds:\n\n${sql}\n\nRun: npm run db:migration -- <name>`,
    );
    process.exit(1);
  }
  console.log("Migrations match prisma/schema.prisma.");
} else if (!sql) {
  console.log("No changes: the migrations already match prisma/schema.prisma.");
} else {
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error("Name the migration in snake_case: npm run db:migration -- add_sessions");
    process.exit(1);
  }
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dir = `${migrationsDir}/${stamp}_${name}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/migration.sql`, `${sql}\n`);
  writeFileSync(
    `${migrationsDir}/migration_lock.toml`,
    '# Do not edit: Prisma Migrate reads it.\nprovider = "postgresql"\n',
  );
  console.log(`Created ${dir}/migration.sql`);
}
