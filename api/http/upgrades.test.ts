import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestServer, type TestServer } from "../../test/harness.ts";

/** The HTTP status a WebSocket upgrade of `path` is answered with; 101 when it is accepted. */
function upgradeStatus(server: TestServer, path: string): Promise<number> {
  const socket = new WebSocket(`${server.url.replace("http", "ws")}${path}`);
  return new Promise((resolve, reject) => {
    socket.once("upgrade", (response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
    });
    // A socket closed with no HTTP answer: what a proxy counts as a failed upstream.
    socket.once("error", reject);
  });
}

describe("WebSocket upgrades the server refuses", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers 404 to an upgrade of an unknown path and keeps serving", async () => {
    for (const path of ["/nope", "/graphql/", "/peerjs/other", "/"])
      expect(await upgradeStatus(server, path)).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await upgradeStatus(server, "/graphql")).toBe(101);
  });

  it("answers 503 to upgrades of /graphql and /peerjs while shutting down", async () => {
    const closing = await startTestServer();
    try {
      await closing.app.close();
      expect(await upgradeStatus(closing, "/graphql")).toBe(503);
      expect(await upgradeStatus(closing, "/peerjs/peerjs?key=peerjs&id=x&token=y")).toBe(503);
      expect(await upgradeStatus(closing, "/nope")).toBe(404);
    } finally {
      await closing.close();
    }
  });
});
