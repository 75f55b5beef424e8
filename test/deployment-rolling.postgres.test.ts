import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { freePort, serverModeAvailable } from "./cluster.ts";
import { envSample, type Instance, readUnit, unitInstance, verifyUnit } from "./deployment-instances.ts";
import { type ResumingSubscriber, resumingSseSubscriber, resumingWsSubscriber } from "./deployment-subscribers.ts";
import { createTicket, signUp } from "./fixtures.ts";
import { createTestDatabase, eventually, type GraphQLResponse, type TestServer } from "./harness.ts";
import { nginxAvailable, startNginx } from "./nginx.ts";

const ADD_MESSAGE = `mutation($input: AddTicketMessageInput!) {
  addTicketMessage(input: $input) { __typename ... on TicketMessage { id body } ... on Error { code message } } }`;

/**
 * Server mode as docs/operations.md deploys it: two instances of deploy/live-support@.service (ExecStart,
 * Environment, the shipped env sample as EnvironmentFile, KillSignal), PostgreSQL, Redis, and nginx running
 * deploy/nginx.conf in front. Only what must differ on a test host is overridden.
 */
describe.runIf(serverModeAvailable() && nginxAvailable())("deployment: systemd units behind nginx", () => {
  const prefix = `ls-test:${randomBytes(6).toString("hex")}:`;
  const dirs: string[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;
  const instances: Instance[] = [];
  let nginx: Awaited<ReturnType<typeof startNginx>>;

  /** GraphQL over HTTP through nginx (or an instance): the HTTP status and the answer. */
  async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string, extra = {}) {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables, ...extra }),
    });
    const text = await response.text();
    const json = response.headers.get("content-type")?.includes("json");
    const body = json ? (JSON.parse(text) as GraphQLResponse<Record<string, any>>) : null;
    return { status: response.status, requestId: response.headers.get("x-request-id"), body, text };
  }
  /** What the fixtures need of a server (signUp, createTicket): GraphQL through `url`. */
  const through = (url: string): Pick<TestServer, "gql"> => ({
    gql: async <Data>(query: string, variables: Record<string, unknown> = {}, token?: string) => {
      const answer = await gql(url, query, variables, token);
      if (!answer.body) throw new Error(`HTTP ${answer.status}: ${answer.text}`);
      return answer.body as GraphQLResponse<Data>;
    },
  });

  beforeAll(async () => {
    const { database, url: databaseUrl, drop } = await createTestDatabase();
    await database.close();
    dropDatabase = drop;
    const uploads = mkdtempSync(join(tmpdir(), "live-support-uploads-"));
    dirs.push(uploads);
    const authSecret = randomBytes(32).toString("hex");
    for (let index = 0; index < 2; index++) {
      const dataDir = mkdtempSync(join(tmpdir(), "live-support-instance-"));
      dirs.push(dataDir);
      instances.push(
        unitInstance(await freePort(), {
          // What a test host changes in the sample: local services, its own secrets and folders.
          HOST: "127.0.0.1",
          PUBLIC_URL: "http://127.0.0.1",
          DATABASE_URL: databaseUrl,
          REDIS_URL: process.env.TEST_REDIS_URL,
          REDIS_PREFIX: prefix,
          AUTH_SECRET: authSecret,
          DATA_DIR: dataDir,
          UPLOADS_DIR: uploads,
          // No mail leaves this host (unset: mail is written to DATA_DIR/mail).
          SMTP_URL: undefined,
          // One writer posts 5 messages a second here, more than a person's 60 a minute.
          RATE_LIMIT_WRITES_USER: "1000/1m",
          SHUTDOWN_TIMEOUT: "5s",
          // No managed Janus per instance here (its own tests start one): the sample's STUN host does not resolve.
          JANUS: "off",
        }),
      );
    }
    // Both at once, as a rollout does: migrations run under an advisory lock.
    await Promise.all(instances.map((instance) => instance.start()));
    nginx = await startNginx(instances.map((instance) => `127.0.0.1:${instance.port}`));
  });
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(instances.map((instance) => instance.stop()));
    await dropDatabase?.();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    const redis = new Redis(process.env.TEST_REDIS_URL ?? "", { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${prefix}*`).catch(() => []);
    if (keys.length) await redis.del(...keys).catch(() => {});
    redis.disconnect();
  });

  it("starts instances from the unit file with the production command and the env sample", () => {
    const unit = readUnit("4000");
    expect(unit.execStart.slice(1)).toEqual(["--import", "tsx", "api/server.ts"]);
    expect(unit.execStart[0]).toMatch(/\/node_modules\/\.bin\/node$/);
    expect(unit).toMatchObject({ killSignal: "SIGTERM", restart: "on-failure" });
    expect(unit.environment).toMatchObject({ PORT: "4000", NODE_ENV: "production" });
    // The EnvironmentFile wins over Environment= in systemd: the sample must leave PORT to the unit.
    expect(Object.keys(envSample())).not.toContain("PORT");
    expect(envSample()).toMatchObject({ TRUST_PROXY: "true" });
    const problems = verifyUnit();
    if (problems !== null) expect(problems).toBe("");
  });

  it("writes the request id on every error log line of a request, over HTTP and graphql-ws", async () => {
    const [a] = instances;
    if (!a) throw new Error("no instance");
    // A NUL character is refused by PostgreSQL: an unexpected error, logged with its stack. Through nginx, the
    // request id is the one nginx made up ($request_id), which the response carries too.
    const user = await signUp(through(nginx.url), "logs@example.com");
    const broken = await gql(nginx.url, `query($id: ID!) { ticket(id: $id) { id } }`, { id: "a\u0000" }, user.token);
    expect(broken.body?.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(broken.requestId).toMatch(/^[0-9a-f]{32}$/);
    const errorLines = () =>
      instances.flatMap((instance) => instance.logs()).filter((line) => Number(line.level) >= 50);
    const logged = await eventually(() => errorLines().find((line) => line.requestId === broken.requestId), {
      what: "the error's log line",
    });
    expect(logged).toMatchObject({ msg: "graphql", err: { message: expect.stringMatching(/invalid byte sequence/) } });
    // Over graphql-ws, the id of the socket's upgrade request.
    const wsRequestId = `ws-${randomUUID()}`;
    const socket = new WebSocket(`${a.url.replace("http", "ws")}/graphql`, "graphql-transport-ws", {
      headers: { "x-request-id": wsRequestId },
    });
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const messages: Record<string, any>[] = [];
    socket.on("message", (data) => messages.push(JSON.parse(String(data))));
    socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${user.token}` } }));
    await eventually(() => messages.some((message) => message.type === "connection_ack"));
    socket.send(
      JSON.stringify({
        id: "1",
        type: "subscribe",
        payload: { query: `query($id: ID!) { ticket(id: $id) { id } }`, variables: { id: "b\u0000" } },
      }),
    );
    await eventually(() => messages.some((message) => message.id === "1" && message.type === "next"));
    socket.close();
    await eventually(() => a.logs().some((line) => Number(line.level) >= 50 && line.requestId === wsRequestId), {
      what: "the graphql-ws error's log line",
    });
    // Every error line a request wrote (GraphQL's and the router's) carries its id.
    const requestErrors = errorLines().filter((line) => line.msg === "graphql" || line.msg === "request failed");
    expect(requestErrors.length).toBeGreaterThanOrEqual(2);
    for (const line of requestErrors) expect(line.requestId, JSON.stringify(line)).toBeTruthy();
  });

  /**
   * The rolling restart of docs/operations.md step 9 while a writer posts a message to a new ticket through nginx
   * every 200 ms (each with its idempotency key, as the PWA's outbox sends them): each instance in turn gets
   * SIGTERM, exits, starts again and answers /readyz, then the next. `beforeRestarts` runs once the ticket exists
   * and posting started; the restarts begin once it resolves.
   */
  async function rollingRestartUnderPosts(
    name: string,
    beforeRestarts: (ticketId: string, reader: string, sent: string[]) => Promise<void> = async () => {},
  ) {
    const writer = await signUp(through(nginx.url), `${name}@example.com`);
    const ticket = await createTicket(through(nginx.url), writer, { subject: `Rolling restart: ${name}` });
    const sent: string[] = [];
    const answers: { body: string; status: number; typename?: string; error?: string }[] = [];
    let posting = true;
    const poster = (async () => {
      for (let index = 0; posting; index++) {
        const tick = new Promise((resolve) => setTimeout(resolve, 200));
        const body = `${name} ${index}`;
        sent.push(body);
        try {
          const answer = await gql(nginx.url, ADD_MESSAGE, { input: { ticketId: ticket.id, body } }, writer.token, {
            extensions: { idempotencyKey: `rolling-${ticket.id}-${index}` },
          });
          answers.push({
            body,
            status: answer.status,
            typename: answer.body?.data?.addTicketMessage?.__typename,
            error: answer.body ? JSON.stringify(answer.body.errors ?? null) : answer.text.slice(0, 200),
          });
        } catch (error) {
          answers.push({ body, status: 0, error: String(error) });
        }
        await tick;
      }
    })();
    await beforeRestarts(ticket.id, writer.token, sent);

    const exitCodes: (number | null)[] = [];
    for (const instance of instances) {
      // Some traffic on both, then the restart: SIGTERM, wait for the exit, start again, wait until ready.
      const before = answers.length;
      await eventually(() => answers.length >= before + 5, { timeoutMs: 20_000, what: "five posts" });
      exitCodes.push(await instance.stop());
      await instance.start();
    }
    const settled = answers.length;
    await eventually(() => answers.length >= settled + 5, { timeoutMs: 20_000, what: "five posts after" });
    posting = false;
    await poster;

    if (answers.some((answer) => answer.status !== 200)) console.log(`nginx's error log:\n${nginx.errorLog()}`);
    expect(exitCodes).toEqual([0, 0]);
    const failures = answers
      .filter((answer) => answer.status !== 200 || answer.typename !== "TicketMessage")
      .map(
        (answer) => `${answer.body}: HTTP ${answer.status} ${answer.typename ?? answer.error?.replace(/\s+/g, " ")}`,
      );
    expect(failures).toEqual([]);
    // The thread as stored, page by page (at most 100 messages a page).
    const stored: string[] = [];
    for (let after: string | null = null, more = true; more; ) {
      const page = await gql(
        nginx.url,
        `query($id: ID!, $after: String) { ticket(id: $id) {
          messages(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { body } } } } }`,
        { id: ticket.id, after },
        writer.token,
      );
      const messages = page.body?.data?.ticket.messages;
      stored.push(...messages.edges.map((edge: { node: { body: string } }) => edge.node.body));
      ({ hasNextPage: more, endCursor: after } = messages.pageInfo);
    }
    expect(stored).toEqual(sent);
    return { sent };
  }

  it("restarts one instance at a time under a message every 200 ms: no 5xx, each message stored once, in order", async () => {
    const { sent } = await rollingRestartUnderPosts("writer");
    expect(sent.length).toBeGreaterThan(20);
  }, 240_000);

  // Subscribers across the same rolling restart, resuming with `after` (the cursor of the last event they saw).
  it("keeps a graphql-ws and an SSE subscriber through nginx complete: each resumes after its instance goes away", async () => {
    let subscribers: ResumingSubscriber[] = [];
    const { sent } = await rollingRestartUnderPosts("followed", async (ticketId, token, sent) => {
      subscribers = [
        resumingWsSubscriber(nginx.url, token, ticketId),
        resumingSseSubscriber(nginx.url, token, ticketId),
      ];
      // Both listen before the first restart (each got a message: the writer is also the requester).
      await eventually(() => subscribers.every((subscriber) => subscriber.bodies.length > 0), {
        timeoutMs: 20_000,
        what: "both subscribers to get a message",
      });
      expect(sent.length).toBeGreaterThan(0);
    });
    try {
      // Every message from the first one each received: none lost, none twice, in order.
      for (const subscriber of subscribers) {
        const from = sent.indexOf(subscriber.bodies[0] ?? "");
        await eventually(() => subscriber.bodies.length >= sent.length - from, {
          timeoutMs: 20_000,
          what: "the subscriber to catch up",
        });
        expect(from).toBeGreaterThanOrEqual(0);
        expect(subscriber.bodies).toEqual(sent.slice(from));
        // Its instance went away at least once (both were restarted), and it resumed.
        expect(subscriber.subscriptions).toBeGreaterThanOrEqual(2);
        expect(subscriber.refusals).toEqual([]);
      }
    } finally {
      await Promise.all(subscribers.map((subscriber) => subscriber.stop()));
    }
  }, 240_000);
});
