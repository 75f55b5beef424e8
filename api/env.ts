import { z } from "zod";

/**
 * Configuration is read here once, validated and typed; nothing else reads process.env.
 * A bad value stops the server with a message naming the variable.
 */
const duration = (fallback: string) =>
  z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, "expected a duration such as 900s, 15m, 12h or 30d")
    .default(fallback)
    .transform((value) => {
      const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
      const [, amount, unit] = match ?? [];
      const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as "ms"];
      return Number(amount) * factor;
    });

const bytes = (fallback: string) =>
  z
    .string()
    .regex(/^\d+(B|KB|MB|GB)?$/i, "expected a size such as 25MB or 1048576")
    .default(fallback)
    .transform((value) => {
      const match = /^(\d+)(B|KB|MB|GB)?$/i.exec(value);
      const unit = (match?.[2] ?? "B").toUpperCase() as "B" | "KB" | "MB" | "GB";
      return Number(match?.[1]) * { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[unit];
    });

const csv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    );

/** `<count>/<duration>` such as `10/15m`, or `off`. */
const rateRule = (fallback: string) =>
  z
    .string()
    .regex(/^(off|\d+\/\d+(ms|s|m|h|d))$/, "expected a limit such as 10/15m (count per duration) or off")
    .default(fallback)
    .transform((value) => {
      if (value === "off") return null;
      const [count, window] = value.split("/");
      return { limit: Number(count), windowMs: duration("1s").parse(window) };
    });

