import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MediaServer, MediaServerStatus } from "../api/media/media-server.ts";
import { freePort } from "./cluster.ts";
import { eventually } from "./harness.ts";
import { janusInstalled } from "./media-tools.ts";

/** Debian's Janus: one check for every media-server test (test/media-tools.ts; it fails in CI when missing). */
export const janusAvailable = janusInstalled;

const janusPath = process.env.JANUS_PATH ?? "janus";

/**
 * A Janus of the test's own, from a minimal configuration folder, behind the MediaServer interface the managed
 * supervisor (api/media/janus-process.ts) implements: the tests swap one for the other in one line.
 */
export async function startTestJanus(
  /** `apiSecret`: the same for several servers (JANUS_API_SECRET is one setting); random otherwise. */
  options: { apiSecret?: string } = {},
): Promise<MediaServer & { kill(): void; restart(): Promise<void> }> {
  if (!janusAvailable) throw new Error("Janus is not installed");
  const dir = mkdtempSync(join(tmpdir(), "janus-test-"));
  const port = await freePort();
  const apiSecret = options.apiSecret ?? randomBytes(16).toString("hex");
  const rtpBase = 20000 + Math.floor(Math.random() * 400) * 100;
  writeFileSync(
    join(dir, "janus.jcfg"),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "/usr/lib/x86_64-linux-gnu/janus/plugins"
  transports_folder = "/usr/lib/x86_64-linux-gnu/janus/transports"
  events_folder = "/usr/lib/x86_64-linux-gnu/janus/events"
  loggers_folder = "/usr/lib/x86_64-linux-gnu/janus/loggers"
  debug_level = 2
  api_secret = "${apiSecret}"
  session_timeout = 60
  event_loops = 2
}
media: {
  rtp_port_range = "${rtpBase}-${rtpBase + 99}"
}
nat: {
  ice_ignore_list = "vmnet"
}
plugins: {
  disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"
}
transports: {
  disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so"
}
events: {
  broadcast = false
}
`,
  );
  writeFileSync(
    join(dir, "janus.transport.http.jcfg"),
    `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${port}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
}
`,
  );
  // As the managed configuration (api/media/janus-config.ts): rooms and feeds named by strings.
  writeFileSync(join(dir, "janus.plugin.videoroom.jcfg"), "general: {\n  string_ids = true\n}\n");
  const url = `http://127.0.0.1:${port}/janus`;
  let child: ChildProcess | null = null;
  let status: MediaServerStatus = "starting";
  type Listener = (server: MediaServer) => void;
  const listeners = { restarted: new Set<Listener>(), down: new Set<Listener>(), up: new Set<Listener>() };
  let restarts = 0;
  let output = "";

  const launch = async () => {
    output = "";
    const started = spawn(janusPath, ["-F", dir, "-o", "-N", "-L", join(dir, "janus.log")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    child = started;
    await eventually(
      async () => {
        if (started.exitCode !== null) throw new Error(`janus exited ${started.exitCode}: ${output}`);
        const response = await fetch(`${url}/info`).catch(() => null);
        return response?.ok;
      },
      { timeoutMs: 20_000, what: "Janus to answer" },
    );
    status = "up";
  };
  await launch();

  const server: MediaServer & { kill(): void; restart(): Promise<void> } = {
    mode: "managed",
    get servers() {
      return [server];
    },
    recordingsDir: null,
    restarts: () => restarts,
    pid: () => child?.pid,
    url,
    apiSecret,
    status: () => status,
    on(event, callback) {
      listeners[event].add(callback);
      return () => listeners[event].delete(callback);
    },
    kill() {
      child?.kill("SIGKILL");
      status = "down";
      for (const callback of listeners.down) callback(server);
    },
    async restart() {
      const previous = child;
      if (previous && previous.exitCode === null) {
        const exited = new Promise((resolve) => previous.once("exit", resolve));
        previous.kill("SIGKILL");
        await exited;
      }
      status = "restarting";
      await launch();
      restarts++;
      for (const callback of listeners.restarted) callback(server);
    },
    async stop() {
      const running = child;
      status = "off";
      if (running && running.exitCode === null) {
        const exited = new Promise((resolve) => running.once("exit", resolve));
        running.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
