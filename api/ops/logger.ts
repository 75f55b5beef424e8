import { randomUUID } from "node:crypto";
import { type DestinationStream, pino } from "pino";
import type { Env } from "../env.ts";

/** Structured JSON logs (one object per line), the format log collectors read: on stdout unless told otherwise. */
export function createLogger(level: Env["LOG_LEVEL"], destination?: DestinationStream) {
  return pino({ level, base: { service: "live-support" }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/**
 * For a start that failed before the app had its logger: on stderr, written before the process exits, at the
 * default level since the configuration (LOG_LEVEL included) may be what failed.
 */
export function createStartupLogger() {
  return createLogger("info", pino.destination({ dest: 2, sync: true }));
}

export type Logger = ReturnType<typeof createLogger>;

/** The caller's request id when it looks sane (a proxy's x-request-id), otherwise a fresh one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}
