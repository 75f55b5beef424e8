import { createDecipheriv, createECDH, hkdfSync, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Actor, createCast } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { type MailSink, startMailSink } from "../../test/mail-sink.ts";
import { createSession, hostAction, join, participantGql } from "../../test/session-fixtures.ts";

/** A local push service: stores each request (path and body) and answers 201. */
let pushService: Server;
let pushBase: string;
const pushes: { path: string; body: Buffer }[] = [];

let server: TestServer;
let sink: MailSink;
let host: Actor;
let admin: Actor;

const MINUTE = 60_000;

beforeAll(async () => {
  pushService = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      pushes.push({ path: request.url ?? "", body: Buffer.concat(chunks) });
      response.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => pushService.listen(0, "127.0.0.1", resolve));
  pushBase = `http://127.0.0.1:${(pushService.address() as AddressInfo).port}`;
  sink = await startMailSink();
  server = await startTestServer({
    env: {
      PUBLIC_URL: "https://support.example.com",
      SMTP_URL: sink.url,
      JOBS_WORKER: "off",
      // The clock moves by hours; tokens stay valid.
      ACCESS_TOKEN_TTL: "30d",
    },
  });
  const cast = await createCast(server);
  host = cast.agent;
  admin = cast.admin;
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
  await new Promise((resolve) => pushService?.close(resolve));
});

function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, p256dh: ecdh.getPublicKey().toString("base64url"), authKey: auth.toString("base64url") };
}

/** Decrypts an aes128gcm Web Push message (RFC 8188 + RFC 8291) as the browser would. */
function decryptPush(body: Buffer, keys: ReturnType<typeof browserKeys>): Record<string, string> {
  const salt = body.subarray(0, 16);
  const keyIdLength = body.readUInt8(20);
  const serverPublicKey = body.subarray(21, 21 + keyIdLength);
  const ciphertext = body.subarray(21 + keyIdLength);
  const sharedSecret = keys.ecdh.computeSecret(serverPublicKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), keys.ecdh.getPublicKey(), serverPublicKey]);
  const ikm = Buffer.from(hkdfSync("sha256", sharedSecret, keys.auth, keyInfo, 32));
  const contentKey = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", contentKey, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  return JSON.parse(plain.subarray(0, plain.lastIndexOf(2)).toString("utf8"));
}

/** The .ics of a message, unfolded into name → value (first occurrence). */
function calendarOf(mail: ParsedMail): Record<string, string> {
  const part = mail.attachments.find((attachment) => attachment.contentType === "text/calendar");
  expect(part).toBeDefined();
  const lines = (part?.content.toString("utf8") ?? "").replace(/\r\n[ \t]/g, "").split("\r\n");
  const properties: Record<string, string> = {};
  for (const line of lines) {
    const match = /^([A-Z-]+)(?:;[^:]*)?:(.*)$/.exec(line);
    if (match && !((match[1] as string) in properties)) properties[match[1] as string] = match[2] as string;
  }
  return properties;
}

const drain = () => server.app.services.jobs.drain();
const subjects = (address: string) => sink.to(address).map((mail) => mail.subject);

const REGISTER_USER = `mutation($endpoint: String!, $keys: PushSubscriptionKeysInput!) {
  registerPushSubscription(endpoint: $endpoint, keys: $keys) { __typename } }`;
const REGISTER_PARTICIPANT = `mutation($endpoint: String!, $keys: PushSubscriptionKeysInput!) {
  registerSessionPushSubscription(endpoint: $endpoint, keys: $keys) {
    __typename ... on PushSubscription { id endpoint } ... on ValidationError { fieldErrors { path } } } }`;
const UNREGISTER_PARTICIPANT = `mutation($endpoint: String!) { unregisterSessionPushSubscription(endpoint: $endpoint) }`;

const invitees = [
  { name: "Ina Invitee", email: "ina@example.org" },
  { name: "Otto Other", email: "otto@example.org" },
];

