import type { EventLog, Positioned } from "./event-log.ts";

/** Events read from the log at a time while a subscription catches up. */
const PAGE = 200;

/**
 * A subscription's events from the stream log and live, exactly once and in stream order.
 *
 * `live` must already listen (subscribe before calling this): events published while the log is read wait in
 * its queue. The subscription starts after `cursor` (replaying from the log what came since) or, without one,
 * after the stream's current last event. Live events at or before the last one delivered are dropped (the seam
 * between replay and live, or an event delivered twice); a live event whose predecessor was not delivered (it
 * came through another instance and Redis delivered them out of order, or Redis lost it while down) makes the
 * subscription read the missing ones from the log first. `key` narrows the stream (one ticket in `tickets`).
 * After a Redis outage `EventLog.catchUpAll` makes every subscription read what it missed.
 *
 * Throws CursorExpiredError / InvalidCursorError (before any event) when the cursor cannot be resumed from.
 */
export async function resumableEvents<P extends object>(options: {
  /** Without a log (unit tests' pub/sub) the live events are answered as they come. */
  log: EventLog | null;
  stream: string;
  key: string | null;
  cursor: string | null | undefined;
  live: AsyncIterator<Positioned<P>>;
}): Promise<AsyncIterableIterator<Positioned<P>>> {
  const { stream, key, live } = options;
  const log = options.log;
  if (!log) return toIterable(live);
  const events = log;
  let last: number;
  try {
    last = await log.startAfter(stream, options.cursor);
  } catch (error) {
    await live.return?.();
    throw error;
  }
  const ready: Positioned<P>[] = [];
  let catchUp = Boolean(options.cursor);
  let ended = false;
  let wake: (() => void) | null = null;
  let pendingLive: Promise<IteratorResult<Positioned<P>>> | null = null;
  const unwatch = log.watch(() => {
    catchUp = true;
    wake?.();
  });

  /** Reads events after `last` (up to `before`) into `ready`; answers whether a full page came back. */
  async function readLog(before?: number): Promise<boolean> {
    const page = await events.read<P>(stream, last, { key, before, limit: PAGE });
    if (ended) return false;
    for (const event of page) {
      ready.push(event);
      last = event.seq ?? last;
    }
    return page.length === PAGE;
  }

  async function takeLive(event: Positioned<P>): Promise<void> {
    if (event.seq === undefined) {
      // Published while the log could not be written: delivered as is, its cursor the last one known.
      ready.push({ ...event, seq: last, prev: last });
      return;
    }
    if (event.seq <= last) return;
    const missing = key === null ? event.seq > last + 1 : (event.prev ?? 0) > last;
    if (missing) while (await readLog(event.seq));
    if (ended) return;
    ready.push(event);
    last = event.seq;
  }

  async function finish(): Promise<void> {
    if (ended) return;
    ended = true;
    ready.length = 0;
    unwatch();
    wake?.();
    await live.return?.();
  }

  const iterator: AsyncIterableIterator<Positioned<P>> = {
    async next(): Promise<IteratorResult<Positioned<P>>> {
      for (;;) {
        const event = ready.shift();
        if (event) return { done: false, value: event };
        if (ended) return { done: true, value: undefined };
        if (catchUp) {
          // Cleared before reading: a catch-up asked for while this page is read is not lost.
          catchUp = false;
          if (await readLog()) catchUp = true;
          continue;
        }
        pendingLive ??= live.next();
        const step = await Promise.race([
          pendingLive,
          new Promise<null>((resolve) => {
            wake = () => resolve(null);
          }),
        ]);
        wake = null;
        if (step === null) continue;
        pendingLive = null;
        if (step.done) await finish();
        else await takeLive(step.value);
      }
    },
    async return() {
      await finish();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function toIterable<T>(iterator: AsyncIterator<T>): AsyncIterableIterator<T> {
  if (Symbol.asyncIterator in iterator) return iterator as AsyncIterableIterator<T>;
  return Object.assign(iterator, { [Symbol.asyncIterator]: () => iterator }) as AsyncIterableIterator<T>;
}
