import { createEffect, createSignal } from "solid-js";
import { isOnline } from "../lib/online.ts";

/**
 * `variables` for a page's subscriptions that keep live what its query loaded (a session, a ticket): live at once,
 * then started again after the `eventCursor` of the query's first answer (api/ops/stream-cursor.ts), which sends
 * first what changed between that read and the subscription going live. Without it a participant admitted or a
 * reply posted while the page loads would not show until a reload. (Held back until the first answer instead, the
 * subscription kept an offline reload of a ticket on "Loading" when the persisted cache was read late.)
 *
 * The first answer may come from the persisted cache (cache-and-network), with the cursor of an earlier read: the
 * subscription then first gets what happened since that read (beyond the log's retention, CURSOR_EXPIRED, and
 * app/graphql/resumable.ts starts it live). The pages that use this apply events idempotently: a message already in
 * the thread is not added twice (app/graphql/cache.ts), a session state event reads the session again. A list
 * whose events count as "updates" (the inbox) must not use it. The cursor then stays put when the query is read
 * again, and after a dropped socket the subscriptions resume from their last event.
 */
export function afterFirstRead<V>(
  /** The object carrying `eventCursor` in the query's answer: undefined until it answers, null when it has none. */
  answer: () => { eventCursor?: string | null } | null | undefined,
  variables: (after: string | undefined) => V,
): { variables: () => V } {
  const [after, setAfter] = createSignal<string>();
  let answered = false;
  createEffect(() => {
    // Offline there is no socket to resume: the page runs on the persisted cache, and touching its subscriptions
    // then kept an offline reload of a ticket on "Loading" in Chromium. Back online, the next answer gives the cursor.
    if (answered || !isOnline()) return;
    const read = answer();
    if (read === undefined) return;
    answered = true;
    const cursor = read?.eventCursor;
    if (cursor) setAfter(cursor);
  });
  return { variables: () => variables(after()) };
}
