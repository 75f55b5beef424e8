import { randomUUID } from "node:crypto";
import { pino } from "pino";
import type { Env } from "../env.ts";

/** Structured JSON logs on stdout (one object per line), the format log collectors read. */
export function createLogger(level: Env["LOG_LEVEL"]) {
  return pino({ level, base: { service: "live-support" }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type Logger = ReturnType<typeof createLogger>;

/** The caller's request id when it looks sane (a proxy's x-request-id), otherwise a fresh one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : randomUUID();
}
