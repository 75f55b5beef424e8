import type { Context } from "../context.ts";
import { encodeCursor } from "./event-log.ts";

/**
 * `eventCursor` fields (LiveSession, Ticket): where an event stream stood when a request read the object, so a page
 * can start its subscriptions `after` it and miss nothing that changed between its first load and the subscriptions
 * going live (a participant admitted, a reply posted while the page loads).
 *
 * The stream's head has to be read before the rows it vouches for (a later read could skip a change that committed
 * in between), so the root fields that load such an object for a page note the head first (noteStreamHead) and the
 * cursor field answers what was noted; reached any other way, it reads the head when asked.
 */
const heads = new WeakMap<Context, Map<string, Promise<number | null>>>();

function readHead(context: Context, stream: string): Promise<number | null> {
  const log = context.pubsub.log;
  if (!log) return Promise.resolve(null);
  // Without a cursor the page subscribes as before (live from when its subscription starts): no reason to fail it.
  return log.head(stream).then(
    (head) => head.seq,
    () => null,
  );
}

/** Reads the stream's head for this request, once; call before loading the rows a cursor will vouch for. */
export async function noteStreamHead(context: Context, stream: string): Promise<void> {
  let noted = heads.get(context);
  if (!noted) {
    noted = new Map();
    heads.set(context, noted);
  }
  if (!noted.has(stream)) noted.set(stream, readHead(context, stream));
  await noted.get(stream);
}

/** The cursor to subscribe after: the head noted for this request, else the head now (null without a log). */
export async function streamEventCursor(context: Context, stream: string): Promise<string | null> {
  const seq = await (heads.get(context)?.get(stream) ?? readHead(context, stream));
  return seq === null ? null : encodeCursor(stream, seq);
}
