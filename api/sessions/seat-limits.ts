import type { LiveSessionType, SessionTopology } from "../generated/prisma/enums.ts";
import { SeatLimitError, SessionFullError } from "./sessions.errors.ts";
import { MAX_PARTICIPANTS_LIMIT } from "./sessions.rules.ts";

/**
 * How many seats a session's call can carry, by the topology it will use (docs/calls.md, "Seat limits"). Measured
 * peer-to-peer on the reference machine (docs/benchmarks.md, `npm run bench:calls`): a full mesh of 7 participants
 * (host included), a webinar of 24 attendees. Through the media server: a meeting as many as the room's publishers
 * (SFU_MAX_PUBLISHERS, host included, at most 100), a webinar SFU_WEBINAR_MAX_SEATS (default 300: a bare Janus
 * carried 300 receive-only viewers at full rate here, docs/benchmarks.md `bench:webinar`).
 */
export const PEER_TO_PEER_MESH = 7;
export const PEER_TO_PEER_WEBINAR_AUDIENCE = 24;
export const SFU_WEBINAR_MAX_SEATS_DEFAULT = 300;
/** No configuration seats more than this in one session. */
export const SEATS_CEILING = 1000;

export interface SeatPolicy {
  /** Whether a media server can carry sessions now. */
  mediaServer(): boolean;
  /** SFU room publishers (SFU_MAX_PUBLISHERS): everyone in a meeting publishes, the host included. */
  sfuPublishers: number;
  /** SFU_WEBINAR_MAX_SEATS. */
  sfuWebinarSeats: number;
  /** P2P_MAX_MESH: participants of a full mesh, host included (measured: PEER_TO_PEER_MESH). */
  meshSize: number;
  /** P2P_MAX_WEBINAR_AUDIENCE (measured: PEER_TO_PEER_WEBINAR_AUDIENCE). */
  webinarAudience: number;
}

/** Without configuration (tests of the sessions domain alone): peer-to-peer only. */
export const peerToPeerOnly: SeatPolicy = {
  mediaServer: () => false,
  sfuPublishers: 16,
  sfuWebinarSeats: SFU_WEBINAR_MAX_SEATS_DEFAULT,
  meshSize: PEER_TO_PEER_MESH,
  webinarAudience: PEER_TO_PEER_WEBINAR_AUDIENCE,
};

export interface SeatLimit {
  /** Most seats (maxParticipants: the host does not count). */
  limit: number;
  /** Whether the limit is the media server's (true) or peer-to-peer's. */
  mediaServer: boolean;
  kind: "MEETING" | "WEBINAR";
}

/** Seats for both kinds of session, with or without a media server. */
export function seatLimits(policy: SeatPolicy, mediaServer: boolean): { meeting: number; webinar: number } {
  return mediaServer
    ? { meeting: Math.min(MAX_PARTICIPANTS_LIMIT, policy.sfuPublishers - 1), webinar: policy.sfuWebinarSeats }
    : { meeting: policy.meshSize - 1, webinar: policy.webinarAudience };
}

/**
 * The seat limit of a session of this type: a session already on the SFU keeps the media server's (a restarting Janus
 * comes back), others follow whether a media server is up now.
 */
export function seatLimit(policy: SeatPolicy, type: LiveSessionType, topology?: SessionTopology): SeatLimit {
  const mediaServer = topology === "SFU" || policy.mediaServer();
  const limits = seatLimits(policy, mediaServer);
  const kind = type === "WEBINAR" ? "WEBINAR" : "MEETING";
  return { limit: kind === "WEBINAR" ? limits.webinar : limits.meeting, mediaServer, kind };
}

type SeatedSession = { type: LiveSessionType; topology: SessionTopology; maxParticipants: number };

/** Seats still free: the host's choice, within what the call carries now. */
export function seatsLeft(policy: SeatPolicy, session: SeatedSession, admitted: number): number {
  return Math.min(session.maxParticipants, seatLimit(policy, session.type, session.topology).limit) - admitted;
}

/**
 * One more may join or be admitted: SessionFullError at the host's own limit, SeatLimitError when the call cannot
 * carry one more (a session scheduled with a media server that is down now, or scheduled before these limits).
 */
export function assertSeatFree(policy: SeatPolicy, session: SeatedSession, admitted: number): void {
  const seats = seatLimit(policy, session.type, session.topology);
  if (admitted < Math.min(session.maxParticipants, seats.limit)) return;
  if (session.maxParticipants <= seats.limit) throw new SessionFullError(session.maxParticipants);
  throw new SeatLimitError(seats.limit, seats.mediaServer, seats.kind);
}
