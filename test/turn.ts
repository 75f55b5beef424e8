import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./cluster.ts";
import { eventually } from "./harness.ts";

/** coturn (Debian package `coturn`); .ci/run installs it. */
export const TURNSERVER = process.env.TURNSERVER_PATH ?? "/usr/bin/turnserver";

/**
 * Whether coturn is installed. In CI a missing turnserver fails the run; locally the TURN tests are skipped with a
 * warning.
 */
export function turnAvailable(): boolean {
  if (existsSync(TURNSERVER)) return true;
  if (process.env.CI) throw new Error(`CI must run the TURN tests: apt-get install coturn (${TURNSERVER} is missing)`);
  console.warn(`coturn not found at ${TURNSERVER}: skipping the TURN tests.`);
  return false;
}

/**
 * deploy/turnserver.conf as shipped, with `secret` as its static-auth-secret (the shipped placeholder would be a
 * valid secret too, so it is replaced, not added to) and `realm`.
 */
export function localTurnConfig(secret: string, realm = "live-support.test"): string {
  const shipped = readFileSync(new URL("../deploy/turnserver.conf", import.meta.url), "utf8");
  const config = shipped
    .replace(/^static-auth-secret=.*$/m, `static-auth-secret=${secret}`)
    .replace(/^realm=.*$/m, `realm=${realm}`);
  if (!config.includes(`static-auth-secret=${secret}\n`) || !/^use-auth-secret$/m.test(config))
    throw new Error("deploy/turnserver.conf lost its use-auth-secret / static-auth-secret lines");
  return config;
}

/**
 * What a loopback test host adds to deploy/turnserver.conf on the command line (which wins over the file): listen
 * and relay on 127.0.0.1 at a free port with a small relay range, relay to loopback peers (the file's default
 * refuses them), no TLS/DTLS (no certificate here), the pid file and user db in `dir`, and the log on stdout.
 */
export function loopbackTurnFlags(port: number, relayBase: number, dir: string): string[] {
  return [
    `--listening-port=${port}`,
    "--listening-ip=127.0.0.1",
    "--relay-ip=127.0.0.1",
    `--min-port=${relayBase}`,
    `--max-port=${relayBase + 19}`,
    "--no-tls",
    "--no-dtls",
    "--no-tcp-relay",
    "--allow-loopback-peers",
    "--log-file=stdout",
    `--pidfile=${join(dir, "turnserver.pid")}`,
    `--userdb=${join(dir, "turndb")}`,
  ];
}

/** turnserver in the foreground with deploy/turnserver.conf and `secret`, on a free loopback port. */
export async function startTurn(secret: string) {
  const port = await freePort();
  const relayBase = 40_000 + Math.floor(Math.random() * 20_000);
  const dir = mkdtempSync(join(tmpdir(), "coturn-"));
  const config = join(dir, "turnserver.conf");
  writeFileSync(config, localTurnConfig(secret));
  let log = "";
  const child: ChildProcess = spawn(TURNSERVER, ["-c", config, ...loopbackTurnFlags(port, relayBase, dir)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on("data", (data: Buffer) => (log += data.toString()));
  // Ready once it accepts on its TCP listener (it listens on UDP and TCP at the same port).
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      if (child.exitCode !== null) throw new Error(`turnserver exited (${child.exitCode}):\n${log}`);
      const socket = connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
  await eventually(accepts, { timeoutMs: 30_000, what: `turnserver on port ${port}` });
  return {
    port,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
