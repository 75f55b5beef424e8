/** Applies committed migrations to the configured database (npm start does this too). */
import { openDatabase } from "../api/db/database.ts";
import { applyMigrations } from "../api/db/migrate.ts";
import { loadEnv } from "../api/env.ts";

const env = loadEnv();
const database = await openDatabase(env.DATABASE_URL, env.DATA_DIR);
try {
  const applied = await database.withSession((session) => applyMigrations(session));
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "The database is up to date.");
} finally {
  await database.close();
}
