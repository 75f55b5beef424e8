import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import type { Env } from "../env.ts";
import type { Logger } from "../ops/logger.ts";
import { iceConfigFromEnv } from "../signaling/ice.ts";
import { janusSettingsFromEnv, writeJanusConfig } from "./janus-config.ts";
import { janusAnswers } from "./janus-http.ts";

/**
 * The media server (SFU) the product uses for large calls: Janus with its VideoRoom plugin, either
 * - managed: this server writes a Janus configuration of its own, starts Janus as a child process on 127.0.0.1,
 *   restarts it when it dies (backoff 0.5 s, 1 s, 2 s … 30 s) and stops it on shutdown; or
 * - external: one or several Janus servers named by JANUS_URL (server mode), watched with `GET /info`.
 * Janus is never required: without one (JANUS=off, no binary, all external servers down) sessions stay peer-to-peer.
 *
 * VideoRoom is configured with `string_ids = true` (managed mode; deploy/janus/ does the same): rooms and feeds are
 * named by strings.
 */
export type MediaServerStatus = "starting" | "up" | "restarting" | "down" | "off";
export type MediaServerEvent = "up" | "down" | "restarted";

/** One Janus server. */
export interface JanusEndpoint {
  /** The Janus API base, e.g. http://127.0.0.1:8088/janus (no trailing slash). */
  readonly url: string;
  readonly apiSecret: string | undefined;
  status(): MediaServerStatus;
}

export interface MediaServer extends JanusEndpoint {
  readonly mode: "managed" | "external";
  /** Every Janus server (one when managed); a session's room lives on one of them, see media-placement.ts. */
  readonly servers: readonly JanusEndpoint[];
  /** Where this server finds VideoRoom's `.mjr` recordings, or null (external Janus without a shared folder). */
  readonly recordingsDir: string | null;
  /** Overall: `up` when at least one server is up. */
  status(): MediaServerStatus;
  /** Times a server came back after being down (a managed Janus restarted, an external one reachable again). */
  restarts(): number;
  /**
   * `down`: a server stopped answering (its rooms are gone if it restarts); `up`: it answers (again);
   * `restarted`: it answers again after being down, with no rooms: clients must rejoin. Returns the unsubscriber.
   */
  on(event: MediaServerEvent, listener: (server: JanusEndpoint) => void): () => void;
  /** The managed Janus's process id while it runs (tests, diagnostics). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

const PROBE_INTERVAL_MS = 5000;
const PROBE_TIMEOUT_MS = 2000;
/** A managed Janus that misses this many probes in a row is killed and restarted (hung, not dead). */
const PROBE_FAILURES_BEFORE_KILL = 3;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A Janus that stayed up this long starts the backoff again from its minimum when it dies. */
const STABLE_AFTER_MS = 60_000;

/** Restart delay after `failures` deaths in a row: 0.5 s, 1 s, 2 s … capped at 30 s. */
export function restartDelay(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1));
}

class Listeners {
  private readonly byEvent = new Map<MediaServerEvent, Set<(server: JanusEndpoint) => void>>();
  on(event: MediaServerEvent, listener: (server: JanusEndpoint) => void): () => void {
    const set = this.byEvent.get(event) ?? new Set();
    this.byEvent.set(event, set);
    set.add(listener);
    return () => set.delete(listener);
  }
  emit(event: MediaServerEvent, server: JanusEndpoint, logger: Logger): void {
    for (const listener of this.byEvent.get(event) ?? []) {
      try {
        listener(server);
      } catch (error) {
        logger.error({ err: error, event }, "media server listener failed");
      }
    }
  }
}

/** Waits until `condition` holds, checking every `intervalMs`, or gives up after `timeoutMs`. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, stop: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stop()) {
    if (await condition()) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once("error", fail).listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** The Janus version line, or null when the binary cannot be run. */
function janusVersion(binary: string): Promise<string | null> {
  return new Promise((done) => {
    // `janus --version` prints the version and exits with 1.
    execFile(binary, ["--version"], { timeout: 10_000 }, (_error, stdout) => {
      done(/Janus version: \d+ \(([^)]+)\)/.exec(String(stdout ?? ""))?.[1] ?? null);
    });
  });
}

/** setpriv (util-linux) makes the kernel kill Janus when this process dies, even by SIGKILL. */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));

