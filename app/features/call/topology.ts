import type { CallOptions, LocalState, MediaLink, RosterEntry } from "./call-types.ts";
import { PeerTopology } from "./peer-topology.ts";
import { SfuTopology } from "./sfu-topology.ts";

/** What a topology asks of the call store it belongs to. */
export interface TopologyContext {
  /** Local media and toggles: the stream to send and the flags told to the others. */
  local(): LocalState;
  /** The signaling socket opened: the call is joined. */
  opened(): void;
  /** Something about the remotes changed: the store publishes a new state. */
  changed(): void;
  /** A remote's media arrived: the sender limits towards it are applied again. */
  mediaArrived(link: MediaLink): void;
  /** Signaling refused this participant or could not start: the call is over. */
  failed(reason: string): void;
}

/**
 * How media travels between the participants of a call: who connects to whom, and the connections that carry it.
 * Peer-to-peer (mesh and webinar, peer-topology.ts) or through the media server (sfu-topology.ts), chosen in
 * createTopology from the session's topology; CallClient.switchTopology moves a running call from one to the other.
 */
export interface CallTopology {
  /** One link per remote participant, by peer id. */
  readonly links: ReadonlyMap<string, MediaLink>;
  /** Connects to signaling; resolves once open, rejects when refused. */
  connect(): Promise<void>;
  /** The room's participants as the session reports them: connects to new ones, drops gone ones. */
  setRoster(entries: RosterEntry[]): void;
  /** Promoted or demoted: reconnects every remote with or without media. */
  setPublishing(publishes: boolean): void;
  /** Tells every remote the local toggles (mute, camera, presenting). */
  announce(): void;
  /** Closes every connection and the signaling socket. */
  close(): void;
  /** The senders of local media when they are not per link (SFU: one publishing connection). */
  senders?(): RTCRtpSender[];
}

export function createTopology(options: CallOptions, context: TopologyContext): CallTopology {
  return options.sfu ? new SfuTopology({ ...options, sfu: options.sfu }, context) : new PeerTopology(options, context);
}
