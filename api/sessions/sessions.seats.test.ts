import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Actor } from "../../test/fixtures.ts";
import { createCast } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { createSession, hostAction, join } from "../../test/session-fixtures.ts";
import type { MediaServer, MediaServerStatus } from "../media/media-server.ts";

/**
 * Seat limits by what the call can carry (issue 17, points 1 and 9): without a media server the measured
 * peer-to-peer limits (a mesh of 7 with the host, a webinar of 24 viewers), with one a meeting as large as the SFU
 * room's publishers and a webinar up to SFU_WEBINAR_MAX_SEATS. Refused with SeatLimitError naming the limit, at
 * scheduling, at join and at admit. The media server here is a stand-in whose status the test sets: scheduling and
 * joining only ask whether one is up (no call is made).
 */

let status: MediaServerStatus = "down";
const standIn: MediaServer = {
  mode: "external",
  url: "http://127.0.0.1:9/janus",
  apiSecret: "",
  servers: [],
  recordingsDir: null,
  status: () => status,
  restarts: () => 0,
  on: () => () => {},
  stop: async () => {},
} as unknown as MediaServer;

let server: TestServer;
let agent: Actor;

beforeAll(async () => {
  vi.setConfig({ testTimeout: 120_000 });
  server = await startTestServer({
    env: { ACCESS_TOKEN_TTL: "24h", SFU_MAX_PUBLISHERS: "21", SFU_WEBINAR_MAX_SEATS: "300" },
    mediaServer: standIn,
  });
  ({ agent } = await createCast(server));
}, 240_000);

afterAll(async () => {
  await server?.close();
});

const SEAT_ERROR = "... on SeatLimitError { limit mediaServer kind message }";

async function schedule(input: Record<string, unknown>) {
  const start = new Date(server.clock.now().getTime() + 3_600_000);
  const result = await server.gql(
    `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
      __typename ... on LiveSession { id maxParticipants } ${SEAT_ERROR} } }`,
    {
      input: {
        title: "Seats",
        scheduledStartAt: start.toISOString(),
        scheduledEndAt: new Date(start.getTime() + 3_600_000).toISOString(),
        ...input,
      },
    },
    agent.token,
  );
  return result.data?.createLiveSession;
}

async function capacity() {
  const result = await server.gql(
    "{ callCapacity { mediaServer meshSize meetingSeats webinarAudience sfuFrom } }",
    {},
    agent.token,
  );
  return result.data?.callCapacity;
}

describe("seat limits without a media server", () => {
  beforeAll(() => {
    status = "down";
  });

  it("the form's capacity says what peer-to-peer carries", async () => {
    expect(await capacity()).toEqual({
      mediaServer: false,
      meshSize: 7,
      meetingSeats: 6,
      webinarAudience: 24,
      sfuFrom: 5,
    });
  });

  it("refuses more seats than the mesh or a peer-to-peer webinar carries, naming the limit, and writes nothing", async () => {
    const before = await server.app.prisma.liveSession.count();
    expect(await schedule({ type: "TRAINING", maxParticipants: 7 })).toEqual({
      __typename: "SeatLimitError",
      limit: 6,
      mediaServer: false,
      kind: "MEETING",
      message: "Without a media server a call carries at most 6 participants besides the host (peer-to-peer)",
    });
    expect(await schedule({ type: "WEBINAR", maxParticipants: 25 })).toMatchObject({
      __typename: "SeatLimitError",
      limit: 24,
      mediaServer: false,
      kind: "WEBINAR",
    });
    expect(await server.app.prisma.liveSession.count()).toBe(before);
    expect(await schedule({ type: "WEBINAR", maxParticipants: 24 })).toMatchObject({ maxParticipants: 24 });
    expect(await schedule({ type: "TRAINING", maxParticipants: 6 })).toMatchObject({ maxParticipants: 6 });
    // Without a choice, the type's default within the limit.
    expect(await schedule({ type: "TRAINING" })).toMatchObject({ maxParticipants: 6 });
    expect(await schedule({ type: "WEBINAR" })).toMatchObject({ maxParticipants: 24 });
  });

  it("refuses an update past the limit, and a type change that the seats no longer fit", async () => {
    const session = await schedule({ type: "WEBINAR", maxParticipants: 20 });
    const update = async (input: Record<string, unknown>) =>
      (
        await server.gql(
          `mutation($id: ID!, $input: UpdateLiveSessionInput!) { updateLiveSession(id: $id, input: $input) {
            __typename ${SEAT_ERROR} } }`,
          { id: session.id, input },
          agent.token,
        )
      ).data?.updateLiveSession;
    expect(await update({ maxParticipants: 30 })).toMatchObject({ __typename: "SeatLimitError", limit: 24 });
    expect(await update({ type: "TRAINING" })).toMatchObject({
      __typename: "SeatLimitError",
      limit: 6,
      kind: "MEETING",
    });
    expect(await update({ type: "TRAINING", maxParticipants: 5 })).toMatchObject({ __typename: "LiveSession" });
  });

  it("refuses the join and the admission past what the call carries (a session scheduled with a media server)", async () => {
    // Scheduled while a media server was up, for 10; it is down now, so the mesh's 6 is what the call carries.
    status = "up";
    const session = await createSession(server, agent, { type: "TRAINING", maxParticipants: 10, waitingRoom: false });
    status = "down";
    await hostAction(server, agent, "startLiveSession", { id: session.id });
    for (let index = 0; index < 6; index++)
      expect(await join(server, session.accessToken, `seat${index}@example.com`)).toMatchObject({
        __typename: "JoinSessionPayload",
      });
    expect(await join(server, session.accessToken, "seat6@example.com")).toMatchObject({
      __typename: "SeatLimitError",
      limit: 6,
      mediaServer: false,
    });
    // Through the waiting room: admitting the seventh is refused the same way.
    await server.gql(
      "mutation($id: ID!) { updateLiveSession(id: $id, input: { waitingRoom: true }) { __typename } }",
      { id: session.id },
      agent.token,
    );
    const waiting = await join(server, session.accessToken, "waiting@example.com");
    expect(waiting.__typename).toBe("JoinSessionPayload");
    const admitted = await hostAction(
      server,
      agent,
      "admitParticipant",
      { participantId: waiting.participant.id },
      `__typename ${SEAT_ERROR}`,
    );
    expect(admitted.data?.admitParticipant).toMatchObject({ __typename: "SeatLimitError", limit: 6 });
  });
});

describe("seat limits with a media server", () => {
  beforeAll(() => {
    status = "up";
  });

  it("a webinar may seat more than 100, up to SFU_WEBINAR_MAX_SEATS; a meeting as many as the room's publishers", async () => {
    expect(await capacity()).toMatchObject({ mediaServer: true, meetingSeats: 20, webinarAudience: 300 });
    expect(await schedule({ type: "WEBINAR", maxParticipants: 300 })).toMatchObject({ maxParticipants: 300 });
    expect(await schedule({ type: "WEBINAR", maxParticipants: 301 })).toEqual({
      __typename: "SeatLimitError",
      limit: 300,
      mediaServer: true,
      kind: "WEBINAR",
      message: "A webinar through the media server seats at most 300 participants",
    });
    expect(await schedule({ type: "TRAINING", maxParticipants: 20 })).toMatchObject({ maxParticipants: 20 });
    expect(await schedule({ type: "TRAINING", maxParticipants: 21 })).toMatchObject({
      __typename: "SeatLimitError",
      limit: 20,
      mediaServer: true,
      kind: "MEETING",
    });
    expect(await schedule({ type: "WEBINAR" })).toMatchObject({ maxParticipants: 100 });
  });
});
