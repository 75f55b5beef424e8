import type { Quality, StatsCursor } from "./quality.ts";

export interface RosterEntry {
  peerId: string;
  /** Sends media: everyone in a mesh; host and presenters in a webinar. */
  publishes: boolean;
  name?: string;
  /** Their participant id: what the SFU names feeds by. */
  participantId?: string;
}

/** One m-line of the SFU subscription: whose feed it carries. */
export interface SfuStream {
  mid: string;
  type: string;
  participantId: string | null;
  active: boolean;
}

export interface SfuEvent {
  kind: string;
  participantId?: string | null;
  sdp?: string | null;
  streams?: SfuStream[] | null;
  /** STATE: the participant's toggles. */
  audioMuted?: boolean | null;
  videoOff?: boolean | null;
  presenting?: boolean | null;
}

/** A participant's toggles as the media server's broker relays them (the mesh sends them on data connections). */
export interface SfuParticipantState {
  participantId: string;
  audioMuted: boolean;
  videoOff: boolean;
  presenting: boolean;
}

/**
 * The API's brokered media-server fields (docs/calls.md "Media server"): the browser never talks to Janus's API,
 * only sends its media to it. Implemented over GraphQL by the sessions feature (sfu-signaling.ts).
 */
export interface SfuSignaling {
  /** Participant ids whose media is up in the room now. */
  publishers(): Promise<string[]>;
  /** The offer (after ICE gathering) → the media server's answer. */
  publish(offer: string): Promise<string>;
  /** The whole set of feeds wanted → the media server's offer (null: nothing changed) and its streams. */
  subscribe(feeds: string[]): Promise<{ sdp: string | null; streams: SfuStream[] }>;
  answer(sdp: string): Promise<void>;
  configure(feed: string, options: { substream?: number; audioOnly?: boolean }): Promise<void>;
  leave(): Promise<void>;
  /** Tells the others this participant's toggles. */
  state(state: Omit<SfuParticipantState, "participantId">): Promise<void>;
  /** The toggles of everyone who told them (then follow STATE events). */
  states(): Promise<SfuParticipantState[]>;
  /** PUBLISHED, UNPUBLISHED, TALKING, STOPPED_TALKING, ROOM_RESTARTED, SUBSCRIPTION_OFFER… */
  events(listener: (event: SfuEvent) => void): () => void;
}

export interface CallOptions {
  /** Signaling server: the API's origin; PeerJS connects to <origin>/peerjs. */
  host: string;
  port: number;
  secure: boolean;
  path?: string;
  /** Issued by the API to this admitted participant. */
  peerId: string;
  /** The participant token (PeerJS `token`): the signaling server checks it against the peer id. */
  token: string;
  iceServers: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  topology: "mesh" | "webinar";
  /** Set when the session goes through the media server: the SFU topology replaces PeerJS. */
  sfu?: SfuSignaling | null;
  /** Whether this participant sends media (always true in a mesh). */
  publishes: boolean;
  /** How often quality is sampled, ms (default 2000). */
  statsIntervalMs?: number;
  /** First reconnection delay, ms (doubles up to 15 s). */
  reconnectBaseMs?: number;
  /**
   * How long a peer-to-peer call this side placed may take to connect (ICE connected) before it is placed again,
   * ms (default 15 s): an offer or answer lost on the way leaves the connection waiting forever otherwise.
   */
  connectTimeoutMs?: number;
  /** Camera constraints besides the device (default: ideal 1280×720). */
  videoConstraints?: MediaTrackConstraints;
}

export interface RemoteState {
  peerId: string;
  name?: string;
  publishes: boolean;
  stream: MediaStream | null;
  audioMuted: boolean;
  videoOff: boolean;
  presenting: boolean;
  quality: Quality;
  stats: { rttMs: number | null; loss: number | null; jitterMs: number | null; bitrate: number | null };
  framesDecoded: number;
  /** Loudness of their audio at the last stats sample, 0..1 (picks the active speaker). */
  audioLevel: number;
  connection: "connecting" | "connected" | "reconnecting";
  /** SFU: the media server says they are speaking (from its audio levels). */
  talking?: boolean;
  /** SFU: their video is paused for a poor link; audio continues and video comes back when it recovers. */
  audioOnly?: boolean;
}

export interface LocalState {
  stream: MediaStream | null;
  audioMuted: boolean;
  videoOff: boolean;
  screenSharing: boolean;
  audioDeviceId?: string;
  videoDeviceId?: string;
}

export interface CallState {
  status: "idle" | "previewing" | "joining" | "joined" | "left";
  /** Why the call ended or could not start (e.g. refused by the signaling server). */
  error?: string;
  local: LocalState;
  remotes: RemoteState[];
  /** Who is sharing a screen now (shown large), if anyone. */
  presenterId: string | null;
  /** Whether this participant sends media (false: a webinar attendee, who watches, listens, chats and raises a hand). */
  publishes: boolean;
}

/** What the quality monitor keeps per remote between two samples. */
export interface LinkQuality {
  cursor: StatsCursor | null;
  /** What the other side's reports say about the media we send it. */
  senderQuality: Quality;
  /** Set by overrideSenderQuality: the automatic adaptation is off for this remote. */
  pinnedQuality: Quality | null;
}

/** One remote participant as a topology connects it: what is shown of them and the connection carrying their media. */
export interface MediaLink {
  readonly peerId: string;
  readonly remote: RemoteState;
  readonly quality: LinkQuality;
  /** The peer connection carrying media to and from this remote, once there is one. */
  readonly connection: RTCPeerConnection | undefined;
}
