#!/usr/bin/env node
// Stands in for Prisma's native schema engine, which cannot be downloaded here (see scripts/prisma.mjs).
if (process.argv.includes("--version")) {
  console.log("schema-engine-stand-in 0.0.0");
  process.exit(0);
}
console.error(
  "Prisma's native schema engine is not installed. Use `npm run db:migration -- <name>` to create a migration " +
    "and `npm run db:migrate` to apply migrations.",
);
process.exit(1);
