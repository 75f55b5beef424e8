import { forgetScopeResults } from "../auth/scopes.ts";
import { builder, hasScopes } from "../builder.ts";
import type { Context } from "../context.ts";
import { AFTER_ARG_DESCRIPTION, encodeCursor, sessionStream } from "../ops/event-log.ts";
import { resumableEvents } from "../ops/resumable.ts";
import { derived } from "../ops/shared-subscriptions.ts";
import { type LiveSessionEventPayload, liveSessionEventKinds, sessionStateKinds } from "./sessions.events.ts";
import { ofTheSession } from "./sessions.scopes.ts";

const LiveSessionEventKindEnum = builder.enumType("LiveSessionEventKind", { values: liveSessionEventKinds });

/**
 * The session's events for this caller, ending after the event that closes their access: the session ended or
 * was cancelled, or (for a participant) they were removed or denied. Built on `derived` rather than an async
 * generator, so stopping the subscription detaches its pub/sub listener at once instead of after the next event.
 */
export async function sessionEvents(
  context: Context,
  sessionId: string,
  wanted: (event: LiveSessionEventPayload, caller: SessionCaller) => boolean,
  /** From the session's stream log after this cursor, then live; `false`: live only (gestures are not logged). */
  after: string | null | undefined | false,
): Promise<AsyncIterableIterator<LiveSessionEventPayload>> {
  // The field's scopes let the caller through; this is only which of them they are.
  const caller: SessionCaller = {
    manager: await hasScopes(context, { sessionManager: sessionId }),
    participantId: context.participant?.sessionId === sessionId ? context.participant.participantId : null,
  };
  const closesAccess = (event: LiveSessionEventPayload) =>
    event.kind === "ENDED" ||
    event.kind === "CANCELLED" ||
    (!caller.manager &&
      caller.participantId !== null &&
      event.participantId === caller.participantId &&
      (event.kind === "PARTICIPANT_REMOVED" || event.kind === "PARTICIPANT_DENIED"));
  const live = context.pubsub.subscribe("liveSession", sessionId);
  const source =
    after === false
      ? live
      : await resumableEvents<LiveSessionEventPayload>({
          log: context.pubsub.log,
          stream: sessionStream(sessionId),
          key: null,
          cursor: after,
          live,
        });
  return derived(source, async (events) => {
    for (;;) {
      const step = await events.next();
      if (step.done) return step;
      // The last event of this caller's access: detach now, and the next read answers done.
      if (closesAccess(step.value)) await events.return?.();
      if (wanted(step.value, caller)) {
        // Fields of this event are authorized on fresh state (a waiting participant may have been admitted since).
        forgetScopeResults(context);
        return step;
      }
    }
  });
}

/** The `cursor` field of logged session events: pass it as `after` to resume after the event. */
export const sessionCursorField = (event: LiveSessionEventPayload) =>
  encodeCursor(sessionStream(event.sessionId), event.seq ?? 0);

export const CURSOR_DESCRIPTION = "Where this event sits in the session's stream: pass it as `after` to resume.";
export { AFTER_ARG_DESCRIPTION };

/** Who the subscriber is to the session: its host or an admin, and/or one of its participants (by token). */
interface SessionCaller {
  manager: boolean;
  participantId: string | null;
}

const SessionStateEvent = builder.objectRef<LiveSessionEventPayload>("SessionStateEvent").implement({
  description:
    "The session changed (started, ended, cancelled, locked, recording, details). Load it through `session`.",
  fields: (t) => ({
    kind: t.field({ type: LiveSessionEventKindEnum, resolve: (event) => event.kind }),
    cursor: t.string({ description: CURSOR_DESCRIPTION, resolve: sessionCursorField }),
    sessionId: t.id({ resolve: (event) => event.sessionId }),
    session: t.prismaField({
      type: "LiveSession",
      resolve: (query, event, _args, context) =>
        context.prisma.liveSession.findUniqueOrThrow({ ...query, where: { id: event.sessionId } }),
    }),
  }),
});

