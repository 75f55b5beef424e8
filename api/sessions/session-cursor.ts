import type { Context } from "../context.ts";
import { encodeCursor, sessionStream } from "../ops/event-log.ts";

/**
 * `LiveSession.eventCursor`: where the session's event stream stood when a request read the session, so a page can
 * start its subscriptions `after` it and miss nothing that changed between its first load and the subscriptions
 * going live (a participant admitted, recording switched on while the host's page loads).
 *
 * The stream's head has to be read before the rows it vouches for (a later read could skip a change that committed
 * in between), so the fields that load a session for a page note it first (noteSessionHead) and the cursor field
 * answers what was noted; reached any other way, it reads the head when asked.
 */
const heads = new WeakMap<Context, Map<string, Promise<number | null>>>();

function readHead(context: Context, sessionId: string): Promise<number | null> {
  const log = context.pubsub.log;
  if (!log) return Promise.resolve(null);
  // Without a cursor the page subscribes as before (live from when its subscription starts): no reason to fail it.
  return log.head(sessionStream(sessionId)).then(
    (head) => head.seq,
    () => null,
  );
}

/** Reads the session's stream head for this request, once; call before loading the session's rows. */
export async function noteSessionHead(context: Context, sessionId: string): Promise<void> {
  let noted = heads.get(context);
  if (!noted) {
    noted = new Map();
    heads.set(context, noted);
  }
  if (!noted.has(sessionId)) noted.set(sessionId, readHead(context, sessionId));
  await noted.get(sessionId);
}

/** The cursor to subscribe after: the head noted for this request, else the head now (null without a log). */
export async function sessionEventCursor(context: Context, sessionId: string): Promise<string | null> {
  const seq = await (heads.get(context)?.get(sessionId) ?? readHead(context, sessionId));
  return seq === null ? null : encodeCursor(sessionStream(sessionId), seq);
}
