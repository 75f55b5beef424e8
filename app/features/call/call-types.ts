import type { Quality, StatsCursor } from "./quality.ts";

export interface RosterEntry {
  peerId: string;
  /** Sends media: everyone in a mesh; host and presenters in a webinar. */
  publishes: boolean;
  name?: string;
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
  /** Whether this participant sends media (always true in a mesh). */
  publishes: boolean;
  /** How often quality is sampled, ms (default 2000). */
  statsIntervalMs?: number;
  /** First reconnection delay, ms (doubles up to 15 s). */
  reconnectBaseMs?: number;
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
