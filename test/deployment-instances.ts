import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually } from "./harness.ts";

/** This checkout: what /opt/live-support is in deploy/live-support@.service. */
const root = fileURLToPath(new URL("..", import.meta.url));
const UNIT = fileURLToPath(new URL("../deploy/live-support@.service", import.meta.url));
const ENV_SAMPLE = fileURLToPath(new URL("../deploy/live-support.env.example", import.meta.url));
const INSTALLED_AT = "/opt/live-support";

/** `KEY=value` lines (systemd EnvironmentFile= syntax as the sample uses it: no quotes, `#` comments). */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1]) values[match[1]] = match[2] ?? "";
  }
  return values;
}

/** The [Service] settings of deploy/live-support@.service, for instance `instance` (its %i), installed in `root`. */
export function readUnit(instance: string) {
  const settings: [string, string][] = [];
  let section = "";
  for (const raw of readFileSync(UNIT, "utf8").split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) section = line;
    else if (section === "[Service]" && /^\w+=/.test(line)) {
      const at = line.indexOf("=");
      settings.push([
        line.slice(0, at),
        line
          .slice(at + 1)
          .replaceAll("%i", instance)
          .replaceAll(INSTALLED_AT, root),
      ]);
    }
  }
  const all = (key: string) => settings.filter(([name]) => name === key).map(([, value]) => value);
  const one = (key: string) => {
    const [value, ...more] = all(key);
    if (value === undefined || more.length) throw new Error(`deploy/live-support@.service: one ${key}= expected`);
    return value;
  };
  return {
    execStart: one("ExecStart").split(/\s+/),
    workingDirectory: one("WorkingDirectory"),
    environment: Object.fromEntries(all("Environment").map((assignment) => assignment.split(/=(.*)/s).slice(0, 2))),
    environmentFile: one("EnvironmentFile"),
    killSignal: one("KillSignal") as NodeJS.Signals,
    timeoutStopMs: Number(one("TimeoutStopSec")) * 1000,
    restart: one("Restart"),
  };
}

/** The server-mode environment sample every instance gets (deploy/live-support.env.example). */
export const envSample = () => parseEnvFile(readFileSync(ENV_SAMPLE, "utf8"));

/**
 * `systemd-analyze verify` on the unit as installed in this checkout (ExecStart must exist and be executable): the
 * errors it prints. Without systemd-analyze, null locally (with a warning); in CI an error (.ci/run installs it).
 */
export function verifyUnit(): string | null {
  if (spawnSync("systemd-analyze", ["--version"]).status !== 0) {
    if (process.env.CI) throw new Error("CI must verify the systemd unit: apt-get install systemd (see .ci/run)");
    console.warn("systemd-analyze is not installed: deploy/live-support@.service is not verified.");
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "live-support-unit-"));
  try {
    const unit = readFileSync(UNIT, "utf8")
      .replaceAll(INSTALLED_AT, root)
      .replace(/^EnvironmentFile=.*$/m, `EnvironmentFile=${ENV_SAMPLE}`);
    writeFileSync(join(dir, "live-support@4000.service"), unit);
    const run = spawnSync("systemd-analyze", ["verify", join(dir, "live-support@4000.service")], { encoding: "utf8" });
    return `${run.status === 0 ? "" : `exit ${run.status}\n`}${run.stderr}`.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Instance {
  port: number;
  url: string;
  /** Every JSON log line the instance wrote on stdout so far. */
  logs(): Record<string, unknown>[];
  /** Started (again) the way systemd starts the unit; resolves once /readyz answers 200. */
  start(): Promise<void>;
  /** systemd's stop: the unit's KillSignal; resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
  /** A crash: SIGKILL, no graceful shutdown; resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * One instance of deploy/live-support@.service on `port`, the way systemd runs it: the unit's ExecStart in its
 * WorkingDirectory, with its Environment= lines and then its EnvironmentFile (the shipped sample) over them, and
 * `overrides` for what differs on this test host (database, Redis, secrets, directories). A value `undefined` in
 * `overrides` removes the sample's variable.
 */
export function unitInstance(port: number, overrides: Record<string, string | undefined>): Instance {
  const unit = readUnit(String(port));
  const [command, ...args] = unit.execStart;
  if (!command) throw new Error("deploy/live-support@.service has no ExecStart");
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", ...unit.environment, ...envSample() };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let output = "";
  const lines: Record<string, unknown>[] = [];
  return {
    port,
    url,
    logs: () => lines,
    async start() {
      const started = spawn(command, args, { cwd: unit.workingDirectory, env, stdio: ["ignore", "pipe", "inherit"] });
      child = started;
      started.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
        const complete = output.split("\n");
        output = complete.pop() ?? "";
        for (const line of complete) if (line.startsWith("{")) lines.push(JSON.parse(line));
      });
      await eventually(
        async () => {
          if (started.exitCode !== null) throw new Error(`instance ${port} exited with ${started.exitCode}`);
          return (await fetch(`${url}/readyz`).catch(() => null))?.status === 200;
        },
        { timeoutMs: 120_000, what: `instance ${port} to answer /readyz` },
      );
    },
    async kill() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGKILL");
      await exited;
    },
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null || running.signalCode !== null) return running?.exitCode ?? null;
      const exited = new Promise<number | null>((resolve) => running.once("exit", (code) => resolve(code)));
      running.kill(unit.killSignal);
      // systemd's SIGKILL after TimeoutStopSec: the test fails on the exit code instead of hanging.
      const timer = setTimeout(() => running.kill("SIGKILL"), unit.timeoutStopMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
