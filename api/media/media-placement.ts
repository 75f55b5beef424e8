import type { PrismaClient } from "../generated/prisma/client.ts";
import type { JanusEndpoint, MediaServer } from "./janus-process.ts";

/**
 * Which Janus holds a session's SFU room. Chosen once and stored on the session (`LiveSession.mediaServerUrl`), so
 * every API instance (server mode, JANUS_URL listing one or several Janus servers) finds the room on the same server.
 *
 * - A session keeps its server while that server is configured and not down.
 * - Otherwise it goes to the reachable server holding the fewest live sessions (counted from the database, the same
 *   answer on every instance, no call to each Janus); ties go to the first listed.
 * - Two instances placing the same session at once agree: the choice is written only if the stored value is still
 *   the one read (a compare-and-set), and the loser takes the winner's choice.
 * - A server that goes down moves its sessions on their next placement (clients rejoin there; the old rooms are
 *   lost with the server anyway). With no server reachable the answer is null: the session stays peer-to-peer.
 */
export async function mediaServerFor(
  prisma: PrismaClient,
  media: MediaServer | null,
  sessionId: string,
): Promise<JanusEndpoint | null> {
  if (!media) return null;
  const byUrl = new Map(media.servers.map((server) => [server.url, server]));
  for (let attempt = 0; attempt < 3; attempt++) {
    const session = await prisma.liveSession.findUnique({ where: { id: sessionId }, select: { mediaServerUrl: true } });
    if (!session) return null;
    const current = session.mediaServerUrl ? byUrl.get(session.mediaServerUrl) : undefined;
    if (current && current.status() !== "down") return current;
    const reachable = media.servers.filter((server) => server.status() === "up");
    if (reachable.length === 0) return null;
    const counts = await prisma.liveSession.groupBy({
      by: ["mediaServerUrl"],
      where: { status: "LIVE", mediaServerUrl: { in: reachable.map((server) => server.url) } },
      _count: { _all: true },
    });
    const load = (server: JanusEndpoint) => counts.find((row) => row.mediaServerUrl === server.url)?._count._all ?? 0;
    const chosen = reachable.reduce((best, server) => (load(server) < load(best) ? server : best));
    const written = await prisma.liveSession.updateMany({
      where: { id: sessionId, mediaServerUrl: session.mediaServerUrl },
      data: { mediaServerUrl: chosen.url },
    });
    if (written.count === 1) return chosen;
    // Another instance placed it in between: read its choice.
  }
  return null;
}
