/**
 * Runs the tasks given the same key one after the other in this process; tasks of other keys run freely. For work
 * that takes a row lock anyway (a session's joins, a stream's appends): callers wait here in memory rather than
 * inside a transaction, where each would hold a pooled database connection while blocked on the lock. At a
 * webinar's start (25 joins at once, bench:webinar) the pool of 20 ran dry: transactions could not start (Prisma
 * P2028) or expired while waiting. The row locks stay, for the other instances of server mode.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (tests). */
  get size(): number {
    return this.tails.size;
  }
}

/** One item's outcome in a batch: its own result or its own error. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Group commit: like KeyedQueue, one key's work runs one batch after the other, but the items that arrived while a
 * batch ran go together into the next one (a call with nothing running starts at once, alone). `flush` answers one
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
