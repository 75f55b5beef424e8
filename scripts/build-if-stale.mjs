#!/usr/bin/env node
/**
 * `npm start`'s build step: builds the PWA (`vite build`) only when dist/ is missing or older than what it is built
 * from (app/, vite.config.ts, tsconfig.json, package-lock.json), so a restart with a current build starts at once.
 * Production instances skip even this check: they run `node --import tsx api/server.ts` after one build per release
 * (docs/operations.md).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The newest modification time (ms) under `path` (a file or a folder, walked), or 0 when it does not exist. */
export function newestChange(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(join(path, name))), stat.mtimeMs);
}

/** Why the build in `root`/dist is out of date ("missing", the newest input's path), or null when it is current. */
export function staleBuild(root) {
  const built = join(root, "dist", "index.html");
  if (!existsSync(built)) return "dist/index.html is missing";
  const builtAt = statSync(built).mtimeMs;
  const inputs = ["app", "vite.config.ts", "tsconfig.json", "package-lock.json"];
  const newer = inputs.find((input) => newestChange(join(root, input)) > builtAt);
  return newer ? `${newer} changed after the last build` : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const why = staleBuild(root);
  if (!why) {
    console.log("The PWA build in dist/ is current: not rebuilding.");
  } else {
    console.log(`Building the PWA (${why}).`);
    const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
    process.exit(build.status ?? 1);
  }
}
