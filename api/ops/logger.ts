import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { type DestinationStream, pino } from "pino";
import type { Env } from "../env.ts";

/** The request being answered, for every log line written on its behalf (resolvers, services, yoga's errors). */
const requestScope = new AsyncLocalStorage<string>();

/** Runs `work` as part of request `requestId`: whatever it logs, directly or through promises it starts, says so. */
export function withRequestId<T>(requestId: string, work: () => T): T {
  return requestScope.run(requestId, work);
}

/** The id of the request the caller works for, if any. */
export const currentRequestId = (): string | undefined => requestScope.getStore();

/**
 * Structured JSON logs (one object per line), the format log collectors read: on stdout unless told otherwise.
 * A line written while a request is answered carries its `requestId` (the `x-request-id` of the response).
 */
export function createLogger(level: Env["LOG_LEVEL"], destination?: DestinationStream) {
  return pino(
    {
      level,
      base: { service: "live-support" },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => {
        const requestId = requestScope.getStore();
        return requestId ? { requestId } : {};
      },
    },
    destination,
  );
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
