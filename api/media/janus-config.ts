import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Env } from "../env.ts";
import type { IceConfig } from "../signaling/ice.ts";
import { turnCredentials } from "../signaling/ice.ts";

/**
 * The configuration of a managed Janus: a folder of our own under DATA_DIR/janus/config holding only what this
 * product needs (the core, the VideoRoom plugin and the HTTP transport). Janus is started with `-F <folder>`;
 * the plugin and transport folders are folders of symlinks to the two libraries it loads, so start-up skips the
 * SIP, streaming, audio bridge… plugins and the WebSocket, MQTT… transports.
 */
export interface JanusSettings {
  /** The folder Janus reads its `.jcfg` files from (written by writeJanusConfig). */
  configDir: string;
  /** Where VideoRoom writes `.mjr` recordings (a room's `rec_dir`). */
  recordingsDir: string;
  /** HTTP API port on 127.0.0.1 (never 0 here: the caller picked a free one). */
  port: number;
  apiSecret: string;
  adminSecret: string;
  rtpPorts: { min: number; max: number };
  /** A public address for host candidates behind a 1:1 NAT (nat_1_1_mapping). */
  publicIp?: string;
  /** STUN (for Janus's own candidates behind NAT) and TURN, from the product's ICE configuration. */
  stun?: { host: string; port: number };
  turn?: { host: string; port: number; type: "udp" | "tcp" | "tls"; user: string; password: string };
}

/** Where Debian (and a source build under /opt/janus) put the plugins and transports. */
function libraryFolders(): { plugins: string; transports: string } | null {
  const stock = ["/etc/janus/janus.jcfg", "/opt/janus/etc/janus/janus.jcfg", "/usr/local/etc/janus/janus.jcfg"];
  for (const file of stock) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const plugins = /^\s*plugins_folder\s*=\s*"([^"]+)"/m.exec(text)?.[1];
    const transports = /^\s*transports_folder\s*=\s*"([^"]+)"/m.exec(text)?.[1];
    if (plugins && transports && existsSync(plugins) && existsSync(transports)) return { plugins, transports };
  }
  const multiarch = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  for (const base of [
    `/usr/lib/${multiarch}/janus`,
    "/usr/lib/janus",
    "/usr/local/lib/janus",
    "/opt/janus/lib/janus",
  ]) {
    if (existsSync(join(base, "plugins")) && existsSync(join(base, "transports")))
      return { plugins: join(base, "plugins"), transports: join(base, "transports") };
  }
  return null;
}

const PLUGIN = "libjanus_videoroom.so";
const TRANSPORT = "libjanus_http.so";

