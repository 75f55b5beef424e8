import { createHash } from "node:crypto";
import { type Client, createClient } from "graphql-ws";
import { afterAll, beforeAll, vi } from "vitest";
import WebSocket from "ws";
import { type Actor, createCast, invite } from "./fixtures.ts";
import { type GraphQLResponse, startTestServer, type TestServer } from "./harness.ts";
import { sseSubscribe } from "./sse.ts";

/** Test helpers for the sessions domain (participant tokens travel in their own header / connection param). */

export const SESSION_FIELDS = `id publicId title description agenda type status scheduledStartAt scheduledEndAt
  actualStartAt actualEndAt maxParticipants waitingRoom requiresApproval hasPassword emailVerificationRequired
  recordingEnabled recording chatEnabled screenShareEnabled locked admittedCount`;

export const HOST_FIELDS = `${SESSION_FIELDS} accessToken joinUrl roomId sequence reminderOffsets allowedEmailDomains
  invites { id name email }`;

export const JOIN = `mutation($input: JoinSessionInput!) { joinSession(input: $input) {
  __typename
  ... on Error { code message }
  ... on JoinSessionPayload { participantToken participant { id status role peerId email } session { id status } }
  ... on SessionFullError { maxParticipants }
  ... on SeatLimitError { limit mediaServer kind }
  ... on InvalidVerificationCodeError { attemptsLeft }
  ... on RateLimitedError { retryAfterSeconds }
  ... on ParticipantRemovedError { reason }
  ... on EmailDomainNotAllowedError { allowedDomains }
} }`;

/** GraphQL over HTTP as a participant (and optionally also a signed-in user). */
export async function participantGql<Data = Record<string, any>>(
  server: TestServer,
  query: string,
  variables: Record<string, unknown>,
  participantToken: string | null,
  accessToken?: string,
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(participantToken ? { "x-participant-token": participantToken } : {}),
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<Data>;
}

