/**
 * One realtime event reaches every subscriber as the same payload object (in-process and Redis targets alike).
 * Subscribers that select the same fields would otherwise each run the same query: 2,000 subscribers on a ticket
 * meant 2,000 identical loads per message, starving the connection pool. This shares one load per event and
 * selection (the Prisma query object, which already carries viewer-dependent filters), and forgets it with the event.
 */
const loads = new WeakMap<object, Map<string, Promise<unknown>>>();

export function loadOncePerEvent<T>(event: object, key: unknown, load: () => Promise<T>): Promise<T> {
  let byKey = loads.get(event);
  if (!byKey) {
    byKey = new Map();
    loads.set(event, byKey);
  }
  const id = JSON.stringify(key);
  let pending = byKey.get(id) as Promise<T> | undefined;
  if (!pending) {
    pending = load();
    byKey.set(id, pending);
    // A failed load is not shared: the next subscriber tries again.
    pending.catch(() => byKey?.delete(id));
  }
  return pending;
}
