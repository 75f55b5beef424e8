export const liveSessionEventKinds = [
  "UPDATED",
  "STARTED",
  "ENDED",
  "CANCELLED",
  "LOCK_CHANGED",
  "RECORDING_CHANGED",
  "PARTICIPANT_WAITING",
  "PARTICIPANT_JOINED",
  "PARTICIPANT_ADMITTED",
  "PARTICIPANT_DENIED",
  "PARTICIPANT_LEFT",
  "PARTICIPANT_REMOVED",
  "PARTICIPANT_UPDATED",
  "CHAT_MESSAGE",
] as const;
export type LiveSessionEventKind = (typeof liveSessionEventKinds)[number];

export const sessionStateKinds: ReadonlySet<LiveSessionEventKind> = new Set([
  "UPDATED",
  "STARTED",
  "ENDED",
  "CANCELLED",
  "LOCK_CHANGED",
  "RECORDING_CHANGED",
]);

/** Events carry ids only; subscribers load what their caller may see. */
export interface LiveSessionEventPayload {
  kind: LiveSessionEventKind;
  sessionId: string;
  participantId?: string;
  messageId?: string;
}

/** For the signaling server: drop these peers now (participant removed or denied, session ended). */
export interface PeerRevokedPayload {
  sessionId: string;
  peerIds: string[];
}
