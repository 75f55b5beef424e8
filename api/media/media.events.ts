export const sessionMediaEventKinds = [
  /** A participant started sending media: subscribe to their feed. */
  "PUBLISHED",
  /** A participant stopped sending (left, removed, lost): drop their tiles. */
  "UNPUBLISHED",
  /** Active speaker, from Janus's audio levels. */
  "TALKING",
  "STOPPED_TALKING",
  /**
   * The session's room is gone and will be made again (Janus restarted, the API instance owning the room stopped):
   * every client publishes and subscribes again. The one generic "rejoin the SFU" event.
   */
  "ROOM_RESTARTED",
  /** The session moved to the SFU (or back): clients switch topology without leaving the page. */
  "TOPOLOGY_CHANGED",
  /** For one participant: Janus renegotiates their subscription (a feed went away); answer with mediaSubscribeAnswer. */
  "SUBSCRIPTION_OFFER",
  /** A participant's toggles (mute, camera off, presenting): the SFU's counterpart of the mesh's data messages. */
  "STATE",
] as const;
export type SessionMediaEventKind = (typeof sessionMediaEventKinds)[number];

export interface MediaStreamDescription {
  mid: string;
  type: string;
  /** The participant whose feed this is; null for a stream Janus keeps inactive. */
  participantId: string | null;
  active: boolean;
}

/** Media events of one session; `to` limits an event to one participant (their own renegotiation). */
export interface SessionMediaEventPayload {
  kind: SessionMediaEventKind;
  sessionId: string;
  participantId?: string;
  to?: string;
  sdp?: string;
  streams?: MediaStreamDescription[];
  topology?: "PEER_TO_PEER" | "SFU";
  /** STATE: the participant's toggles. */
  state?: MediaParticipantState;
}

/** What a participant's tile shows of their toggles; their tracks only go silent or black. */
export interface MediaParticipantState {
  participantId: string;
  audioMuted: boolean;
  videoOff: boolean;
  presenting: boolean;
}

/**
 * A participant's toggles as never told: what leaving or being removed puts on their row (data of a
 * sessionParticipant update), so a late joiner does not see a departed participant's, or a returning one's old, state.
 */
export const noMediaState = {
  mediaAudioMuted: false,
  mediaVideoOff: false,
  mediaPresenting: false,
  mediaStateAt: null,
} as const;
