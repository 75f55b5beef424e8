import { describe, expect, it } from "vitest";
import { KeyedBatches, KeyedQueue } from "./keyed-queue.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("KeyedQueue", () => {
  it("runs one key's tasks one after the other, other keys beside them, and forgets idle keys", async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      queue.run("a", task("a1")),
      queue.run("a", task("a2")),
      queue.run("b", task("b1")),
    ]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(log.indexOf("a2 start")).toBeGreaterThan(log.indexOf("a1 end"));
    expect(log.indexOf("b1 start")).toBeLessThan(log.indexOf("a1 end"));
    await tick();
    expect(queue.size).toBe(0);
  });

  it("passes a failure to its caller only: the next task of the key still runs", async () => {
    const queue = new KeyedQueue();
    const failed = queue.run("a", async () => {
      throw new Error("boom");
    });
    const next = queue.run("a", async () => "ran");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ran");
  });
});

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
