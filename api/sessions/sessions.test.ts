import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { createSession, join, participantGql } from "../../test/session-fixtures.ts";

let server: TestServer;
let admin: Actor;
let agent: Actor;
let customer: Actor;
beforeAll(async () => {
  server = await startTestServer();
  ({ admin, agent, customer } = await createCast(server));
});
afterAll(async () => {
  await server?.close();
});

describe("smoke", () => {
  it("creates and joins", async () => {
    const session = await createSession(server, agent, { invites: [{ name: "Zed", email: "zed@example.com" }] });
    expect(session.publicId).toMatch(/^SES-/);
    const joined = await join(server, session.accessToken, "zed@example.com");
    expect(joined.__typename).toBe("JoinSessionPayload");
    const me = await participantGql(server, `{ myParticipant { id name status peerId } }`, {}, joined.participantToken);
    expect(me.data?.myParticipant.status).toBe("ADMITTED");
    void admin;
    void customer;
  });
});
