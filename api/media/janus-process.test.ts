import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCast } from "../../test/fixtures.ts";
import { eventually, startTestServer, type TestServer } from "../../test/harness.ts";
import { janusInstalled, processAlive } from "../../test/media-tools.ts";
import { killHard, startServerProcess } from "../../test/server-process.ts";
import { createSession, hostAction } from "../../test/session-fixtures.ts";
import { loadEnv } from "../env.ts";
import { createLogger } from "../ops/logger.ts";
import { janusIceFromConfig, renderJanusConfig } from "./janus-config.ts";
import { ExternalJanus } from "./janus-external.ts";
import { createMediaServer, type JanusEndpoint, restartDelay } from "./janus-process.ts";

/** A logger whose lines the test reads. */
function capturedLogger() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger("info", destination), lines };
}

/** A TCP port nothing listens on (taken and released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Tests that start a server in their body: a start can take a minute on a loaded 2-core machine. */
const SERVER_START_MS = 180_000;

async function readyz(server: TestServer) {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("media server configuration", () => {
  it("restarts with a doubling backoff capped at 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(restartDelay)).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it("writes a Janus configuration bound to loopback, with its secrets, ports, loops and ICE servers", () => {
    const files = renderJanusConfig({
      configDir: "/data/janus/config",
      recordingsDir: "/data/janus/recordings",
      port: 18_088,
      apiSecret: "api-secret-value",
      adminSecret: "admin-secret-value",
      rtpPorts: { min: 41_000, max: 41_099 },
      publicIp: "203.0.113.7",
      stun: { host: "stun.example.com", port: 3478 },
      turn: { host: "turn.example.com", port: 443, type: "tls", user: "123:janus", password: 'p"w' },
    });
    expect(files["janus.transport.http.jcfg"]).toMatch(/ip = "127\.0\.0\.1"/);
    expect(files["janus.transport.http.jcfg"]).toMatch(/port = 18088/);
    expect(files["janus.transport.http.jcfg"]).toMatch(/admin_http = false/);
    const core = files["janus.jcfg"];
    expect(core).toMatch(/api_secret = "api-secret-value"/);
    expect(core).toMatch(/admin_secret = "admin-secret-value"/);
    expect(core).toMatch(/event_loops = 2/);
    expect(core).toMatch(/rtp_port_range = "41000-41099"/);
    expect(core).toMatch(/nat_1_1_mapping = "203\.0\.113\.7"/);
    expect(core).toMatch(/stun_server = "stun\.example\.com"\n {2}stun_port = 3478/);
    expect(core).toMatch(/turn_type = "tls"/);
    expect(core).toMatch(/turn_pwd = "p\\"w"/);
    expect(files["janus.plugin.videoroom.jcfg"]).toMatch(/lock_rtp_forward = true/);
    expect(files["janus.plugin.videoroom.jcfg"]).toMatch(/string_ids = true/);
  });

  it("gives Janus the first STUN and TURN servers, with a TURN credential minted from TURN_SECRET", () => {
    const now = new Date("2026-12-02T10:00:00Z");
    const ice = janusIceFromConfig(
      {
        stunUrls: ["stun:stun.example.com:19302", "stun:other.example.com"],
        turnUrls: ["turns:turn.example.com:5349?transport=tcp", "turn:turn.example.com"],
        turnSecret: "turn-secret-turn-secret",
        turnTtlMs: 3_600_000,
      },
      now,
    );
    expect(ice.stun).toEqual({ host: "stun.example.com", port: 19_302 });
    const expiry = Math.floor(now.getTime() / 1000) + 365 * 86_400;
    expect(ice.turn).toEqual({
      host: "turn.example.com",
      port: 5349,
      type: "tls",
      user: `${expiry}:janus`,
      password: createHmac("sha1", "turn-secret-turn-secret").update(`${expiry}:janus`).digest("base64"),
    });
    expect(janusIceFromConfig({ stunUrls: [], turnUrls: ["turn:t.example.com"], turnTtlMs: 1 }, now)).toEqual({});
  });

  it("gives no media server with JANUS=off, saying so", async () => {
    const { logger, lines } = capturedLogger();
    const env = loadEnv({ NODE_ENV: "test", JANUS: "off", DATA_DIR: tmpdir() });
    expect(await createMediaServer(env, logger)).toBeNull();
    expect(lines.map((line) => line.msg)).toContain("media server: none (JANUS=off): calls stay peer-to-peer");
  });

  it("starts no Janus of its own in server mode unless told to (the instances share JANUS_URL)", async () => {
    const { logger, lines } = capturedLogger();
    const env = loadEnv({ REDIS_URL: "redis://127.0.0.1:6379", DATA_DIR: tmpdir() });
    expect(env.JANUS).toBe("off");
    expect(loadEnv({ REDIS_URL: "redis://127.0.0.1:6379", JANUS: "on" }).JANUS).toBe("on");
    expect(await createMediaServer(env, logger)).toBeNull();
    expect(lines.map((line) => line.msg).join("\n")).toMatch(
      /server mode: set JANUS_URL .* or JANUS=on for a single instance/,
    );
  });

  it("gives no media server when the Janus binary is missing, saying what to install", async () => {
    const { logger, lines } = capturedLogger();
    const env = loadEnv({ NODE_ENV: "test", JANUS: "on", JANUS_BINARY: "/nonexistent/janus", DATA_DIR: tmpdir() });
    expect(await createMediaServer(env, logger)).toBeNull();
    expect(lines.map((line) => line.msg).join("\n")).toMatch(
      /media server: none \(\/nonexistent\/janus not found or not runnable\).*apt-get install janus.*JANUS_URL/,
    );
  });

  it(
    "starts the server with an unreachable external Janus, readiness saying media down",
    async () => {
      const server = await startTestServer({ env: { JANUS_URL: `http://127.0.0.1:${await closedPort()}/janus` } });
      try {
        const { status, body } = await readyz(server);
        expect(status).toBe(200);
        expect(body).toMatchObject({ ready: true, media: "down" });
        expect(server.app.media?.mode).toBe("external");
        // A webinar stays peer-to-peer (seated within its limit while the media server is down), and its host is told
        // what that carries; a small call needs no notice.
        const { agent } = await createCast(server);
        const notices: Record<string, unknown> = {};
        for (const [type, maxParticipants] of [
          ["WEBINAR", 24],
          ["SUPPORT_CALL", 2],
        ] as const) {
          const session = await createSession(server, agent, { type, maxParticipants });
          await hostAction(server, agent, "startLiveSession", { id: session.id });
          const read = await server.gql(
            "query($id: ID!) { liveSession(id: $id) { topology mediaNotice } }",
            { id: session.id },
            agent.token,
          );
          expect(read.data?.liveSession.topology).toBe("PEER_TO_PEER");
          notices[type] = read.data?.liveSession.mediaNotice;
        }
        expect(notices.WEBINAR).toMatch(/media server is unreachable.*peer-to-peer.*24 viewers/);
        expect(notices.SUPPORT_CALL).toBeNull();
      } finally {
        await server.close();
      }
    },
    SERVER_START_MS,
  );
});

describe.skipIf(!janusInstalled)("managed Janus", () => {
  let server: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "live-support-janus-"));
    server = await startTestServer({
      env: { JANUS: "on", JANUS_REC_DIR: join(dataDir, "recordings"), JANUS_RTP_PORTS: "40000-40999" },
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("starts with the server, answers on loopback with its secret only, and shows in /readyz and /metrics", async () => {
    const media = server.app.media;
    expect(media?.mode).toBe("managed");
    expect(media?.status()).toBe("up");
    expect(media?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/janus$/);
    expect((await readyz(server)).body).toMatchObject({ ready: true, media: "up" });

    const create = (secret?: string) =>
      fetch(media?.url ?? "", {
        method: "POST",
        body: JSON.stringify({ janus: "create", transaction: "t", ...(secret ? { apisecret: secret } : {}) }),
      }).then((response) => response.json());
    expect(await create()).toMatchObject({ janus: "error", error: { code: 403 } });
    expect(await create(media?.apiSecret)).toMatchObject({ janus: "success" });

    // Only the VideoRoom plugin and the HTTP transport are loaded.
    const info = await (await fetch(`${media?.url}/info`)).json();
    expect(Object.keys(info.plugins)).toEqual(["janus.plugin.videoroom"]);
    expect(Object.keys(info.transports)).toEqual(["janus.transport.http"]);
    const config = readFileSync(join(server.dataDir, "janus", "config", "janus.jcfg"), "utf8");
    expect(config).toContain(`api_secret = "${media?.apiSecret}"`);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/media_server_up\{server="http:\/\/127\.0\.0\.1:\d+\/janus",mode="managed"\} 1/);
    expect(metrics).toMatch(/media_server_rooms\{server="[^"]+"\} 0/);
    expect(metrics).toMatch(/media_server_restarts_total 0/);
  });

  it("restarts a Janus killed with SIGKILL within seconds, firing `restarted`", async () => {
    const media = server.app.media;
    if (!media) throw new Error("no media server");
    const before = media.pid();
    if (before === undefined) throw new Error("no Janus process");
    const events: string[] = [];
    const offs = (["down", "up", "restarted"] as const).map((event) =>
      media.on(event, (endpoint: JanusEndpoint) => events.push(`${event} ${endpoint.url === media.url}`)),
    );
    const killedAt = Date.now();
    process.kill(before, "SIGKILL");
    await eventually(() => events.includes("restarted true"), { timeoutMs: 10_000, what: "the restarted event" });
    const restartedInMs = Date.now() - killedAt;
    for (const off of offs) off();
    expect(events).toEqual(["down true", "up true", "restarted true"]);
    expect(restartedInMs).toBeLessThan(5000);
    expect(processAlive(before)).toBe(false);
    expect(media.pid()).not.toBe(before);
    expect(media.status()).toBe("up");
    expect(media.restarts()).toBe(1);
    expect((await readyz(server)).body).toMatchObject({ ready: true, media: "up" });
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/media_server_restarts_total 1/);
  });

  it(
    "is found by another instance as an external Janus (JANUS_URL + JANUS_API_SECRET)",
    async () => {
      const media = server.app.media;
      const other = await startTestServer({
        env: {
          JANUS_URL: `http://127.0.0.1:${await closedPort()}/janus,${media?.url}`,
          JANUS_API_SECRET: media?.apiSecret ?? "",
        },
      });
      try {
        expect(other.app.media?.servers.map((endpoint) => endpoint.status())).toEqual(["down", "up"]);
        expect((await readyz(other)).body).toMatchObject({ ready: true, media: "up" });
        const metrics = await (await fetch(`${other.url}/metrics`)).text();
        expect(metrics).toMatch(/media_server_up\{server="[^"]+",mode="external"\} 0/);
        expect(metrics).toMatch(/media_server_rooms\{server="[^"]+"\} 0/);
      } finally {
        await other.close();
      }
    },
    SERVER_START_MS,
  );

  it("tells an external Janus that restarted between two probes (its rooms gone) and one refusing the secret", async () => {
    const media = server.app.media;
    if (!media) throw new Error("no media server");
    const watcher = new ExternalJanus(media.url, media.apiSecret);
    expect(await watcher.probe()).toBe("up");
    expect(await watcher.probe()).toBeNull();
    // Killed and restarted by the supervisor between two probes: the watcher never saw it down.
    const restarted = new Promise((done) => media.on("restarted", done));
    process.kill(media.pid() as number, "SIGKILL");
    await restarted;
    expect(await watcher.probe()).toBe("restarted");
    expect(watcher.status()).toBe("up");
    expect(await watcher.probe()).toBeNull();

    const wrongSecret = new ExternalJanus(media.url, "not-the-secret");
    expect(await wrongSecret.probe()).toBeNull();
    expect(wrongSecret.status()).toBe("down");
    expect(wrongSecret.problem).toBe("it refuses JANUS_API_SECRET");
  });

  it("runs from deploy/janus/ (the external Janus's configuration): VideoRoom over HTTP, secret required", async () => {
    const folder = mkdtempSync(join(tmpdir(), "live-support-deploy-janus-"));
    const port = await closedPort();
    for (const name of ["janus.jcfg", "janus.transport.http.jcfg", "janus.plugin.videoroom.jcfg"]) {
      const text = readFileSync(join("deploy", "janus", name), "utf8")
        .replace('"/etc/live-support/janus"', `"${folder}"`)
        .replace('ip = "10.0.0.20"', 'ip = "127.0.0.1"')
        .replace("port = 8088", `port = ${port}`);
      writeFileSync(join(folder, name), text);
    }
    const janus = spawn("janus", ["-F", folder, "-o"], { stdio: "ignore" });
    try {
      const url = `http://127.0.0.1:${port}/janus`;
      const info = await eventually(
        () =>
          fetch(`${url}/info`).then(
            (response) => response.json(),
            () => null,
          ),
        {
          what: "the deploy configuration's Janus",
        },
      );
      expect(Object.keys(info.plugins)).toEqual(["janus.plugin.videoroom"]);
      expect(Object.keys(info.transports)).toEqual(["janus.transport.http"]);
      const created = await fetch(url, { method: "POST", body: JSON.stringify({ janus: "create", transaction: "t" }) });
      expect(await created.json()).toMatchObject({ janus: "error", error: { code: 403 } });
    } finally {
      janus.kill("SIGKILL");
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("stops Janus when the server shuts down, leaving no process behind", async () => {
    const pid = server.app.media?.pid();
    if (pid === undefined) throw new Error("no Janus process");
    expect(processAlive(pid)).toBe(true);
    await server.app.close();
    expect(processAlive(pid)).toBe(false);
    expect(server.app.media?.status()).toBe("off");
  });
});

/** The Janus processes whose parent is `pid` (read from /proc). */
function janusChildrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8").trim();
        const [, comm, rest] = /^\d+ \((.*)\) (.*)$/.exec(stat) ?? [];
        return comm === "janus" && Number(rest?.split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(!janusInstalled)("managed Janus of a server process", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "live-support-janus-process-"));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Graceful shutdown stopping Janus is tested in process above; this is the case no hook can handle.
  it("leaves no Janus behind when the server process is killed with SIGKILL", async () => {
    const server = await startServerProcess({ databaseUrl: "memory://", dataDir, env: { JANUS: "on" } });
    try {
      const body = await (await fetch(`${server.url}/readyz`)).json();
      expect(body).toMatchObject({ ready: true, media: "up" });
      const [janus] = janusChildrenOf(server.child.pid as number);
      if (janus === undefined) throw new Error("no Janus child");
      await killHard(server.child);
      await eventually(() => !processAlive(janus), { what: "Janus gone after the server's SIGKILL" });
    } finally {
      await killHard(server.child);
    }
  }, 240_000);
});
