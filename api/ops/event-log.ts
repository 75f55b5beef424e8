import type { Clock } from "../clock.ts";
import { CursorExpiredError, InvalidCursorError } from "../errors.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { batchOrEach, KeyedBatches, type Settled } from "./keyed-queue.ts";

/**
 * The durable realtime log (docs/scale.md, "Resuming subscriptions"). Every ticket and session event is appended
 * here before it is published, and carries its place in its stream (`seq`) to subscribers; a subscription started
 * with `after: <cursor>` replays what came after that event from here, then continues live.
 *
 * Order without gaps: a stream's numbers come from its StreamHead row, incremented in the same transaction that
 * inserts the event. The row lock held until commit makes appends to one stream commit one after the other, in
 * the order of their numbers, so a reader that sees event n has every event before n too (an autoincrement id
 * would not: a smaller id can commit after a larger one has been read). A failed insert rolls the number back.
 */

/** Where an event sits in its stream; subscribers compare it with what they delivered last. */
export interface StreamPosition {
  seq: number;
  /** The previous event with the same key (the same ticket in `tickets`); 0 when none is kept. */
  prev: number;
}

/** A payload as subscribers receive it: positioned, unless the log could not be written (database unreachable). */
export type Positioned<P> = P & Partial<StreamPosition>;

export interface StreamHeadState {
  /** The last number given out (0: nothing yet). */
  seq: number;
  /** Events up to this number were trimmed by retention. */
  trimmedThrough: number;
}

/** Every ticket event, keyed by ticket: ticketFeed reads it whole, ticketEvents one key. */
export const TICKETS_STREAM = "tickets";
export const sessionStream = (sessionId: string) => `session:${sessionId}`;

/** The `after` argument of resumable subscriptions. */
export const AFTER_ARG_DESCRIPTION =
  "Resume after this event: the `cursor` of the last event received. What happened since is sent first " +
  "(CURSOR_EXPIRED if it is older than the log keeps: reload, then subscribe without `after`).";

/** Cursors are opaque to clients: the stream and the event's number, base64url-encoded. */
export function encodeCursor(stream: string, seq: number): string {
  return Buffer.from(`${stream}#${seq}`).toString("base64url");
}

/** The event number a cursor names, if it is a cursor of `stream`. */
export function decodeCursor(cursor: string, stream: string): number {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const hash = text.lastIndexOf("#");
  const seq = Number(text.slice(hash + 1));
  if (hash < 0 || text.slice(0, hash) !== stream || !Number.isSafeInteger(seq) || seq < 0) {
    throw new InvalidCursorError();
  }
  return seq;
}

export interface EventLogOptions {
  /** Events older than this are trimmed. */
  retentionMs: number;
  /** At most this many events are kept per stream. */
  maxPerStream: number;
}

