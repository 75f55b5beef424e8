import type { Client, Sink } from "graphql-ws";

/** Errors a subscription answers when its `after` cursor cannot be resumed from (api/ops/event-log.ts). */
const CURSOR_REFUSED = new Set(["CURSOR_EXPIRED", "INVALID_CURSOR"]);

/**
 * A subscription that resumes where it stopped. Subscriptions declaring `$after` (ticket and session streams)
 * remember the `cursor` of the last event received; graphql-ws sends the same payload again when it reconnects
 * (a phone that lost its socket, a server restart), now carrying `after`, so the server first replays what was
 * missed. A cursor the server no longer keeps starts the subscription afresh.
 */
export function resumableSubscription<Result>(
  wsClient: Client,
  request: { query?: string; variables?: Record<string, unknown> },
  sink: Sink<Result>,
): () => void {
  const query = request.query ?? "";
  const resumable = /\$after\b/.test(query);
  const payload = { ...request, query, variables: { ...(request.variables ?? {}) } };
  let stop = () => {};
  let stopped = false;
  const start = () => {
    stop = wsClient.subscribe(payload, {
      next(result) {
        const root = Object.values(result.data ?? {})[0] as { cursor?: unknown } | null | undefined;
        if (resumable && typeof root?.cursor === "string") payload.variables.after = root.cursor;
        sink.next(result as Result);
      },
      error(error) {
        const errors = Array.isArray(error) ? (error as { extensions?: { code?: unknown } }[]) : [];
        const refused = errors.some((e) => CURSOR_REFUSED.has(String(e.extensions?.code)));
        if (refused && payload.variables.after !== undefined && !stopped) {
          delete payload.variables.after;
          start();
          return;
        }
        sink.error(error);
      },
      complete: () => sink.complete(),
    });
  };
  start();
  return () => {
    stopped = true;
    stop();
  };
}
