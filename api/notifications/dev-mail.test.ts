import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCast, createTicket } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { createSession } from "../../test/session-fixtures.ts";
import { loadEnv } from "../env.ts";
import { JobWorker } from "../jobs/job-worker.ts";
import { enqueueJob } from "../jobs/jobs.service.ts";
import { registerVerificationCodeJob } from "./verification-code.job.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { DEV_MAILBOX: "on" } });
});
afterAll(async () => {
  await server?.close();
});

describe("without SMTP", () => {
  let ticket: Record<string, any>;
  let cast: Awaited<ReturnType<typeof createCast>>;

  it("writes each message to <DATA_DIR>/mail as an .eml file", async () => {
    cast = await createCast(server);
    ticket = await createTicket(server, cast.customer, { subject: "Where is my mail?" });
    await server.app.services.jobs.drain();
    const files = readdirSync(join(server.dataDir, "mail"));
    expect(files).toHaveLength(1);
    const eml = readFileSync(join(server.dataDir, "mail", files[0] as string), "utf8");
    expect(eml).toContain("To: carol@example.com");
    expect(eml).toContain(`Subject: [${ticket.reference}] We received your request: Where is my mail?`);
    expect(eml).toMatch(/^Message-ID: <[0-9a-f-]{36}@localhost>$/m);
    expect(eml).toContain("Content-Type: text/plain");
    expect(eml).toContain("Content-Type: text/html");
    expect(eml).toContain("\r\n");
  });

  it("lists and shows them at /dev/mail", async () => {
    const list = await fetch(`${server.url}/dev/mail`);
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain("No SMTP server is configured");
    expect(html).toContain(`[${ticket.reference}] We received your request: Where is my mail?`);
    const link = /href="(\/dev\/mail\/[^"]+\.eml)"/.exec(html)?.[1] as string;
    const shown = await fetch(`${server.url}${link}`);
    expect(shown.status).toBe(200);
    const page = await shown.text();
    expect(page).toContain("carol@example.com");
    expect(page).toMatch(/<iframe title="The message as HTML" sandbox /);
    expect(page).toContain(`http://localhost:0/tickets/${ticket.id}`);
    const raw = await fetch(`${server.url}${link}?raw`);
    expect(raw.headers.get("content-type")).toBe("message/rfc822");
    expect(await raw.text()).toContain("MIME-Version: 1.0");
    expect((await fetch(`${server.url}/dev/mail/..%2Fpglite`)).status).toBe(404);
    expect((await fetch(`${server.url}/dev/mail/nope.eml`)).status).toBe(404);
  });

  it("answers only loopback clients and admins: a proxied outside client or a non-admin token gets 403", async () => {
    const get = (headers: Record<string, string>) => fetch(`${server.url}/dev/mail`, { headers });
    const outside = { "x-forwarded-for": "203.0.113.7" };
    expect((await get(outside)).status).toBe(403);
    expect((await get({ "x-forwarded-for": "127.0.0.1, 203.0.113.7" })).status).toBe(403);
    expect((await get({ forwarded: "for=203.0.113.7" })).status).toBe(403);
    expect((await get({ ...outside, authorization: `Bearer ${cast.agent.token}` })).status).toBe(403);
    expect((await get({ ...outside, authorization: `Bearer ${cast.customer.token}` })).status).toBe(403);
    expect((await get({ authorization: "Bearer forged" })).status).toBe(403);
    const admin = await get({ ...outside, authorization: `Bearer ${cast.admin.token}` });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain(`[${ticket.reference}]`);
    expect((await get({ "x-forwarded-for": "127.0.0.1" })).status).toBe(200);
  });

  it("sends a verification code through the lookup the sessions domain provides, then blanks the code", async () => {
    const lookups: string[] = [];
    // A worker of its own: the app's worker already runs this kind with the sessions domain's lookup.
    const worker = new JobWorker(server.app.prisma, server.clock, {
      concurrency: 5,
      pollIntervalMs: 1000,
      leaseMs: 60_000,
      backoffBaseMs: 1000,
      backoffMaxMs: 10_000,
    });
    registerVerificationCodeJob(worker, {
      prisma: server.app.prisma,
      mailer: server.app.services.notifications.mailer,
      clock: server.clock,
      openCode: (sealedCode) => sealedCode.replace(/^sealed:/, ""),
      lookup: async (verificationId) => {
        lookups.push(verificationId);
        return verificationId === "v1"
          ? {
              to: "guest@example.org",
              sessionTitle: "Demo",
              expiresAt: new Date(server.clock.now().getTime() + 600_000),
            }
          : null;
      },
    });
    const now = server.clock.now();
    await enqueueJob(
      server.app.prisma,
      "email.verificationCode",
      { verificationId: "v1", sealedCode: "sealed:123456" },
      { runAt: now },
    );
    await enqueueJob(
      server.app.prisma,
      "email.verificationCode",
      { verificationId: "gone", sealedCode: "sealed:654321" },
      { runAt: now },
    );
    await worker.drain();
    expect(lookups.sort()).toEqual(["gone", "v1"]);
    const files = readdirSync(join(server.dataDir, "mail"));
    const codes = files
      .map((file) => readFileSync(join(server.dataDir, "mail", file), "utf8"))
      .filter((eml) => eml.includes("Subject: 123456 is your code for Demo"));
    expect(codes).toHaveLength(1);
    expect(files).toHaveLength(2);
    const jobs = await server.app.prisma.job.findMany({ where: { kind: "email.verificationCode" } });
    expect(jobs.map((job) => [job.status, job.payload])).toEqual([
      ["SUCCEEDED", { verificationId: expect.any(String), sealedCode: "" }],
      ["SUCCEEDED", { verificationId: expect.any(String), sealedCode: "" }],
    ]);
  });

  it("reads on a phone and lists each attachment as a download (an invitation's .ics)", async () => {
    const session = await createSession(server, cast.agent, {
      title: "Mailbox check",
      invites: [{ name: "Ivy", email: "ivy@example.org" }],
    });
    await server.app.services.jobs.drain();
    const list = await (await fetch(`${server.url}/dev/mail`)).text();
    expect(list).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    const row = list.split("<tr>").find((line) => line.includes("Invitation: Mailbox check")) ?? "";
    expect(row).toContain("(2 attachments)");
    const link = /href="(\/dev\/mail\/[^"]+\.eml)"/.exec(row)?.[1] as string;
    const message = await (await fetch(`${server.url}${link}`)).text();
    expect(message).toMatch(/<a href="[^"]+\/attachments\/\d" download>calendar\.ics<\/a> \(text\/calendar/);
    const download = /<a href="([^"]+\/attachments\/\d)" download>invite\.ics<\/a>/.exec(message)?.[1] as string;
    expect(download).toBeDefined();
    const ics = await fetch(`${server.url}${download}`);
    expect(ics.status).toBe(200);
    expect(ics.headers.get("content-type")).toMatch(/^(text\/calendar|application\/ics)/);
    expect(ics.headers.get("content-disposition")).toBe('attachment; filename="invite.ics"');
    const text = await ics.text();
    expect(text).toContain(`UID:session-${session.id}@localhost`);
    expect(text).toContain("ATTENDEE");
    expect((await fetch(`${server.url}${link}/attachments/7`)).status).toBe(404);
  });
});

describe("off unless DEV_MAILBOX is on", () => {
  it("does not serve /dev/mail in development by default (the documented npm start)", async () => {
    const development = await startTestServer({ env: { NODE_ENV: "development", JOBS_WORKER: "off" } });
    try {
      const response = await fetch(`${development.url}/dev/mail`);
      // Not mounted: the request falls through to the PWA route (503 here, as the test server has no build).
      expect(response.status).not.toBe(200);
      expect(await response.text()).not.toContain("mailbox");
    } finally {
      await development.close();
    }
  }, 120_000);

  it("refuses DEV_MAILBOX=on in production", () => {
    expect(() => loadEnv({ NODE_ENV: "production", DEV_MAILBOX: "on" })).toThrow(/DEV_MAILBOX/);
  });
});

describe("in production", () => {
  it("does not serve /dev/mail", async () => {
    const production = await startTestServer({ env: { NODE_ENV: "production", JOBS_WORKER: "off" } });
    try {
      const response = await fetch(`${production.url}/dev/mail`);
      expect(await response.text()).not.toContain("mailbox");
    } finally {
      await production.close();
    }
  }, 120_000);
});
