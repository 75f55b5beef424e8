import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { createSession, hostAction } from "../../test/session-fixtures.ts";
import type { JanusEndpoint, MediaServer, MediaServerStatus } from "./janus-process.ts";
import { mediaServerFor } from "./media-placement.ts";

/** Janus servers whose status the test sets, as an external pool would report them. */
function pool(statuses: Record<string, MediaServerStatus>): MediaServer {
  const servers: JanusEndpoint[] = Object.keys(statuses).map((url) => ({
    url,
    apiSecret: "secret",
    status: () => statuses[url] ?? "down",
  }));
  return {
    mode: "external",
    url: servers[0]?.url ?? "",
    apiSecret: "secret",
    servers,
    recordingsDir: null,
    status: () => "up",
    restarts: () => 0,
    on: () => () => {},
    pid: () => undefined,
    stop: async () => {},
  };
}

const A = "http://janus-a:8088/janus";
const B = "http://janus-b:8088/janus";

describe("media server placement", () => {
  let server: TestServer;
  let agent: Actor;
  beforeAll(async () => {
    server = await startTestServer();
    ({ agent } = await createCast(server));
  });
  afterAll(async () => {
    await server?.close();
  });

  async function liveSession(): Promise<string> {
    const session = await createSession(server, agent);
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    return session.id as string;
  }
  const stored = async (id: string) =>
    (await server.app.prisma.liveSession.findUniqueOrThrow({ where: { id } })).mediaServerUrl;

  it("spreads live sessions over the reachable servers by load, and keeps each on its server", async () => {
    const statuses: Record<string, MediaServerStatus> = { [A]: "up", [B]: "up" };
    const media = pool(statuses);
    const [first, second, third] = [await liveSession(), await liveSession(), await liveSession()];
    const placed = [];
    for (const id of [first, second, third]) placed.push((await mediaServerFor(server.app.prisma, media, id))?.url);
    expect(placed).toEqual([A, B, A]);
    expect(await stored(second as string)).toBe(B);
    // Another instance (its own pool, same database) finds each room where it is, even while B looks busier.
    const otherInstance = pool({ [A]: "up", [B]: "up" });
    expect((await mediaServerFor(server.app.prisma, otherInstance, second as string))?.url).toBe(B);
    // A server that is down gives its sessions up to a reachable one; with none reachable, no SFU.
    statuses[B] = "down";
    expect((await mediaServerFor(server.app.prisma, media, second as string))?.url).toBe(A);
    expect(await stored(second as string)).toBe(A);
    statuses[A] = "down";
    expect(await mediaServerFor(server.app.prisma, media, await liveSession())).toBeNull();
    // A server no longer configured is replaced.
    expect((await mediaServerFor(server.app.prisma, pool({ [B]: "up" }), first as string))?.url).toBe(B);
    expect(await mediaServerFor(server.app.prisma, null, first as string)).toBeNull();
  });

  it("gives two instances placing one session at once the same server", async () => {
    const id = await liveSession();
    const answers = await Promise.all(
      [pool({ [A]: "up", [B]: "up" }), pool({ [B]: "up", [A]: "up" })].map((media) =>
        mediaServerFor(server.app.prisma, media, id),
      ),
    );
    expect(answers[0]?.url).toBe(answers[1]?.url);
    expect(await stored(id)).toBe(answers[0]?.url);
  });
});
