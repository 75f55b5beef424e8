/** One item's outcome in a batch: its own result or its own error. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Group commit: one key's work runs one batch after the other in this process, and the items that arrived while a
 * batch ran go together into the next one (a call with nothing running starts at once, alone). For work that takes a
 * row lock anyway (a session's joins, a stream's appends): callers wait here in memory rather than inside a
 * transaction, where each would hold a pooled database connection while blocked on the lock (at 25 joins at once the
 * pool of 20 ran dry: Prisma P2028). The row locks stay, for the other instances of server mode. `flush` answers one
 * outcome per item, in order; if it throws, every item of that batch gets the error. At a webinar's start (300
 * joins at once, bench:webinar) the joins of a session took a transaction each, one after the other: 300 serial
 * transactions became a handful.
 */
export class KeyedBatches<Item, Result> {
  private readonly queues = new Map<
    string,
    { item: Item; resolve: (value: Result) => void; reject: (error: unknown) => void }[]
  >();

  constructor(
    private readonly flush: (key: string, items: Item[]) => Promise<Settled<Result>[]>,
    /** Most items in one batch (the rest wait for the next). */
    private readonly maxBatch = 500,
  ) {}

  run(key: string, item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue) {
        queue.push({ item, resolve, reject });
        return;
      }
      this.queues.set(key, [{ item, resolve, reject }]);
      void this.drain(key);
    });
  }

  private async drain(key: string) {
    const queue = this.queues.get(key);
    if (!queue) return;
    while (queue.length > 0) {
      // Items that arrive from here on wait in `queue` for the next batch.
      const batch = queue.splice(0, this.maxBatch);
      let outcomes: Settled<Result>[];
      try {
        outcomes = await this.flush(
          key,
          batch.map((entry) => entry.item),
        );
      } catch (error) {
        outcomes = batch.map(() => ({ ok: false, error }));
      }
      batch.forEach((entry, i) => {
        const outcome = outcomes[i] ?? { ok: false, error: new Error("the batch answered no outcome for this item") };
        if (!outcome.ok) entry.reject(outcome.error);
        else entry.resolve(outcome.value);
      });
    }
    this.queues.delete(key);
  }

  /** Keys with work queued or running (tests). */
  get size(): number {
    return this.queues.size;
  }

  /** Items of `key` waiting for the next batch (tests). */
  queued(key: string): number {
    return this.queues.get(key)?.length ?? 0;
  }
}

/**
 * Runs a batch in one go (`run` answers one outcome per item, in order); if it throws as a whole, each item on its own,
 * so one bad item does not fail the others of its batch.
 */
export async function batchOrEach<Item, Result>(
  items: Item[],
  run: (items: Item[]) => Promise<Settled<Result>[]>,
): Promise<Settled<Result>[]> {
  try {
    return await run(items);
  } catch (error) {
    if (items.length === 1) return [{ ok: false, error }];
    const outcomes: Settled<Result>[] = [];
    for (const item of items)
      outcomes.push(
        await run([item]).then(
          ([outcome]) => outcome ?? { ok: false, error: new Error("the batch answered no outcome for this item") },
          (error: unknown) => ({ ok: false as const, error }),
        ),
      );
    return outcomes;
  }
}
