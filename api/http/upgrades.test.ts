import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { upgradeStatus } from "../../test/peer-socket.ts";

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
      expect(await upgradeStatus(server.url, path)).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await upgradeStatus(server.url, "/graphql")).toBe(101);
  });

  it("answers 503 to upgrades of /graphql and /peerjs while shutting down", async () => {
    const closing = await startTestServer();
    try {
      await closing.app.close();
      expect(await upgradeStatus(closing.url, "/graphql")).toBe(503);
      expect(await upgradeStatus(closing.url, "/peerjs/peerjs?key=peerjs&id=x&token=y")).toBe(503);
      expect(await upgradeStatus(closing.url, "/nope")).toBe(404);
    } finally {
      await closing.close();
    }
  });
});