const SessionParticipantEvent = builder.objectRef<LiveSessionEventPayload>("SessionParticipantEvent").implement({
  description: "Someone joined, waits, was admitted, denied, left, removed or changed (role, consent).",
  fields: (t) => ({
    kind: t.field({ type: LiveSessionEventKindEnum, resolve: (event) => event.kind }),
    cursor: t.string({ description: CURSOR_DESCRIPTION, resolve: sessionCursorField }),
    participantId: t.id({ resolve: (event) => event.participantId ?? "" }),
    participant: t.prismaField({
      type: "SessionParticipant",
      resolve: (query, event, _args, context) =>
        context.prisma.sessionParticipant.findUniqueOrThrow({ ...query, where: { id: event.participantId ?? "" } }),
    }),
  }),
});

const waitingRoomKinds = new Set([
  "PARTICIPANT_WAITING",
  "PARTICIPANT_ADMITTED",
  "PARTICIPANT_DENIED",
  "PARTICIPANT_LEFT",
]);

const WaitingRoomUpdate = builder.objectRef<LiveSessionEventPayload>("WaitingRoomUpdate").implement({
  description: "The waiting-room queue after a change, in arrival order.",
  fields: (t) => ({
    kind: t.field({ type: LiveSessionEventKindEnum, resolve: (event) => event.kind }),
    cursor: t.string({ description: CURSOR_DESCRIPTION, resolve: sessionCursorField }),
    waiting: t.prismaField({
      type: ["SessionParticipant"],
      resolve: (query, event, _args, context) =>
        context.prisma.sessionParticipant.findMany({
          ...query,
          where: { sessionId: event.sessionId, status: "WAITING" },
          orderBy: [{ firstJoinedAt: "asc" }, { id: "asc" }],
        }),
    }),
  }),
});

const participantKinds = new Set<string>(liveSessionEventKinds.filter((kind) => kind.startsWith("PARTICIPANT_")));

builder.subscriptionFields((t) => ({
  sessionState: t.field({
    type: SessionStateEvent,
    description: "State changes of a session. Host, admins, or a participant token of this session (waiting included).",
    authScopes: (_root, args) => ofTheSession(String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }), after: t.arg.string({ description: AFTER_ARG_DESCRIPTION }) },
    subscribe: (_root, args, context) =>
      sessionEvents(context, String(args.sessionId), (event) => sessionStateKinds.has(event.kind), args.after),
    resolve: (event) => event,
  }),
  sessionParticipantEvents: t.field({
    type: SessionParticipantEvent,
    description:
      "Participant events. The host and admins see all; a participant sees admissions, departures and changes, and " +
      "waiting/denial events only about themself.",
    authScopes: (_root, args) => ofTheSession(String(args.sessionId)),
    args: { sessionId: t.arg.id({ required: true }), after: t.arg.string({ description: AFTER_ARG_DESCRIPTION }) },
    subscribe: (_root, args, context) =>
      sessionEvents(
        context,
        String(args.sessionId),
        (event, caller) => {
          if (!participantKinds.has(event.kind)) return false;
          if (caller.manager) return true;
          const aboutWaiting = event.kind === "PARTICIPANT_WAITING" || event.kind === "PARTICIPANT_DENIED";
          return !aboutWaiting || event.participantId === caller.participantId;
        },
        args.after,
      ),
    resolve: (event) => event,
  }),
  sessionWaitingRoom: t.field({
    type: WaitingRoomUpdate,
    description: "The waiting-room queue, sent again after each change. Host and admins.",
    authScopes: (_root, args) => ({ sessionManager: String(args.sessionId) }),
    args: { sessionId: t.arg.id({ required: true }), after: t.arg.string({ description: AFTER_ARG_DESCRIPTION }) },
    subscribe: (_root, args, context) =>
      sessionEvents(context, String(args.sessionId), (event) => waitingRoomKinds.has(event.kind), args.after),
    resolve: (event) => event,
  }),
}));
