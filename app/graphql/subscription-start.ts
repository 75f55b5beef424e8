import { createEffect, createSignal } from "solid-js";

/**
 * `pause` and `variables` for a page's subscriptions that start after the `eventCursor` of the first answer of the
 * query that loaded what they keep live (a session, a ticket; api/ops/stream-cursor.ts). Started at once instead, a
 * subscription would miss what changed between that read and its going live: a participant admitted or a reply
 * posted while the page loads would not show until a reload. The subscriptions wait for the first answer; the
 * cursor stays put when the query is read again, and after a dropped socket they resume from their last event
 * (app/graphql/resumable.ts).
 */
export function afterFirstRead<V>(
  /** Undefined until the query answers; null when it answered without the object. */
  firstAnswer: () => { eventCursor?: string | null } | null | undefined,
  variables: (after: string | undefined) => V,
): { pause: () => boolean; variables: () => V } {
  const [start, setStart] = createSignal<{ after: string | undefined }>();
  createEffect(() => {
    if (start()) return;
    const answer = firstAnswer();
    // null (answered without the object) or no cursor: live from now, as before.
    if (answer !== undefined) setStart({ after: answer?.eventCursor ?? undefined });
  });
  return { pause: () => !start(), variables: () => variables(start()?.after) };
}
