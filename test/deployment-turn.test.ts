import { spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "./fixtures.ts";
import { startTestServer, TestClock, type TestServer } from "./harness.ts";
import { startTurn, turnAvailable } from "./turn.ts";

/** coturn's own test client (Debian package `coturn`): allocates a relay and sends packets through it. */
const UCLIENT = "/usr/bin/turnutils_uclient";

/**
 * A relayed exchange with turnutils_uclient: `-y` makes the client send to its own second relay, so every packet
 * travels client → relay → relay → client through coturn. Its exit status is 0 either way: the log tells.
 */
function relayThrough(port: number, username: string, credential: string) {
  const run = spawnSync(
    UCLIENT,
    ["-p", String(port), "-u", username, "-w", credential, "-n", "5", "-m", "1", "-y", "-e", "127.0.0.1", "127.0.0.1"],
    { encoding: "utf8", timeout: 20_000 },
  );
  const log = `${run.stdout}${run.stderr}`;
  return {
    log,
    allocated: !/Cannot complete Allocation|error 401/i.test(log) && /Total lost packets 0 /.test(log),
  };
}

// deploy/turnserver.conf as shipped (secret filled in, loopback flags added) and the API's TURN credentials.
describe.runIf(turnAvailable())("coturn with deploy/turnserver.conf", () => {
  const secret = randomBytes(24).toString("hex");
  let turn: Awaited<ReturnType<typeof startTurn>>;
  let server: TestServer;

  beforeAll(async () => {
    turn = await startTurn(secret);
    // coturn checks the credential's expiry against the real time, so this server's clock starts now.
    server = await startTestServer({
      clock: new TestClock(new Date()),
      env: { TURN_URLS: turn.url, TURN_SECRET: secret, TURN_TTL: "10m" },
    });
  });
  afterAll(async () => {
    await server?.close();
    await turn?.stop();
  });

  it("relays with the credentials iceServers hands out, and refuses others", async () => {
    const user = await signUp(server, "turn-user@example.com");
    const answer = await server.gql(`{ iceServers { urls username credential } }`, {}, user.token);
    const [ice] = answer.data?.iceServers ?? [];
    expect(ice).toMatchObject({ urls: [turn.url] });

    const relayed = relayThrough(turn.port, ice.username, ice.credential);
    expect(relayed.allocated, relayed.log).toBe(true);

    // The same user name signed with another secret (the shipped placeholder included), and an expired one.
    const forged = createHmac("sha1", "CHANGE-ME-TO-THE-TURN_SECRET-OF-THE-INSTANCES")
      .update(ice.username)
      .digest("base64");
    expect(relayThrough(turn.port, ice.username, forged).allocated).toBe(false);
    const expired = `${Math.floor(Date.now() / 1000) - 60}:${user.id}`;
    expect(
      relayThrough(turn.port, expired, createHmac("sha1", secret).update(expired).digest("base64")).allocated,
    ).toBe(false);
  });
});
