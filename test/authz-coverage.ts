import { Kind, parse } from "graphql";

/**
 * Root fields whose authorization is checked by a matrix outside test/authz.test.ts (callers test/authz.test.ts has
 * no role for, such as participant tokens). Each entry is asserted by its own file against the operations its matrix
 * really runs (`expectMatrixCovers`), and test/authz.test.ts takes the union with its own rows: a root field covered
 * nowhere fails the completeness check.
 */
export const authzCoverage = {
  /** HTTP matrix: 8 callers (anonymous, customer, other agent, participant, foreign/removed participant, host, admin). */
  "api/sessions/sessions.realtime.test.ts#http": [
    "liveSession",
    "liveSessions",
    "sessionAnalytics",
    "sessionAnalyticsSummary",
    "updateLiveSession",
    "setSessionLocked",
    "setSessionRecording",
    "rotateSessionLink",
    "startLiveSession",
    "cancelLiveSession",
    "admitParticipant",
    "denyParticipant",
    "setParticipantRole",
    "admitAllParticipants",
    "denyAllParticipants",
    "sendSessionChatMessage",
    "giveRecordingConsent",
    "myParticipant",
    "sessionByLink",
    "removeParticipant",
  ],
  /** graphql-ws and SSE matrix: 8 callers (admitted/waiting/foreign participants among them). */
  "api/sessions/sessions.realtime.test.ts#subscriptions": [
    "sessionState",
    "sessionParticipantEvents",
    "sessionWaitingRoom",
    "sessionChat",
  ],
  /** HTTP and graphql-ws matrix of hands, reactions and mute requests: the same 8 callers. */
  "api/sessions/sessions.gestures.test.ts#authz": [
    "setHandRaised",
    "sendSessionReaction",
    "lowerParticipantHand",
    "requestParticipantMic",
    "sessionGestures",
  ],
  /** HTTP and graphql-ws matrix of the SFU's brokered API: the same 8 callers. */
  "test/sfu.test.ts#authz": [
    "mediaPublish",
    "mediaSubscribe",
    "mediaSubscribeAnswer",
    "mediaConfigure",
    "mediaTrickle",
    "mediaLeave",
    "mediaPublishers",
    "mediaState",
    "mediaStates",
    "sessionMedia",
  ],
  /** Anonymous, customer, agent and admin on the workspace settings. */
  "api/workspace/workspace.test.ts#authz": [
    "workspace",
    "updateWorkspace",
    "setWorkspaceLogo",
    "sendTestEmail",
    "dismissFirstRunChecklist",
  ],
} as const satisfies Record<string, readonly string[]>;

export type CoverageEntry = keyof typeof authzCoverage;

/** The root field an operation selects first, e.g. `liveSession` for `query($id: ID!) { liveSession(id: $id) { id } }`. */
export function rootFieldOf(operation: string): string {
  const definition = parse(operation).definitions[0];
  if (definition?.kind !== Kind.OPERATION_DEFINITION) throw new Error(`Not an operation: ${operation}`);
  const selection = definition.selectionSet.selections[0];
  if (selection?.kind !== Kind.FIELD) throw new Error(`No root field in: ${operation}`);
  return selection.name.value;
}

/** The root fields of the operations a matrix ran, sorted, to compare with its declared entry. */
export function rootFieldsOf(operations: Iterable<string>): string[] {
  return [...new Set([...operations].map(rootFieldOf))].sort();
}

export function declaredFields(entry: CoverageEntry): string[] {
  return [...authzCoverage[entry]].sort();
}