/** A `host` and `port` out of `stun:host:port` / `turns:host:port?transport=tcp`. */
export function parseIceUrl(url: string): { scheme: string; host: string; port: number; transport?: string } | null {
  const match = /^(stuns?|turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/i.exec(url.trim());
  if (!match) return null;
  const scheme = (match[1] as string).toLowerCase();
  const secure = scheme.endsWith("s");
  return {
    scheme,
    host: match[2] as string,
    port: match[3] ? Number(match[3]) : secure ? 5349 : 3478,
    transport: match[4]?.toLowerCase(),
  };
}

/**
 * STUN and TURN for Janus from the same configuration the browsers get. Janus takes one of each. Its TURN
 * credential is minted with TURN_SECRET like the browsers' (coturn's REST scheme), valid for a year: a Janus that
 * runs longer renews it at its next restart. Janus needs neither when it has a public address (the usual case).
 */
export function janusIceFromConfig(
  ice: IceConfig,
  now: Date,
): { stun?: JanusSettings["stun"]; turn?: JanusSettings["turn"] } {
  const stunUrl = ice.stunUrls.map(parseIceUrl).find((url) => url !== null);
  const turnUrl = ice.turnUrls.map(parseIceUrl).find((url) => url !== null);
  const result: { stun?: JanusSettings["stun"]; turn?: JanusSettings["turn"] } = {};
  if (stunUrl) result.stun = { host: stunUrl.host, port: stunUrl.port };
  if (turnUrl && ice.turnSecret) {
    const expiresAt = new Date(now.getTime() + 365 * 86_400_000);
    const { username, credential } = turnCredentials(ice.turnSecret, "janus", expiresAt);
    result.turn = {
      host: turnUrl.host,
      port: turnUrl.port,
      type: turnUrl.scheme === "turns" ? "tls" : turnUrl.transport === "tcp" ? "tcp" : "udp",
      user: username,
      password: credential,
    };
  }
  return result;
}

/** The settings of a managed Janus from the environment; secrets are random per start unless configured. */
export function janusSettingsFromEnv(env: Env, ice: IceConfig, port: number, now: Date): JanusSettings {
  const base = resolve(env.DATA_DIR, "janus");
  return {
    configDir: join(base, "config"),
    recordingsDir: resolve(env.JANUS_REC_DIR ?? join(base, "recordings")),
    port,
    apiSecret: env.JANUS_API_SECRET ?? randomBytes(24).toString("base64url"),
    adminSecret: env.JANUS_ADMIN_SECRET ?? randomBytes(24).toString("base64url"),
    rtpPorts: env.JANUS_RTP_PORTS,
    publicIp: env.JANUS_PUBLIC_IP,
    ...janusIceFromConfig(ice, now),
  };
}

/** A jcfg (libconfig) string literal. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The three `.jcfg` files, as text (exported for tests and for deploy/janus/ to be compared with). */
export function renderJanusConfig(settings: JanusSettings) {
  const dir = settings.configDir;
  const nat = [
    "  nice_debug = false",
    '  ice_ignore_list = "vmnet"',
    ...(settings.publicIp ? [`  nat_1_1_mapping = ${quote(settings.publicIp)}`] : []),
    ...(settings.stun ? [`  stun_server = ${quote(settings.stun.host)}`, `  stun_port = ${settings.stun.port}`] : []),
    ...(settings.turn
      ? [
          `  turn_server = ${quote(settings.turn.host)}`,
          `  turn_port = ${settings.turn.port}`,
          `  turn_type = ${quote(settings.turn.type)}`,
          `  turn_user = ${quote(settings.turn.user)}`,
          `  turn_pwd = ${quote(settings.turn.password)}`,
        ]
      : []),
  ];
  const core = `# Written by Live Support at each start of its managed Janus (api/media/janus-config.ts): edits are lost.
general: {
  configs_folder = ${quote(dir)}
  plugins_folder = ${quote(join(dir, "plugins"))}
  transports_folder = ${quote(join(dir, "transports"))}
  events_folder = ${quote(join(dir, "events"))}
  loggers_folder = ${quote(join(dir, "loggers"))}
  debug_level = 4
  server_name = "live-support"
  api_secret = ${quote(settings.apiSecret)}
  admin_secret = ${quote(settings.adminSecret)}
  # One thread per handle by default; two shared loops halve Janus's CPU with many subscribers (measured).
  event_loops = 2
  session_timeout = 60
  # Recordings are written as <name>.mjr.tmp and renamed to .mjr once complete.
  recordings_tmp_ext = "tmp"
  protected_folders = ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr"]
}
certificates: {
}
media: {
  rtp_port_range = "${settings.rtpPorts.min}-${settings.rtpPorts.max}"
}
nat: {
${nat.join("\n")}
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
}
`;
  const http = `# Written by Live Support (api/media/janus-config.ts): the Janus API on loopback only, no admin API.
general: {
  json = "compact"
  base_path = "/janus"
  http = true
  port = ${settings.port}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
  admin_https = false
}
cors: {
}
`;
  const videoroom = `# Written by Live Support (api/media/janus-config.ts): rooms are created through the API only.
general: {
  lock_rtp_forward = true
  # Rooms and feeds are named by strings (the API's broker creates "session-<n>" rooms: api/media/media-broker.ts).
  string_ids = true
}
`;
  return {
    "janus.jcfg": core,
    "janus.transport.http.jcfg": http,
    "janus.plugin.videoroom.jcfg": videoroom,
  };
}

/**
 * Writes the config folder afresh (owner-only: it holds the secrets) with links to the one plugin and the one
 * transport; returns false when the Janus libraries cannot be found.
 */
export async function writeJanusConfig(settings: JanusSettings): Promise<boolean> {
  const folders = libraryFolders();
  if (!folders) return false;
  const dir = settings.configDir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const sub of ["plugins", "transports", "events", "loggers"]) await mkdir(join(dir, sub));
  await symlink(join(folders.plugins, PLUGIN), join(dir, "plugins", PLUGIN));
  await symlink(join(folders.transports, TRANSPORT), join(dir, "transports", TRANSPORT));
  for (const [name, text] of Object.entries(renderJanusConfig(settings))) {
    await writeFile(join(dir, name), text, { mode: 0o600 });
  }
  await chmod(dir, 0o700);
  await mkdir(settings.recordingsDir, { recursive: true });
  return true;
}
