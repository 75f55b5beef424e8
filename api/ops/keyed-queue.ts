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
