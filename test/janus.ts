import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Debian's Janus (and janus-pp-rec from janus-tools): the media-server tests need them in CI (.ci/run installs them)
 * and skip loudly without them elsewhere.
 */
function runs(binary: string, args: string[]): boolean {
  try {
    execFileSync(binary, args, { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** `janus --version` prints its version and exits with 1. */
function janusVersion(): string | null {
  try {
    return execFileSync("janus", ["--version"], { encoding: "utf8", timeout: 10_000 });
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    return stdout && /Janus version/.test(stdout) ? stdout : null;
  }
}

export const janusAvailable = janusVersion() !== null;
export const janusToolsAvailable = runs("janus-pp-rec", ["--help"]) && runs("ffmpeg", ["-version"]);
for (const [available, what] of [
  [janusAvailable, "janus"],
  [janusToolsAvailable, "janus-tools and ffmpeg"],
] as const) {
  if (available) continue;
  if (process.env.CI)
    throw new Error(`The media-server tests need ${what} (apt-get install ${what.replace(" and ", " ")}).`);
  console.warn(
    `\n!!! ${what} missing: SKIPPING the media-server tests that need it (they fail instead when CI is set). !!!\n`,
  );
}

/** Whether a process exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