export class EventLog {
  /** Live resumable subscriptions of this instance, told to catch up from the log (after a Redis outage). */
  private readonly watchers = new Set<() => void>();
  private readonly reads = new Map<string, Promise<Positioned<object>[]>>();
  /**
   * Appends to one stream wait for each other here, not on the stream head's row lock (api/ops/keyed-queue.ts), and
   * those that waited commit together: one transaction numbers and inserts them all (a webinar's 300 joins and
   * admissions publish 600 events into one session's stream within seconds).
   */
  private readonly appends = new KeyedBatches<{ key: string | null; payload: object }, StreamPosition>(
    (stream, items) => this.appendBatch(stream, items),
  );

  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly options: EventLogOptions,
  ) {}

  /** Appends an event to `stream` and answers its position. */
  async append(stream: string, key: string | null, payload: object): Promise<StreamPosition> {
    return this.appends.run(stream, { key, payload });
  }

  private appendBatch(
    stream: string,
    items: { key: string | null; payload: object }[],
  ): Promise<Settled<StreamPosition>[]> {
    return batchOrEach(items, async (some) =>
      (await this.appendNow(stream, some)).map((value) => ({ ok: true as const, value })),
    );
  }

  private appendNow(stream: string, items: { key: string | null; payload: object }[]): Promise<StreamPosition[]> {
    const createdAt = this.clock.now();
    const count = items.length;
    return this.prisma.$transaction(async (tx) => {
      // Takes the stream's next numbers and holds its row lock until commit: appends to a stream commit in order.
      const [head] = await tx.$queryRaw<{ seq: number }[]>`
        INSERT INTO "StreamHead" ("stream", "seq") VALUES (${stream}, ${count})
        ON CONFLICT ("stream") DO UPDATE SET "seq" = "StreamHead"."seq" + ${count}
        RETURNING "seq"`;
      const first = Number(head?.seq) - count + 1;
      // Read after the lock was taken: every earlier event of the stream has committed.
      const keys = [...new Set(items.flatMap((item) => (item.key === null ? [] : [item.key])))];
      const lastOfKey = new Map<string, number>();
      if (keys.length > 0) {
        const last = await tx.streamEvent.groupBy({
          by: ["key"],
          _max: { seq: true },
          where: { stream, key: { in: keys } },
        });
        for (const row of last) if (row.key !== null) lastOfKey.set(row.key, row._max.seq ?? 0);
      }
      const positions = items.map((item, i) => {
        const seq = first + i;
        if (item.key === null) return { seq, prev: seq - 1 };
        const prev = lastOfKey.get(item.key) ?? 0;
        lastOfKey.set(item.key, seq);
        return { seq, prev };
      });
      await tx.streamEvent.createMany({
        data: items.map((item, i) => ({
          stream,
          seq: first + i,
          key: item.key,
          payload: item.payload as Prisma.InputJsonValue,
          createdAt,
        })),
      });
      return positions;
    });
  }

  async head(stream: string): Promise<StreamHeadState> {
    const head = await this.prisma.streamHead.findUnique({ where: { stream } });
    return { seq: head?.seq ?? 0, trimmedThrough: head?.trimmedThrough ?? 0 };
  }

  /**
   * Where a subscription starts: after the cursor's event (checked against what the log keeps), or after the
   * stream's last event when the client sent no cursor.
   */
  async startAfter(stream: string, cursor: string | null | undefined): Promise<number> {
    const after = cursor ? decodeCursor(cursor, stream) : null;
    const head = await this.head(stream);
    if (after === null) return head.seq;
    if (after < head.trimmedThrough || after > head.seq) throw new CursorExpiredError();
    return after;
  }

  /**
   * Events of `stream` after `after` (and before `before`), oldest first. Identical reads in flight share one query:
   * after a Redis outage every subscription of a stream catches up from the same place at once.
   */
  read<P>(
    stream: string,
    after: number,
    options: { key: string | null; before?: number; limit: number },
  ): Promise<Positioned<P>[]> {
    const id = JSON.stringify([stream, after, options.key, options.before ?? null, options.limit]);
    let pending = this.reads.get(id);
    if (!pending) {
      pending = this.query(stream, after, options);
      this.reads.set(id, pending);
      const forget = () => this.reads.delete(id);
      pending.then(forget, forget);
    }
    return pending as Promise<Positioned<P>[]>;
  }

  private async query(
    stream: string,
    after: number,
    options: { key: string | null; before?: number; limit: number },
  ): Promise<Positioned<object>[]> {
    const rows = await this.prisma.streamEvent.findMany({
      where: {
        stream,
        seq: { gt: after, ...(options.before === undefined ? {} : { lt: options.before }) },
        ...(options.key === null ? {} : { key: options.key }),
      },
      orderBy: { seq: "asc" },
      take: options.limit,
    });
    let prev = after;
    return rows.map((row) => {
      const event: Positioned<object> = { ...(row.payload as object), seq: row.seq, prev };
      prev = row.seq;
      return event;
    });
  }

  /**
   * Deletes events past retention (older than retentionMs, or beyond the newest maxPerStream of their stream) and
   * records per stream the last number trimmed, so older cursors answer CURSOR_EXPIRED. Answers how many went.
   */
  async trim(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.options.retentionMs);
    const trimmed = await this.prisma.$queryRaw<{ stream: string; through: number; count: number }[]>`
      WITH doomed AS (
        DELETE FROM "StreamEvent" AS e USING "StreamHead" AS h
        WHERE e."stream" = h."stream" AND (e."createdAt" < ${cutoff} OR e."seq" <= h."seq" - ${this.options.maxPerStream})
        RETURNING e."stream", e."seq"
      ), per_stream AS (
        SELECT "stream", max("seq") AS through, count(*)::int AS count FROM doomed GROUP BY "stream"
      )
      UPDATE "StreamHead" AS h SET "trimmedThrough" = GREATEST(h."trimmedThrough", p.through)
      FROM per_stream AS p WHERE h."stream" = p."stream"
      RETURNING h."stream", p.through, p.count`;
    return trimmed.reduce((sum, row) => sum + Number(row.count), 0);
  }

  /** Registers a subscription's catch-up; the returned function unregisters it. */
  watch(catchUp: () => void): () => void {
    this.watchers.add(catchUp);
    return () => void this.watchers.delete(catchUp);
  }

  /** Every live subscription of this instance reads what it missed from the log (events Redis did not carry). */
  catchUpAll(): number {
    for (const catchUp of this.watchers) catchUp();
    return this.watchers.size;
  }
}
