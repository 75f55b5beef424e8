import type { LiveSession, Prisma, PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import { sessionStream } from "../ops/event-log.ts";
import type { PubSub } from "../pubsub.ts";
import { gestureKinds, type LiveSessionEventKind, type LiveSessionEventPayload } from "./sessions.events.ts";

const gestureKindSet: ReadonlySet<string> = new Set(gestureKinds);

/** Row operations that several parts of the sessions domain run inside their transactions. */

export type Tx = Prisma.TransactionClient;

/** Locks the session row until the transaction ends, so capacity counts and inserts see the same state. */
export async function lockSession(tx: Tx, sessionId: string): Promise<LiveSession> {
  await tx.$queryRaw`SELECT id FROM "LiveSession" WHERE id = ${sessionId} FOR UPDATE`;
  return tx.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
}

/** Participants in the room now; the host does not count against capacity. */
export function admittedCount(tx: Tx, sessionId: string): Promise<number> {
  return tx.sessionParticipant.count({ where: { sessionId, status: "ADMITTED", role: { not: "HOST" } } });
}

export async function openVisit(tx: Tx, participant: SessionParticipant, now: Date) {
  const open = await tx.sessionVisit.findFirst({ where: { participantId: participant.id, leftAt: null } });
  if (!open)
    await tx.sessionVisit.create({
      data: { sessionId: participant.sessionId, participantId: participant.id, joinedAt: now },
    });
}

export async function closeVisits(tx: Tx, where: Prisma.SessionVisitWhereInput, now: Date) {
  await tx.sessionVisit.updateMany({ where: { ...where, leftAt: null }, data: { leftAt: now } });
}

/** Realtime events of the sessions domain, published after the change commits; they carry ids only. */
export class SessionEvents {
  private readonly observers = new Set<(event: LiveSessionEventPayload) => void>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
  ) {}

  /**
   * Writes the event to the session's stream log, then publishes it; never throws. Gestures (hands, reactions,
   * mute requests) are published live only: they are momentary, and the participants' state shows raised hands.
   */
  publish(
    kind: LiveSessionEventKind,
    sessionId: string,
    extra: Omit<LiveSessionEventPayload, "kind" | "sessionId"> = {},
  ): Promise<void> {
    const event: LiveSessionEventPayload = { kind, sessionId, ...extra };
    for (const observer of this.observers) observer(event);
    if (gestureKindSet.has(kind)) {
      this.pubsub.publish("liveSession", sessionId, event);
      return Promise.resolve();
    }
    return this.pubsub.appendAndPublish(sessionStream(sessionId), null, event, (positioned) =>
      this.pubsub.publish("liveSession", sessionId, positioned),
    );
  }

  /** Hears this instance's own changes as they are published (the media topology follows admissions). */
  observe(observer: (event: LiveSessionEventPayload) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Tells the signaling server to drop these peers now. */
  revokePeers(sessionId: string, peerIds: string[]) {
    this.pubsub.publish("peerRevoked", { sessionId, peerIds });
  }

  async revokeAllPeers(sessionId: string) {
    const peers = await this.prisma.sessionParticipant.findMany({ where: { sessionId }, select: { peerId: true } });
    this.revokePeers(
      sessionId,
      peers.map((peer) => peer.peerId),
    );
  }
}
