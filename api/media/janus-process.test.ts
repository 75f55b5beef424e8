import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestServer, type TestServer } from "../../test/harness.ts";
import { janusAvailable, processAlive } from "../../test/janus.ts";
import { loadEnv } from "../env.ts";
import { createLogger } from "../ops/logger.ts";
import { renderJanusConfig } from "./janus-config.ts";
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
    expect(files["janus.plugin.videoroom.jcfg"]).toMatch(/string_ids = true/);
  });

  it("gives no media server with JANUS=off, saying so", async () => {
    const { logger, lines } = capturedLogger();
    const env = loadEnv({ NODE_ENV: "test", JANUS: "off", DATA_DIR: tmpdir() });
    expect(await createMediaServer(env, logger)).toBeNull();
    expect(lines.map((line) => line.msg)).toContain("media server: none (JANUS=off): calls stay peer-to-peer");
  });

  it("gives no media server when the Janus binary is missing, saying what to install", async () => {
    const { logger, lines } = capturedLogger();
    const env = loadEnv({ NODE_ENV: "test", JANUS: "on", JANUS_BINARY: "/nonexistent/janus", DATA_DIR: tmpdir() });
    expect(await createMediaServer(env, logger)).toBeNull();
    expect(lines.map((line) => line.msg).join("\n")).toMatch(
      /media server: none \(\/nonexistent\/janus not found or not runnable\).*apt-get install janus.*JANUS_URL/,
    );
  });

  it("starts the server with an unreachable external Janus, readiness saying media down", async () => {
    const server = await startTestServer({ env: { JANUS_URL: `http://127.0.0.1:${await closedPort()}/janus` } });
    try {
      const { status, body } = await readyz(server);
      expect(status).toBe(200);
      expect(body).toMatchObject({ ready: true, media: "down" });
      expect(server.app.media?.mode).toBe("external");
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!janusAvailable)("managed Janus", () => {
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

  it("is found by another instance as an external Janus (JANUS_URL + JANUS_API_SECRET)", async () => {
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