/** A graphql-ws client for a participant token and/or an access token. */
export function sessionWsClient(
  server: TestServer,
  params: { participantToken?: string; accessToken?: string },
): Client {
  return createClient({
    url: `${server.url.replace("http", "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: {
      ...(params.participantToken ? { participantToken: params.participantToken } : {}),
      ...(params.accessToken ? { authorization: `Bearer ${params.accessToken}` } : {}),
    },
    retryAttempts: 0,
    lazy: true,
  });
}

/** The same caller over SSE: the access token as `Authorization`, the participant token as `x-participant-token`. */
export function sessionSse(
  server: TestServer,
  query: string,
  variables: Record<string, unknown>,
  params: { participantToken?: string; accessToken?: string },
) {
  const headers: Record<string, string> = params.participantToken
    ? { "x-participant-token": params.participantToken }
    : {};
  return sseSubscribe(server.url, query, variables, params.accessToken, headers);
}

export async function createSession(
  server: Pick<TestServer, "gql" | "clock">,
  host: Actor,
  input: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const start = new Date(server.clock.now().getTime() + 3_600_000);
  const result = await server.gql(
    `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
      __typename ... on LiveSession { ${HOST_FIELDS} } ... on ValidationError { fieldErrors { path message } } } }`,
    {
      input: {
        title: "Product demo",
        type: "CONSULTATION",
        scheduledStartAt: start.toISOString(),
        scheduledEndAt: new Date(start.getTime() + 3_600_000).toISOString(),
        ...input,
      },
    },
    host.token,
  );
  if (result.data?.createLiveSession?.__typename !== "LiveSession")
    throw new Error(`createLiveSession failed: ${JSON.stringify(result)}`);
  return result.data.createLiveSession;
}

export async function join(
  server: TestServer,
  token: string,
  email: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const result = await server.gql(JOIN, { input: { token, name: email.split("@")[0], email, ...extra } });
  if (!result.data?.joinSession) throw new Error(`joinSession failed: ${JSON.stringify(result)}`);
  return result.data.joinSession;
}

export async function hostAction(
  server: Pick<TestServer, "gql">,
  actor: Actor,
  mutation: string,
  args: Record<string, unknown>,
  selection = "__typename ... on Error { code }",
): Promise<Record<string, any>> {
  const names = Object.keys(args);
  const types: Record<string, string> = {
    id: "ID!",
    sessionId: "ID!",
    participantId: "ID!",
    locked: "Boolean!",
    recording: "Boolean!",
    role: "ParticipantRole!",
    notifyInvitees: "Boolean",
  };
  const declared = names.map((name) => `$${name}: ${types[name]}`).join(", ");
  const passed = names.map((name) => `${name}: $${name}`).join(", ");
  const result = await server.gql(
    `mutation(${declared}) { ${mutation}(${passed}) { ${selection} } }`,
    args,
    actor.token,
  );
  return result;
}

/** Credentials a request may carry: an access token, a participant token, both or neither. */
export interface Credentials {
  accessToken?: string;
  participantToken?: string;
}

/**
 * A session with a waiting room hosted by `cast.agent`, and the callers a session authorization matrix asks: nobody,
 * a customer, another agent, the host, an admin, and participant tokens admitted, waiting, or of another session.
 */
export async function sessionCallers(
  server: TestServer,
  cast: { admin: Actor; agent: Actor; customer: Actor; otherAgent: Actor },
) {
  const session = await createSession(server, cast.agent, { waitingRoom: true });
  const elsewhere = await createSession(server, cast.agent);
  const admitted = await join(server, session.accessToken, "admitted@example.org");
  await hostAction(server, cast.agent, "admitParticipant", { participantId: admitted.participant.id });
  const waiting = await join(server, session.accessToken, "waiting@example.org");
  const foreign = await join(server, elsewhere.accessToken, "foreign@example.org");
  const signedIn = (actor: Actor): Credentials => ({ accessToken: actor.token });
  const holding = (joined: Record<string, any>): Credentials => ({ participantToken: joined.participantToken });
  const callers = {
    anonymous: {},
    customer: signedIn(cast.customer),
    otherAgent: signedIn(cast.otherAgent),
    host: signedIn(cast.agent),
    admin: signedIn(cast.admin),
    admitted: holding(admitted),
    waiting: holding(waiting),
    foreign: holding(foreign),
  } satisfies Record<string, Credentials>;
  return { session, callers };
}

export type SessionTestServer = Awaited<ReturnType<typeof startSessionTestServer>>;

/**
 * Starts the sessions tests' server before a file's tests and closes it after them; `started` receives the server
 * and its cast once they are up.
 */
export function withSessionServer(started: (running: SessionTestServer) => void) {
  // The machine is shared: give a slow start room without hiding real hangs.
  vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });
  let server: TestServer | undefined;
  beforeAll(async () => {
    const running = await startSessionTestServer();
    server = running.server;
    started(running);
  });
  afterAll(async () => {
    await server?.close();
  });
}

/** The server of the sessions domain's tests, with low rate limits to reach, and its cast (two agents). */
async function startSessionTestServer() {
  const server = await startTestServer({
    env: {
      // Tests move the clock by more than the default 15 minutes.
      ACCESS_TOKEN_TTL: "24h",
      SESSION_JOIN_RATE_LIMIT: "25",
      SESSION_PASSWORD_RATE_LIMIT: "4",
      SESSION_VERIFICATION_RATE_LIMIT: "5",
      SESSION_CHAT_RATE_LIMIT: "5",
      SESSION_REACTION_RATE_LIMIT: "5",
    },
  });
  const cast = await createCast(server);
  const otherAgent = await invite(server, cast.admin, "other-agent@example.com", "AGENT");
  return { server, ...cast, otherAgent };
}

/** A session's jobs (optionally of one kind), oldest first. */
export async function jobsFor(server: TestServer, sessionId: string, kind?: string) {
  const jobs = await server.app.prisma.job.findMany({
    where: kind ? { kind } : {},
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return jobs.filter((job) => (job.payload as { sessionId?: string }).sessionId === sessionId);
}

export const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
export const minutes = (count: number) => count * 60_000;

export const MY_PARTICIPANT = `{ myParticipant { id status role peerId email } }`;