/** A Janus child process, supervised. */
class ManagedJanus implements MediaServer {
  readonly mode = "managed" as const;
  readonly servers: readonly JanusEndpoint[] = [this];
  private state: MediaServerStatus = "starting";
  private child: ChildProcess | null = null;
  private failures = 0;
  private restartCount = 0;
  private everUp = false;
  private upSince = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private readonly listeners = new Listeners();
  /** The last lines Janus printed, logged when it dies. */
  private readonly tail: string[] = [];
  private readonly killOnExit = () => this.child?.kill("SIGKILL");

  constructor(
    private readonly binary: string,
    readonly url: string,
    readonly apiSecret: string,
    readonly recordingsDir: string,
    private readonly configDir: string,
    private readonly startTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    process.on("exit", this.killOnExit);
  }

  status(): MediaServerStatus {
    return this.state;
  }
  restarts(): number {
    return this.restartCount;
  }
  pid(): number | undefined {
    return this.child?.pid;
  }
  on(event: MediaServerEvent, listener: (server: JanusEndpoint) => void): () => void {
    return this.listeners.on(event, listener);
  }

  /** Starts Janus and waits until its API answers (or the start timeout); resolves whether it is up. */
  async launch(): Promise<boolean> {
    this.restartTimer = null;
    if (this.stopping) return false;
    const args = ["-F", this.configDir, "-o"];
    const child = SETPRIV
      ? spawn(SETPRIV, ["--pdeathsig", "KILL", "--", this.binary, ...args], { stdio: ["ignore", "pipe", "pipe"] })
      : spawn(this.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      if (this.child === child) this.child = null;
      this.exited(code, signal);
    };
    child.once("exit", onExit);
    child.once("error", (error) => {
      this.logger.error({ err: error }, "media server: could not run Janus");
      onExit(null, null);
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.tail.push(line);
        if (this.tail.length > 20) this.tail.shift();
        if (/\[ERR\]|error/i.test(line)) this.logger.warn({ janus: line }, "media server output");
        else this.logger.debug({ janus: line }, "media server output");
      });
    }
    const up = await waitFor(
      () => janusAnswers(this.url, 1000),
      this.startTimeoutMs,
      () => exited || this.stopping,
    );
    if (!up || exited || this.stopping) {
      if (!exited && !this.stopping) {
        this.logger.error({ timeoutMs: this.startTimeoutMs }, "media server: Janus did not answer in time, killing it");
        child.kill("SIGKILL");
      }
      return false;
    }
    const restarted = this.everUp;
    this.everUp = true;
    this.upSince = Date.now();
    this.state = "up";
    this.logger.info({ url: this.url, pid: child.pid, restarted }, "media server: Janus is up");
    this.listeners.emit("up", this, this.logger);
    if (restarted) {
      this.restartCount += 1;
      this.listeners.emit("restarted", this, this.logger);
    }
    this.watch(child);
    return true;
  }

  /** Probes a running Janus; one that stops answering (hung) is killed, which restarts it. */
  private watch(child: ChildProcess): void {
    let missed = 0;
    this.probeTimer = setInterval(() => {
      void janusAnswers(this.url, PROBE_TIMEOUT_MS).then((answers) => {
        if (this.child !== child || this.stopping) return;
        missed = answers ? 0 : missed + 1;
        if (missed >= PROBE_FAILURES_BEFORE_KILL) {
          this.logger.error({ missed }, "media server: Janus stopped answering, restarting it");
          child.kill("SIGKILL");
        }
      });
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    if (this.stopping) return;
    const wasUp = this.state === "up";
    if (wasUp && Date.now() - this.upSince >= STABLE_AFTER_MS) this.failures = 0;
    this.failures += 1;
    const delayMs = restartDelay(this.failures);
    // After three deaths in a row it is reported down (sessions fall back or wait); restarts go on.
    this.state = this.failures >= 3 ? "down" : "restarting";
    this.logger.error(
      { code, signal, delayMs, failures: this.failures, output: this.tail.slice(-10) },
      "media server: Janus exited, restarting",
    );
    if (wasUp) this.listeners.emit("down", this, this.logger);
    this.restartTimer = setTimeout(() => void this.launch(), delayMs);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.state = "off";
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(timer);
    }
    this.child = null;
    process.off("exit", this.killOnExit);
    this.logger.info("media server: Janus stopped");
  }
}

