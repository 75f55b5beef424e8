import { describe, expect, it } from "vitest";
import { batchOrEach, KeyedBatches } from "./keyed-queue.ts";

describe("KeyedBatches", () => {
  it("batches what queued while a key's batch ran, keeps order, answers each item its own outcome", async () => {
    const seen: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batches = new KeyedBatches<string, string>(async (key, items) => {
      seen.push([key, ...items]);
      if (seen.length === 1) await held;
      return items.map((item) =>
        item.startsWith("bad") ? { ok: false, error: new Error(item) } : { ok: true, value: item.toUpperCase() },
      );
    });
    const first = batches.run("a", "a1");
    const rest = ["a2", "bad3", "a4"].map((item) => batches.run("a", item));
    const other = batches.run("b", "b1");
    expect(batches.queued("a")).toBe(3);
    await expect(other).resolves.toBe("B1");
    release();
    await expect(first).resolves.toBe("A1");
    const settled = await Promise.allSettled(rest);
    expect(settled.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : String(outcome.reason)))).toEqual(
      ["A2", "Error: bad3", "A4"],
    );
    expect(seen).toEqual([
      ["a", "a1"],
      ["b", "b1"],
      ["a", "a2", "bad3", "a4"],
    ]);
    expect(batches.size).toBe(0);
  });

  it("gives every item of a batch the error when the batch throws, and goes on with the next", async () => {
    let calls = 0;
    const batches = new KeyedBatches<number, number>(async (_key, items) => {
      calls++;
      if (calls === 2) throw new Error("down");
      return items.map((value) => ({ ok: true, value }));
    });
    const first = batches.run("k", 1);
    const failing = [batches.run("k", 2), batches.run("k", 3)];
    await expect(first).resolves.toBe(1);
    for (const outcome of failing) await expect(outcome).rejects.toThrow("down");
    await expect(batches.run("k", 4)).resolves.toBe(4);
  });
});

describe("batchOrEach", () => {
  it("runs the batch once; when it fails as a whole, each item alone, so only the bad one fails", async () => {
    const calls: number[][] = [];
    const run = async (items: number[]) => {
      calls.push(items);
      if (items.includes(2)) throw new Error(`bad ${items.join(",")}`);
      return items.map((value) => ({ ok: true as const, value: value * 10 }));
    };
    expect(await batchOrEach([1, 3], run)).toEqual([
      { ok: true, value: 10 },
      { ok: true, value: 30 },
    ]);
    const outcomes = await batchOrEach([1, 2, 3], run);
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.value : String(outcome.error)))).toEqual([
      10,
      "Error: bad 2",
      30,
    ]);
    expect(calls).toEqual([[1, 3], [1, 2, 3], [1], [2], [3]]);
  });
});
