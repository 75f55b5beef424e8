import type { LiveSession, Prisma, PrismaClient, SessionParticipant } from "../generated/prisma/client.ts";
import type { PubSub } from "../pubsub.ts";
import type { LiveSessionEventKind, LiveSessionEventPayload } from "./sessions.events.ts";

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

  publish(
    kind: LiveSessionEventKind,
    sessionId: string,
    extra: Omit<LiveSessionEventPayload, "kind" | "sessionId"> = {},
  ) {
    const event = { kind, sessionId, ...extra };
    this.pubsub.publish("liveSession", sessionId, event);
    for (const observer of this.observers) observer(event);
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