describe("session invitations, updates and cancellation", () => {
  let session: Record<string, any>;

  it("emails each invitee an invitation with METHOD:REQUEST, a stable UID, SEQUENCE 0 and the join link", async () => {
    sink.clear();
    const start = new Date(server.clock.now().getTime() + 3 * 60 * MINUTE);
    session = await createSession(server, host, {
      title: "Quarterly review",
      invites: invitees,
      scheduledStartAt: start.toISOString(),
      scheduledEndAt: new Date(start.getTime() + 60 * MINUTE).toISOString(),
    });
    await drain();
    expect(subjects("ina@example.org")).toEqual(["Invitation: Quarterly review"]);
    expect(subjects("otto@example.org")).toEqual(["Invitation: Quarterly review"]);
    const mail = sink.to("ina@example.org")[0] as ParsedMail;
    expect(mail.text).toContain(session.joinUrl);
    expect(mail.html).toContain(session.joinUrl);
    expect(session.joinUrl).toMatch(/^https:\/\/support\.example\.com\/session\/join\//);
    const ics = calendarOf(mail);
    expect(ics.METHOD).toBe("REQUEST");
    expect(ics.UID).toBe(`session-${session.id}@support.example.com`);
    expect(ics.SEQUENCE).toBe("0");
    expect(ics.DTSTART).toBe(session.scheduledStartAt.replace(/[-:]/g, "").replace(/\.\d{3}/, ""));
    await drain();
    expect(sink.messages).toHaveLength(2);
  });

  it("sends a new invite with SEQUENCE+1 when the session moves, and reschedules its reminders", async () => {
    sink.clear();
    const oldStart = session.scheduledStartAt as string;
    const start = new Date(new Date(oldStart).getTime() + 24 * 60 * MINUTE);
    const result = await server.gql(
      `mutation($id: ID!, $input: UpdateLiveSessionInput!) { updateLiveSession(id: $id, input: $input) {
        __typename ... on LiveSession { sequence scheduledStartAt } } }`,
      {
        id: session.id,
        input: {
          scheduledStartAt: start.toISOString(),
          scheduledEndAt: new Date(start.getTime() + 60 * MINUTE).toISOString(),
        },
      },
      host.token,
    );
    expect(result.data?.updateLiveSession.sequence).toBe(1);
    await drain();
    const mails = sink.to("ina@example.org");
    expect(mails.map((mail) => mail.subject)).toEqual(["Updated invitation: Quarterly review"]);
    const ics = calendarOf(mails[0] as ParsedMail);
    expect([ics.METHOD, ics.UID, ics.SEQUENCE]).toEqual(["REQUEST", `session-${session.id}@support.example.com`, "1"]);
    const reminders = await server.app.prisma.job.findMany({
      where: { kind: "session.reminder", payload: { path: ["sessionId"], equals: session.id } },
      orderBy: { runAt: "asc" },
    });
    expect(reminders.map((job) => [job.status, (job.payload as Record<string, unknown>).startsAt])).toEqual([
      ["CANCELLED", oldStart],
      ["CANCELLED", oldStart],
      ["PENDING", start.toISOString()],
      ["PENDING", start.toISOString()],
    ]);
  });

  it("sends METHOD:CANCEL with the same UID when the session is cancelled, and no reminder afterwards", async () => {
    sink.clear();
    const cancelled = await hostAction(server, host, "cancelLiveSession", { id: session.id });
    expect(cancelled.data?.cancelLiveSession.__typename).toBe("LiveSession");
    await drain();
    expect(subjects("ina@example.org")).toEqual(["Cancelled: Quarterly review"]);
    const ics = calendarOf(sink.to("otto@example.org")[0] as ParsedMail);
    expect(ics.METHOD).toBe("CANCEL");
    expect(ics.UID).toBe(`session-${session.id}@support.example.com`);
    expect(Number(ics.SEQUENCE)).toBeGreaterThan(1);
    const pending = await server.app.prisma.job.count({
      where: { kind: "session.reminder", status: "PENDING", payload: { path: ["sessionId"], equals: session.id } },
    });
    expect(pending).toBe(0);
  });
});

describe("invitees pasted as a list (issue 19)", () => {
  it("reads `guest@example.com, boss@example.org` as two people, each with their own invitation", async () => {
    sink.clear();
    const start = new Date(server.clock.now().getTime() + 3 * 60 * MINUTE);
    const session = await createSession(server, host, {
      title: "Onboarding call",
      invites: [],
      inviteList: "guest@example.com, boss@example.org",
      scheduledStartAt: start.toISOString(),
      scheduledEndAt: new Date(start.getTime() + 30 * MINUTE).toISOString(),
    });
    expect(session.invites.map(({ name, email }: { name: string; email: string }) => [name, email])).toEqual([
      ["guest", "guest@example.com"],
      ["boss", "boss@example.org"],
    ]);
    await drain();
    for (const [name, address] of [
      ["guest", "guest@example.com"],
      ["boss", "boss@example.org"],
    ] as const) {
      const mails = sink.to(address);
      expect(mails.map((mail) => mail.subject)).toEqual(["Invitation: Onboarding call"]);
      const mail = mails[0] as ParsedMail;
      expect(mail.text).toContain(`Hello ${name},`);
      expect(mail.text).not.toContain("guest@example.com,");
      const part = mail.attachments.find((attachment) => attachment.contentType === "text/calendar");
      const ics = (part?.content.toString("utf8") ?? "").replace(/\r\n[ \t]/g, "");
      const attendees = ics.split("\r\n").filter((line) => line.startsWith("ATTENDEE"));
      expect(attendees).toHaveLength(1);
      expect(attendees[0]?.toLowerCase()).toContain(`cn="${name}":mailto:${address}`);
      // The host invites: ORGANIZER and Reply-To are the host's address, so RSVPs reach a person.
      expect(
        ics
          .split("\r\n")
          .find((line) => line.startsWith("ORGANIZER"))
          ?.toLowerCase(),
      ).toMatch(new RegExp(`^organizer;cn=.*:mailto:${host.email}$`));
      expect(mail.replyTo?.value[0]?.address).toBe(host.email);
    }
    expect(sink.messages).toHaveLength(2);
  });
});

describe("reminders", () => {
  const hostKeys = browserKeys();
  const participantKeys = browserKeys();
  let session: Record<string, any>;
  let participantToken: string;

  it("lets a participant register and unregister a push subscription with their token only", async () => {
    const start = new Date(server.clock.now().getTime() + 2 * 60 * MINUTE);
    session = await createSession(server, host, {
      title: "Release briefing",
      invites: invitees,
      scheduledStartAt: start.toISOString(),
      scheduledEndAt: new Date(start.getTime() + 30 * MINUTE).toISOString(),
    });
    const hostRegistered = await server.gql(
      REGISTER_USER,
      { endpoint: `${pushBase}/push/host`, keys: { p256dh: hostKeys.p256dh, auth: hostKeys.authKey } },
      host.token,
    );
    expect(hostRegistered.data?.registerPushSubscription.__typename).toBe("PushSubscription");
    const joined = await join(server, session.accessToken, "pat@example.net");
    expect(joined.__typename).toBe("JoinSessionPayload");
    participantToken = joined.participantToken;
    const other = (await join(server, session.accessToken, "olga@example.net")).participantToken as string;

    const keys = { p256dh: participantKeys.p256dh, auth: participantKeys.authKey };
    const endpoint = `${pushBase}/push/participant`;
    // Without a participant token: anonymous and signed-in users alike.
    for (const token of [undefined, host.token, admin.token]) {
      const refused = await server.gql(REGISTER_PARTICIPANT, { endpoint, keys }, token);
      expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    const invalid = await participantGql(server, REGISTER_PARTICIPANT, { endpoint: "ftp://x", keys }, participantToken);
    expect(invalid.data?.registerSessionPushSubscription.fieldErrors).toEqual([{ path: "endpoint" }]);
    const saved = await participantGql(server, REGISTER_PARTICIPANT, { endpoint, keys }, participantToken);
    expect(saved.data?.registerSessionPushSubscription).toMatchObject({ __typename: "PushSubscription", endpoint });
    // Another participant cannot take it off; its owner can, and registers it again.
    const stolen = await participantGql(server, UNREGISTER_PARTICIPANT, { endpoint }, other);
    expect(stolen.data?.unregisterSessionPushSubscription).toBe(false);
    const anonymous = await server.gql(UNREGISTER_PARTICIPANT, { endpoint });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const removed = await participantGql(server, UNREGISTER_PARTICIPANT, { endpoint }, participantToken);
    expect(removed.data?.unregisterSessionPushSubscription).toBe(true);
    const again = await participantGql(server, REGISTER_PARTICIPANT, { endpoint, keys }, participantToken);
    expect(again.data?.registerSessionPushSubscription.__typename).toBe("PushSubscription");
    // A removed participant's token no longer works.
    const otherRow = await server.app.prisma.sessionParticipant.findFirstOrThrow({
      where: { sessionId: session.id, email: "olga@example.net" },
    });
    await hostAction(server, host, "removeParticipant", { participantId: otherRow.id });
    const afterRemoval = await participantGql(server, REGISTER_PARTICIPANT, { endpoint, keys }, other);
    expect(afterRemoval.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("at start−60m emails every invitee once and pushes to the host and the subscribed participant", async () => {
    await drain();
    sink.clear();
    pushes.length = 0;
    const start = new Date(session.scheduledStartAt).getTime();
    server.clock.set(new Date(start - 60 * MINUTE));
    await drain();
    expect(subjects("ina@example.org")).toEqual(["Reminder: Release briefing starts in 1 hour"]);
    expect(subjects("otto@example.org")).toEqual(["Reminder: Release briefing starts in 1 hour"]);
    expect(pushes.map((push) => push.path).sort()).toEqual(["/push/host", "/push/participant"]);
    const hostPush = pushes.find((push) => push.path === "/push/host");
    expect(decryptPush(hostPush?.body as Buffer, hostKeys)).toEqual({
      title: "Reminder: Release briefing",
      body: "Starts in 60 minutes",
      url: `https://support.example.com/sessions/${session.id}`,
    });
    const participantPush = pushes.find((push) => push.path === "/push/participant");
    expect(decryptPush(participantPush?.body as Buffer, participantKeys).url).toBe(session.joinUrl);

    // The worker running again sends nothing more.
    await drain();
    await server.app.services.jobs.runDueJobs();
    expect(sink.messages).toHaveLength(2);
    expect(pushes).toHaveLength(2);

    // A worker that fanned the reminder out and died before recording success: the job is claimed again after its
    // lease, runs again, and the per-recipient dedupe keys keep every email and push from going out twice.
    const reminder = await server.app.prisma.job.findFirstOrThrow({
      where: { kind: "session.reminder", payload: { path: ["offsetMinutes"], equals: 60 }, status: "SUCCEEDED" },
      orderBy: { finishedAt: "desc" },
    });
    expect((reminder.payload as Record<string, unknown>).sessionId).toBe(session.id);
    await server.app.prisma.job.update({
      where: { id: reminder.id },
      data: {
        status: "RUNNING",
        finishedAt: null,
        lockedBy: "crashed-worker",
        lockedUntil: new Date(server.clock.now().getTime() - 1),
      },
    });
    await drain();
    const rerun = await server.app.prisma.job.findUniqueOrThrow({ where: { id: reminder.id } });
    expect([rerun.status, rerun.lockedBy]).toEqual(["SUCCEEDED", server.app.services.jobs.workerId]);
    expect(sink.messages).toHaveLength(2);
    expect(pushes).toHaveLength(2);
  });

  it("at start−15m sends the 15-minute reminder, exactly once", async () => {
    sink.clear();
    pushes.length = 0;
    server.clock.set(new Date(new Date(session.scheduledStartAt).getTime() - 15 * MINUTE));
    await drain();
    await drain();
    expect(subjects("ina@example.org")).toEqual(["Reminder: Release briefing starts in 15 minutes"]);
    expect(subjects("otto@example.org")).toEqual(["Reminder: Release briefing starts in 15 minutes"]);
    expect(sink.messages).toHaveLength(2);
    expect(pushes.map((push) => push.path).sort()).toEqual(["/push/host", "/push/participant"]);
  });

  it("emails 'session started' to invitees and to waiting/admitted participants with an email", async () => {
    sink.clear();
    const started = await hostAction(server, host, "startLiveSession", { id: session.id });
    expect(started.data?.startLiveSession.__typename).toBe("LiveSession");
    await drain();
    await drain();
    const sent = sink.messages.map((mail) => [mail.to && [mail.to].flat()[0]?.value[0]?.address, mail.subject]);
    expect(sent.sort()).toEqual([
      ["ina@example.org", "Starting now: Release briefing"],
      ["otto@example.org", "Starting now: Release briefing"],
      ["pat@example.net", "Starting now: Release briefing"],
    ]);
  });

  it("a reminder for a session that moved does nothing (a new reminder exists)", async () => {
    sink.clear();
    pushes.length = 0;
    const start = new Date(server.clock.now().getTime() + 3 * 60 * MINUTE);
    const moving = await createSession(server, host, {
      title: "Moving target",
      invites: invitees,
      scheduledStartAt: start.toISOString(),
      scheduledEndAt: new Date(start.getTime() + 30 * MINUTE).toISOString(),
    });
    await drain();
    sink.clear();
    const stale = await server.app.prisma.job.findFirstOrThrow({
      where: { kind: "session.reminder", status: "PENDING", payload: { path: ["sessionId"], equals: moving.id } },
    });
    const later = new Date(start.getTime() + 60 * MINUTE);
    await server.gql(
      `mutation($id: ID!, $input: UpdateLiveSessionInput!) { updateLiveSession(id: $id, input: $input) { __typename } }`,
      {
        id: moving.id,
        input: {
          scheduledStartAt: later.toISOString(),
          scheduledEndAt: new Date(later.getTime() + 30 * MINUTE).toISOString(),
        },
      },
      host.token,
    );
    await drain();
    sink.clear();
    // Even if the old reminder had been claimed before the move was committed, it is void when it runs.
    await server.app.prisma.job.update({
      where: { id: stale.id },
      data: { status: "PENDING", runAt: server.clock.now(), dedupeKey: null },
    });
    await drain();
    const rerun = await server.app.prisma.job.findUniqueOrThrow({ where: { id: stale.id } });
    expect(rerun.status).toBe("SUCCEEDED");
    expect(sink.messages).toHaveLength(0);
    expect(pushes).toHaveLength(0);
    const children = await server.app.prisma.job.count({
      where: { kind: "email.sessionReminder", payload: { path: ["sessionId"], equals: moving.id } },
    });
    expect(children).toBe(0);
  });
});

describe("email verification", () => {
  it("emails a code that lets the participant join", async () => {
    sink.clear();
    const session = await createSession(server, host, { title: "Verified only", emailVerificationRequired: true });
    await drain();
    const requested = await server.gql(
      `mutation($t: String!, $e: String!) { requestSessionVerificationCode(token: $t, email: $e) { __typename } }`,
      { t: session.accessToken, e: "vera@example.org" },
    );
    expect(requested.data?.requestSessionVerificationCode.__typename).toBe("VerificationCodeSent");
    await drain();
    const [mail] = sink.to("vera@example.org");
    expect(mail?.subject).toMatch(/^\d{6} is your code for Verified only$/);
    const code = /^(\d{6})/.exec(mail?.subject ?? "")?.[1];
    expect(mail?.text).toContain(code);
    const job = await server.app.prisma.job.findFirstOrThrow({ where: { kind: "email.verificationCode" } });
    expect(job.payload).toEqual({ verificationId: expect.any(String), sealedCode: "" });
    const joined = await join(server, session.accessToken, "vera@example.org", { verificationCode: code });
    expect(joined.__typename).toBe("JoinSessionPayload");
  });
});
