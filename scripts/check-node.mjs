#!/usr/bin/env node
/**
 * Stops `npm start`, `npm test` and `npm run build` early, with a clear message, when they would run on a Node.js
 * outside package.json's `engines` (e.g. the machine's Node 20 on a platform where the bundled Node is not
 * installed). On Linux x64/arm64 `npm install` puts Node 24 in node_modules/.bin (optional dependency
 * `node-linux-<arch>`), and npm scripts put that folder first on PATH, so this passes there whatever the machine
 * has. Prints the Node it runs on, so a log shows which one ran. See README "Requirements".
 */
import { readFileSync } from "node:fs";

const { engines } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const range = engines.node; // e.g. "^22.15.0 || ^24.0.0": only caret ranges, one per supported major
const parse = (v) => v.replace(/^[v^]/, "").split(".").map(Number);
const [major, minor, patch] = parse(process.versions.node);
const ok = range.split("||").some((part) => {
  const wanted = part.trim();
  if (!/^\^\d+\.\d+\.\d+$/.test(wanted)) throw new Error(`scripts/check-node.mjs reads only ^X.Y.Z ranges: ${wanted}`);
  const [M, m, p] = parse(wanted);
  return major === M && (minor > m || (minor === m && patch >= p));
});
if (!ok) {
  console.error(
    `Live Support needs Node.js ${range} (package.json "engines"); this is ${process.version} (${process.execPath}).\n` +
      "On Linux x64/arm64, `npm install` brings Node 24 into node_modules/.bin and npm scripts use it: run\n" +
      "`npm install` again if it is missing, and start things through npm (`npm start`, `npm test`, `npx vitest`).\n" +
      "Elsewhere, install Node.js 22 (22.15 or newer) or 24.",
  );
  process.exit(1);
}
console.log(`Node.js ${process.version} (${process.execPath})`);