const flag = (fallback: "true" | "false") =>
  z
    .enum(["true", "false", "1", "0", "on", "off"])
    .default(fallback)
    .transform((value) => value === "true" || value === "1" || value === "on");

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
    HOST: z.string().min(1).default("0.0.0.0"),
    PUBLIC_URL: z.url().optional(),
    DATA_DIR: z.string().min(1).default("./data"),
    DATABASE_URL: z
      .string()
      .regex(/^(postgres(ql)?:\/\/|memory:\/\/|file:)/, "expected postgresql://…, memory:// or file:<dir>")
      .optional(),
    AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    ACCESS_TOKEN_TTL: duration("15m"),
    /**
     * How long an instance trusts a checked sign-in before asking the database again (0s: every request asks).
     * Log-out, revocation and role changes drop it at once on every instance (a realtime event).
     */
    AUTH_SESSION_CACHE: duration("30s"),
    /** Ticket lists answered from a per-viewer cache for at most this long; ticket events clear it (0s: off). */
    RESPONSE_CACHE_TTL: duration("10s"),
    /** How long the first answer to a create mutation is kept for retries carrying the same idempotency key. */
    IDEMPOTENCY_TTL: duration("24h"),
    /**
     * How long a request holds its idempotency key before a retry may take it over (one whose answer never came,
     * e.g. the server died); the first attempt can then no longer commit.
     */
    IDEMPOTENCY_LEASE: duration("30s"),
    /** Realtime events are kept this long in the stream log, so subscriptions can resume (`after: cursor`). */
    STREAM_RETENTION: duration("24h"),
    /** …and at most this many events per stream (the newest). */
    STREAM_RETENTION_EVENTS: z.coerce.number().int().min(10).default(10_000),
    REFRESH_TOKEN_TTL: duration("30d"),
    UPLOAD_MAX_BYTES: bytes("25MB"),
    UPLOAD_MAX_FILES: z.coerce.number().int().min(1).max(100).default(10),
    CORS_ORIGINS: csv(""),
    SESSION_VERIFICATION_CODE_TTL: duration("10m"),
    SESSION_JOIN_RATE_LIMIT: z.coerce.number().int().min(1).default(250),
    SESSION_PASSWORD_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
    SESSION_VERIFICATION_RATE_LIMIT: z.coerce.number().int().min(1).default(5),
    SESSION_CHAT_RATE_LIMIT: z.coerce.number().int().min(1).default(20),
    SESSION_REACTION_RATE_LIMIT: z.coerce.number().int().min(1).default(30),
    /** Seats a webinar may have (the host does not count); above 100 only where a media server carries webinars. */
    WEBINAR_MAX_PARTICIPANTS: z.coerce.number().int().min(1).max(1000).default(100),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, "expected smtp://user:pass@host:587 or smtps://…")
      .optional(),
    MAIL_FROM: z.string().min(3).default("Live Support <no-reply@localhost>"),
    /**
     * Outside production, serve the messages written to DATA_DIR/mail at /dev/mail, to loopback clients and admins
     * only. Off by default: the mailbox holds other people's verification codes and join links.
     */
    DEV_MAILBOX: flag("false"),
    JOBS_WORKER: z.enum(["on", "off"]).optional(),
    JOBS_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
    JOBS_POLL_INTERVAL: duration("1s"),
    JOBS_LEASE: duration("5m"),
    JOBS_BACKOFF_BASE: duration("10s"),
    JOBS_BACKOFF_MAX: duration("1h"),
    VAPID_PUBLIC_KEY: z.string().min(1).optional(),
    VAPID_PRIVATE_KEY: z.string().min(1).optional(),
    VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:|https:\/\/)/, "expected mailto:… or https://…")
      .optional(),
    /**
     * Web Push endpoints may be any host, private and loopback addresses included (a push service on the local
     * network, tests). Off: only hosts whose every address is public, checked at registration and at each send.
     */
    PUSH_ALLOW_PRIVATE_HOSTS: flag("false"),
    /** Calls: STUN servers handed to browsers (comma-separated stun: URLs); none by default. */
    STUN_URLS: csv(""),
    /** Calls: TURN servers (comma-separated turn:/turns: URLs) sharing TURN_SECRET with coturn's use-auth-secret. */
    TURN_URLS: csv(""),
    TURN_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    /** How long a TURN credential handed out by `iceServers` stays valid. */
    TURN_TTL: duration("1h"),
    /**
     * Media server (SFU) for large calls, see docs/operations.md (Janus). `on`: a managed Janus (started and
     * supervised by this server) when the `JANUS_BINARY` is installed and JANUS_URL is not set; `off`: none. Default
     * on, except under NODE_ENV=test and in server mode (REDIS_URL), where the instances share JANUS_URL.
     */
    JANUS: z.enum(["on", "off"]).optional(),
    JANUS_BINARY: z.string().min(1).default("janus"),
    /** External Janus servers (comma-separated http(s)://host:port/janus URLs) shared by every instance. */
    JANUS_URL: csv(""),
    /** The `api_secret` every Janus request carries: random per start for a managed Janus unless set. */
    JANUS_API_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    /** Managed Janus: the `admin_secret` (random per start unless set). */
    JANUS_ADMIN_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    /** Managed Janus: the HTTP API port on 127.0.0.1 (0: a free port). */
    JANUS_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
    /** Managed Janus: the UDP ports for media, one per connection (`min-max`). */
    JANUS_RTP_PORTS: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, "expected a port range such as 40000-40999")
      .default("40000-40999")
      .transform((value, ctx) => {
        const [min, max] = value.split("-").map(Number) as [number, number];
        if (min < 1024 || max > 65_535 || min > max) {
          ctx.addIssue({ code: "custom", message: "expected min-max with 1024 <= min <= max <= 65535" });
          return z.NEVER;
        }
        return { min, max };
      }),
    /** Managed Janus behind a 1:1 NAT (a cloud instance): the public address put in its ICE candidates. */
    JANUS_PUBLIC_IP: z.string().min(1).optional(),
    /**
     * Where Janus writes room recordings (`.mjr`), as this server sees the folder: by default DATA_DIR/janus/recordings
     * for a managed Janus; for an external one, a folder shared with it (unset: no recording through the SFU).
     */
    JANUS_REC_DIR: z.string().min(1).optional(),
    /** How long a managed Janus may take to answer its API after each start. */
    JANUS_START_TIMEOUT: duration("20s"),
    // Server mode (scale out): see docs/operations.md.
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, "expected redis://… or rediss://…")
      .optional(),
    REDIS_PREFIX: z.string().default("ls:"),
    UPLOADS_DIR: z.string().min(1).optional(),
    /**
     * How many proxies in front of the app append to X-Forwarded-For: the client address is the hop the outermost
     * of them saw, counted from the right. `true` means 1 (one proxy, e.g. nginx), `false` (0) ignores the header.
     */
    TRUST_PROXY: z
      .string()
      .default("false")
      .transform((value, ctx) => {
        const named: Record<string, number> = { true: 1, on: 1, false: 0, off: 0 };
        const hops = named[value] ?? (/^\d{1,2}$/.test(value) ? Number(value) : Number.NaN);
        if (Number.isNaN(hops)) {
          ctx.addIssue({ code: "custom", message: "expected true, false or a number of proxy hops" });
          return z.NEVER;
        }
        return hops;
      }),
    RATE_LIMITS: flag("true"),
    RATE_LIMIT_AUTH_IP: rateRule("60/15m"),
    RATE_LIMIT_AUTH_ACCOUNT: rateRule("10/15m"),
    RATE_LIMIT_WRITES_USER: rateRule("60/1m"),
    /** Every operation (HTTP, SSE, graphql-ws) is checked against these before it runs; see api/ops/operation-limits.ts. */
    GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).default(2000),
    GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).default(10),
    GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
    GRAPHQL_MAX_COST: z.coerce.number().int().min(10).default(150_000),
    /** Schema introspection (and GraphiQL's schema view): on by default outside production, off in production. */
    GRAPHQL_INTROSPECTION: z.enum(["true", "false", "1", "0", "on", "off"]).optional(),
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    SHUTDOWN_TIMEOUT: duration("10s"),
    /** Recording: largest accepted chunk (one POST /recordings/<id>/chunks/<seq> body). */
    RECORDING_CHUNK_MAX_BYTES: bytes("10MB"),
    /** Recording: largest recording; a chunk that would pass it is refused with 413. */
    RECORDING_MAX_BYTES: bytes("2GB"),
    /** SFU rooms: most participants sending media at once (webinar presenters, meeting members). */
    SFU_MAX_PUBLISHERS: z.coerce.number().int().min(1).max(100).default(16),
    /** SFU rooms: bitrate cap per publisher, bit/s (the top simulcast layer). */
    SFU_BITRATE: z.coerce.number().int().min(64_000).max(8_000_000).default(1_000_000),
  })
  .transform((raw) => ({
    ...raw,
    PUBLIC_URL: (raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/$/, ""),
    // Tests start the worker themselves (or call drain()); everything else runs it in the server process.
    JOBS_WORKER: (raw.JOBS_WORKER ?? (raw.NODE_ENV === "test" ? "off" : "on")) as "on" | "off",
    // Tests start a managed Janus only where they ask for one (JANUS=on): one per test server would be slow. Server
    // mode (REDIS_URL) shares external Janus servers (JANUS_URL): a Janus on each instance's loopback would split
    // a session's participants over several Janus, so there JANUS=on is for a single instance that says so.
    JANUS: (raw.JANUS ?? (raw.NODE_ENV === "test" || raw.REDIS_URL ? "off" : "on")) as "on" | "off",
    GRAPHQL_INTROSPECTION:
      raw.GRAPHQL_INTROSPECTION === undefined
        ? raw.NODE_ENV !== "production"
        : ["true", "1", "on"].includes(raw.GRAPHQL_INTROSPECTION),
  }))
  .refine((env) => !(env.DEV_MAILBOX && env.NODE_ENV === "production"), {
    path: ["DEV_MAILBOX"],
    message: "the development mailbox cannot be served in production (NODE_ENV=production)",
  })
  .refine((env) => env.JANUS_URL.every((url) => /^https?:\/\/[^/\s]+(\/\S*)?$/.test(url)), {
    path: ["JANUS_URL"],
    message: "expected http(s)://host:port/janus URLs, comma-separated",
  })
  .refine((env) => Boolean(env.VAPID_PUBLIC_KEY) === Boolean(env.VAPID_PRIVATE_KEY), {
    path: ["VAPID_PRIVATE_KEY"],
    message: "set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY together (or neither, to generate them)",
  });

export type Env = z.infer<typeof envSchema>;

/** Read at import time by modules that run before configuration is loaded (the schema builder). */
export const isProduction = process.env.NODE_ENV === "production";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses a set of variables (process.env by default); throws ConfigError naming each bad variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
