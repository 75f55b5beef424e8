/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and per package, the top entries.
 * Usage: tsx bench/profile.ts <file.cpuprofile>  (bench:api writes one per server with BENCH_PROFILE=1)
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export function summarize(path: string, top = 25): string {
  const profile = JSON.parse(readFileSync(path, "utf8")) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    total += delta;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const file = frame.url.replace(/^file:\/\//, "");
    const where = file.includes("node_modules/")
      ? (/node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? "node_modules")
      : file.includes("/api/")
        ? `ours: ${file.slice(file.indexOf("/api/") + 1)}`
        : file === ""
          ? `(${frame.functionName || "native"})`
          : file.startsWith("node:")
            ? "node internals"
            : file;
    const name = `${frame.functionName || "(anonymous)"} — ${where}:${frame.lineNumber + 1}`;
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
    selfByPackage.set(where, (selfByPackage.get(where) ?? 0) + delta);
  });
  const table = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, time]) => `${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`)
      .join("\n");
  return `Self time by package/file:\n${table(selfByPackage)}\n\nSelf time by function:\n${table(selfByFunction)}`;
}

/**
 * BENCH_PROFILE=1: the server started with `nodeArgs` runs with --cpu-prof and writes its profile when it stops;
 * `summary` then reads it (and prints it). Without BENCH_PROFILE both are empty.
 */
export function serverProfile(): { nodeArgs: string[]; summary(top: number): string } {
  if (!process.env.BENCH_PROFILE) return { nodeArgs: [], summary: () => "" };
  const dir = mkdtempSync(join(tmpdir(), "ls-bench-profile-"));
  return {
    nodeArgs: ["--cpu-prof", "--cpu-prof-dir", dir],
    summary(top) {
      const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
      const text = file ? summarize(join(dir, file), top) : "";
      console.log(text);
      return text;
    },
  };
}

/** The docs section's paragraph for a profile summary ("" when there is none). */
export function profileSection(summary: string): string {
  return summary
    ? `\nCPU profile of the PostgreSQL server during this run (\`BENCH_PROFILE=1\`, top self time):\n\`\`\`\n${summary}\n\`\`\``
    : "";
}

if (process.argv[2]) console.log(summarize(process.argv[2]));
