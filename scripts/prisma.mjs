#!/usr/bin/env node
/**
 * Runs Prisma's CLI with no network. The CLI downloads a native schema engine before `generate`, unless
 * PRISMA_SCHEMA_ENGINE_BINARY names an executable; `generate` never runs it, so we name a stand-in that explains
 * what to use instead. Migrations are created and applied by our own scripts on the WebAssembly schema engine
 * (npm run db:migration / db:migrate): see README "Database".
 */
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const standIn = fileURLToPath(new URL("./schema-engine-stand-in.mjs", import.meta.url));
chmodSync(standIn, 0o755);
const cli = require.resolve("prisma/build/index.js");
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: standIn,
    CHECKPOINT_DISABLE: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
  },
});
process.exit(result.status ?? 1);
