import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { createTicket, signUp } from "../../test/fixtures.ts";
import { eventually } from "../../test/harness.ts";
import { killHard, withServerProcesses } from "../../test/server-process.ts";
import { ADD_MESSAGE } from "../../test/ticket-fixtures.ts";

// Two real server processes start one after the other on a shared 2-core machine.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

const processes = withServerProcesses("idempotency");
const startServer = () => processes.start({ IDEMPOTENCY_LEASE: "1s" });

/** Holds every write of an answer to an idempotency key, so the server can be killed after its commit. */
const STALL_ANSWERS = `
  CREATE FUNCTION stall_idempotent_answers() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN IF NEW.response IS NOT NULL THEN PERFORM pg_sleep(600); END IF; RETURN NEW; END $$;
  CREATE TRIGGER stall_idempotent_answers BEFORE UPDATE ON "IdempotencyRecord"
    FOR EACH ROW EXECUTE FUNCTION stall_idempotent_answers();`;

describe("a reply whose server died after the commit", () => {
  it("is not stored again by a retry with its idempotency key", async () => {
    const database = processes.database();
    const first = await startServer();
    const customer = await signUp(first, "carol@example.com");
    const ticket = await createTicket(first, customer);
    await database.withSession((session) => session.exec(STALL_ANSWERS));

    const key = randomUUID();
    const input = { ticketId: ticket.id, body: "Answer lost in the crash", internal: false };
    const lostAnswer = first.gql(ADD_MESSAGE, { input }, customer.token, { idempotencyKey: key }).catch(() => null);
    const stalled = () =>
      database.withSession((session) =>
        session.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_stat_activity WHERE wait_event = 'PgSleep'`,
        ),
      );
    // The reply committed and the server is writing its answer: it dies now.
    await eventually(async () => (await stalled())[0]?.count === 1, { what: "the answer's write", timeoutMs: 60_000 });
    const messages = () => database.prisma.ticketMessage.count({ where: { body: input.body } });
    expect(await messages()).toBe(1);
    await killHard(first.child);
    expect(await lostAnswer).toBeNull();
    await database.withSession((session) =>
      session.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep';
        DROP TRIGGER stall_idempotent_answers ON "IdempotencyRecord";`),
    );

    const second = await startServer();
    const retried = await second.gql(ADD_MESSAGE, { input }, customer.token, { idempotencyKey: key });
    expect(retried.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_ANSWER_LOST");
    expect(await messages()).toBe(1);

    // A new action still goes through on the new instance.
    const next = await second.gql(ADD_MESSAGE, { input: { ...input, body: "After the crash" } }, customer.token, {
      idempotencyKey: randomUUID(),
    });
    expect(next.data?.addTicketMessage.__typename).toBe("TicketMessage");
  });
});
