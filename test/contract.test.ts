import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, loadEnv } from "../api/env.ts";
import { schema } from "../api/schema.ts";
import { diffMigrationsToSchema } from "../scripts/schema-engine.ts";
import { printSchemaFile, schemaFile } from "../scripts/schema-sdl.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs `api/server.ts` with only these variables (and PATH) until it exits: its exit code and what it printed. */
async function runServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "api/server.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, stderr, output };
}

describe("contracts", () => {
  it("keeps schema.graphql printed from the Pothos schema (run npm run schema:print)", () => {
    expect(readFileSync(schemaFile, "utf8")).toBe(printSchemaFile(schema));
  });

  // The diff runs Prisma's wasm schema engine on its own in-memory PGlite whatever the tier (~40 s of CPU); this
  // file runs in the embedded tier only (vitest.config.ts).
  it("keeps the committed migrations in step with prisma/schema.prisma (run npm run db:migration)", async () => {
    const schemaText = readFileSync(new URL("../prisma/schema.prisma", import.meta.url), "utf8");
    expect(await diffMigrationsToSchema(schemaText)).toBe("");
  }, 180_000);
});

describe("configuration", () => {
  it("applies defaults when nothing is set", () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      PORT: 4000,
      DATA_DIR: "./data",
      UPLOAD_MAX_BYTES: 25 * 1024 * 1024,
      UPLOAD_MAX_FILES: 10,
      PUBLIC_URL: "http://localhost:4000",
      JANUS: "on",
      JANUS_URL: [],
      JANUS_RTP_PORTS: { min: 40_000, max: 40_999 },
    });
  });

  it.each([
    ["PORT", "abc"],
    ["UPLOAD_MAX_BYTES", "lots"],
    ["ACCESS_TOKEN_TTL", "15 minutes"],
    ["DATABASE_URL", "mysql://localhost/x"],
    ["AUTH_SECRET", "short"],
    ["JANUS", "maybe"],
    ["JANUS_URL", "janus.example.com:8088"],
    ["JANUS_RTP_PORTS", "40999-40000"],
    ["JANUS_RTP_PORTS", "80-90"],
    ["JANUS_API_SECRET", "short"],
  ])("refuses a bad %s with a ConfigError naming it", (name, value) => {
    expect(() => loadEnv({ [name]: value })).toThrowError(ConfigError);
    expect(() => loadEnv({ [name]: value })).toThrowError(new RegExp(`^Invalid configuration:\\n  ${name}: `));
  });

  it("stops the server with exit code 2 and a message naming the variable", async () => {
    const { code, stderr } = await runServer({ PORT: "abc", DATA_DIR: "/nonexistent/never-created" });
    expect(code).toBe(2);
    expect(stderr).toContain("PORT:");
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 120_000);

  it("stops with exit code 3 and one line when the database server cannot be reached", async () => {
    const { code, output } = await runServer({ PORT: "0", DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere" });
    expect(code).toBe(3);
    expect(output).toContain("Cannot reach the PostgreSQL server at 127.0.0.1:1 (database nowhere): ECONNREFUSED");
    expect(output.trim().split("\n")).toHaveLength(1);
  }, 120_000);

  it("refuses to open an embedded database another running process holds, with exit code 2", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "live-support-lock-"));
    try {
      mkdirSync(join(dataDir, "pglite"), { recursive: true });
      // This test process stands for a running server that holds the database.
      writeFileSync(join(dataDir, "pglite", "live-support.lock"), String(process.pid));
      const { code, stderr } = await runServer({ PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "silent" });
      expect(code).toBe(2);
      expect(stderr).toContain(`in use by another process (pid ${process.pid})`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
