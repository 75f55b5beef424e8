import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, TestClock } from "../../test/harness.ts";
import type { Database } from "../db/database.ts";
import { applyMigrations } from "../db/migrate.ts";
import { CursorExpiredError, InvalidCursorError } from "../errors.ts";
import { EventLog, encodeCursor } from "./event-log.ts";

let database: Database;
let drop: () => Promise<void>;
const clock = new TestClock();
let log: EventLog;
beforeAll(async () => {
  ({ database, drop } = await createTestDatabase());
  await database.withSession((session) => applyMigrations(session));
  log = new EventLog(database.prisma, clock, { retentionMs: 60_000, maxPerStream: 1000 });
}, 180_000);
afterAll(async () => {
  await database?.close();
  await drop?.();
});

describe("the stream log", () => {
  it("numbers concurrent appends 1, 2, 3… and a reader never sees an event before all earlier ones", async () => {
    let appending = true;
    const snapshots: number[][] = [];
    const reader = (async () => {
      while (appending) {
        snapshots.push((await log.read<object>("race", 0, { key: null, limit: 1000 })).map((event) => event.seq ?? 0));
      }
    })();
    // Through the connection pool on PostgreSQL: the appends really overlap.
    const positions = await Promise.all(
      Array.from({ length: 40 }, (_, i) => log.append("race", i % 2 === 0 ? "even" : "odd", { i })),
    );
    appending = false;
    await reader;
    expect(positions.map((position) => position.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    for (const seen of [
      ...snapshots,
      (await log.read<object>("race", 0, { key: null, limit: 1000 })).map((e) => e.seq),
    ]) {
      expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    }
    // Each event names the previous event of its key.
    const even = await log.read<{ i: number }>("race", 0, { key: "even", limit: 1000 });
    expect(even).toHaveLength(20);
    for (const [index, event] of even.entries()) {
      const position = positions.find((p) => p.seq === event.seq);
      expect(position?.prev).toBe(index === 0 ? 0 : even[index - 1]?.seq);
    }
  });

  it("commits the appends that queued together in one batch, in call order; a bad event fails alone", async () => {
    const transactions = vi.spyOn(database.prisma, "$transaction");
    try {
      // The first append runs alone; the ones called meanwhile wait and go together into the next transaction.
      const appends = Array.from({ length: 30 }, (_, i) => log.append("batched", i % 3 === 0 ? "k" : null, { i }));
      const positions = await Promise.all(appends);
      expect(positions.map((position) => position.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(transactions.mock.calls.length).toBeLessThanOrEqual(3);
      const keyed = positions.filter((_, i) => i % 3 === 0);
      expect(keyed.map((position) => position.prev)).toEqual([0, ...keyed.slice(0, -1).map((p) => p.seq)]);
    } finally {
      transactions.mockRestore();
    }
    // PostgreSQL's jsonb refuses \u0000: that batch is retried event by event, and only the bad one fails.
    const mixed = await Promise.allSettled([
      log.append("mixed", null, { n: 1 }),
      log.append("mixed", null, { n: 2 }),
      log.append("mixed", null, { bad: "\u0000" }),
      log.append("mixed", null, { n: 3 }),
    ]);
    expect(mixed.map((outcome) => outcome.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const stored = await log.read<{ n: number }>("mixed", 0, { key: null, limit: 10 });
    expect(stored.map((event) => [event.seq, event.n])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it("trims past retention and then refuses cursors before what it keeps", async () => {
    await log.append("trimmed", null, { n: 1 });
    await log.append("trimmed", null, { n: 2 });
    clock.advance(61_000);
    await log.append("trimmed", null, { n: 3 });
    expect(await log.trim()).toBeGreaterThanOrEqual(2);
    expect((await log.head("trimmed")).trimmedThrough).toBe(2);
    await expect(log.startAfter("trimmed", encodeCursor("trimmed", 1))).rejects.toBeInstanceOf(CursorExpiredError);
    expect(await log.startAfter("trimmed", encodeCursor("trimmed", 2))).toBe(2);
    expect(await log.startAfter("trimmed", null)).toBe(3);
    await expect(log.startAfter("trimmed", encodeCursor("trimmed", 4))).rejects.toBeInstanceOf(CursorExpiredError);
    await expect(log.startAfter("trimmed", encodeCursor("race", 1))).rejects.toBeInstanceOf(InvalidCursorError);
    expect((await log.read<{ n: number }>("trimmed", 2, { key: null, limit: 10 })).map((e) => e.n)).toEqual([3]);
  });
});
