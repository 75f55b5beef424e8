import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error a plain .mjs script (npm start runs it with node alone), without type declarations
import { staleBuild } from "./build-if-stale.mjs";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A project folder whose files have the given ages (seconds ago). */
function project(files: Record<string, number>): string {
  const root = mkdtempSync(join(tmpdir(), "build-if-stale-"));
  roots.push(root);
  const now = Date.now() / 1000;
  for (const [path, age] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), "x");
    utimesSync(join(root, path), now - age, now - age);
  }
  for (const dir of ["app", "app/features"]) utimesSync(join(root, dir), now - 1000, now - 1000);
  return root;
}

describe("npm start's build step", () => {
  it("builds when dist is missing or older than a source, and not when it is current", () => {
    const sources = { "app/main.tsx": 100, "app/features/page.tsx": 100, "vite.config.ts": 100 };
    expect(staleBuild(project(sources))).toBe("dist/index.html is missing");
    expect(staleBuild(project({ ...sources, "dist/index.html": 50 }))).toBeNull();
    expect(staleBuild(project({ ...sources, "app/features/page.tsx": 10, "dist/index.html": 50 }))).toBe(
      "app changed after the last build",
    );
    expect(staleBuild(project({ ...sources, "package-lock.json": 10, "dist/index.html": 50 }))).toBe(
      "package-lock.json changed after the last build",
    );
  });
});
