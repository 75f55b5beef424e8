export const liveSessionEventKinds = [
  "UPDATED",
  "STARTED",
  "ENDED",
  "CANCELLED",
  "LOCK_CHANGED",
  "RECORDING_CHANGED",
  "TOPOLOGY_CHANGED",
  "PARTICIPANT_WAITING",
  "PARTICIPANT_JOINED",
  "PARTICIPANT_ADMITTED",
  "PARTICIPANT_DENIED",
  "PARTICIPANT_LEFT",
  "PARTICIPANT_REMOVED",
  "PARTICIPANT_UPDATED",
  "CHAT_MESSAGE",
  "HAND_RAISED",
  "HAND_LOWERED",
  "REACTION",
  "MUTE_REQUESTED",
  "UNMUTE_REQUESTED",
] as const;
export type LiveSessionEventKind = (typeof liveSessionEventKinds)[number];

export const sessionStateKinds: ReadonlySet<LiveSessionEventKind> = new Set([
  "UPDATED",
  "STARTED",
  "ENDED",
  "CANCELLED",
  "LOCK_CHANGED",
  "RECORDING_CHANGED",
  "TOPOLOGY_CHANGED",
]);

/** Events carry ids only; subscribers load what their caller may see. */
export interface LiveSessionEventPayload {
  kind: LiveSessionEventKind;
  sessionId: string;
  participantId?: string;
  messageId?: string;
  /** A reaction's emoji. */
  emoji?: string;
  /** When a gesture happened (ISO 8601: payloads cross Redis as JSON). */
  at?: string;
  /** Its place in the session's stream log; gestures are not logged (live only). See api/ops/event-log.ts. */
  seq?: number;
  prev?: number;
}

/** Events that CallView shows over the video: hands, reactions, and the host's requests to (un)mute. */
export const gestureKinds = ["HAND_RAISED", "HAND_LOWERED", "REACTION", "MUTE_REQUESTED", "UNMUTE_REQUESTED"] as const;
export type GestureKind = (typeof gestureKinds)[number];

/** For the signaling server: drop these peers now (participant removed or denied, session ended). */
export interface PeerRevokedPayload {
  sessionId: string;
  peerIds: string[];
}