/** An external Janus, watched with `GET /info`. */
class ExternalJanus implements JanusEndpoint {
  private state: MediaServerStatus = "starting";
  private everUp = false;
  constructor(
    readonly url: string,
    readonly apiSecret: string | undefined,
  ) {}
  status(): MediaServerStatus {
    return this.state;
  }
  /** Probes once; returns the event the change means, if any. */
  async probe(): Promise<MediaServerEvent | null> {
    const answers = await janusAnswers(this.url, PROBE_TIMEOUT_MS);
    const before = this.state;
    this.state = answers ? "up" : "down";
    if (answers && before !== "up") {
      const restarted = this.everUp;
      this.everUp = true;
      return restarted ? "restarted" : "up";
    }
    return !answers && before === "up" ? "down" : null;
  }
}

class ExternalJanusPool implements MediaServer {
  readonly mode = "external" as const;
  private readonly listeners = new Listeners();
  private restartCount = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly servers: readonly ExternalJanus[],
    readonly recordingsDir: string | null,
    private readonly logger: Logger,
  ) {}

  get url(): string {
    return (this.servers.find((server) => server.status() === "up") ?? this.servers[0])?.url ?? "";
  }
  get apiSecret(): string | undefined {
    return this.servers[0]?.apiSecret;
  }
  status(): MediaServerStatus {
    if (this.stopped) return "off";
    const states = this.servers.map((server) => server.status());
    if (states.includes("up")) return "up";
    return states.includes("starting") ? "starting" : "down";
  }
  restarts(): number {
    return this.restartCount;
  }
  pid(): undefined {
    return undefined;
  }
  on(event: MediaServerEvent, listener: (server: JanusEndpoint) => void): () => void {
    return this.listeners.on(event, listener);
  }

  async probeAll(): Promise<void> {
    await Promise.all(
      this.servers.map(async (server) => {
        const event = await server.probe();
        if (!event || this.stopped) return;
        if (event === "down") this.logger.error({ url: server.url }, "media server: Janus unreachable");
        else this.logger.info({ url: server.url, event }, "media server: Janus reachable");
        if (event === "restarted") {
          this.restartCount += 1;
          this.listeners.emit("up", server, this.logger);
        }
        this.listeners.emit(event, server, this.logger);
      }),
    );
  }

  watch(): void {
    this.timer = setInterval(() => void this.probeAll(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * The media server from the configuration: external when JANUS_URL is set, otherwise a managed Janus when
 * JANUS=on (the default) and the binary is installed; null without one (the reason is logged). A managed Janus that
 * fails its first start is still returned (status `restarting`/`down`) and keeps being restarted.
 */
export async function createMediaServer(env: Env, logger: Logger): Promise<MediaServer | null> {
  if (env.JANUS_URL.length > 0) {
    const servers = env.JANUS_URL.map((url) => new ExternalJanus(url.replace(/\/+$/, ""), env.JANUS_API_SECRET));
    const pool = new ExternalJanusPool(servers, env.JANUS_REC_DIR ?? null, logger);
    await pool.probeAll();
    pool.watch();
    logger.info(
      { servers: servers.map((server) => ({ url: server.url, status: server.status() })) },
      "media server: external Janus",
    );
    return pool;
  }
  if (env.JANUS === "off") {
    logger.info("media server: none (JANUS=off): calls stay peer-to-peer");
    return null;
  }
  const version = await janusVersion(env.JANUS_BINARY);
  if (version === null) {
    logger.info(
      { binary: env.JANUS_BINARY },
      `media server: none (${env.JANUS_BINARY} not found or not runnable): calls stay peer-to-peer; install Janus (Debian: apt-get install janus) or set JANUS_URL`,
    );
    return null;
  }
  const settings = janusSettingsFromEnv(env, iceConfigFromEnv(env), env.JANUS_PORT || (await freePort()), new Date());
  if (!(await writeJanusConfig(settings))) {
    logger.error(
      "media server: none (Janus is installed but its VideoRoom plugin and HTTP transport were not found): calls stay peer-to-peer",
    );
    return null;
  }
  const janus = new ManagedJanus(
    env.JANUS_BINARY,
    `http://127.0.0.1:${settings.port}/janus`,
    settings.apiSecret,
    settings.recordingsDir,
    settings.configDir,
    env.JANUS_START_TIMEOUT,
    logger,
  );
  logger.info({ version, configDir: settings.configDir, rtpPorts: settings.rtpPorts }, "media server: starting Janus");
  await janus.launch();
  return janus;
}
