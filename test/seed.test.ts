import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, demoTickets, demoUsers, seed } from "../prisma/seed.ts";
import { startTestServer, type TestServer } from "./harness.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
}, 300_000);
afterAll(async () => {
  await server?.close();
});

const logIn = async (email: string) => {
  const result = await server.gql(
    `mutation($e: String!, $p: String!) { logIn(input: { email: $e, password: $p }) {
      __typename ... on AuthPayload { accessToken user { role } } } }`,
    { e: email, p: DEMO_PASSWORD },
  );
  return result.data?.logIn;
};

describe("npm run seed", () => {
  it("creates demo users and tickets, and changes nothing when run again", async () => {
    const first = await seed(server.app.prisma, server.app.services);
    expect(first.users.map(({ email, role, created }) => ({ email, role, created }))).toEqual(
      demoUsers.map(({ email, role }) => ({ email, role, created: true })),
    );
    expect(first.ticketsCreated).toBe(demoTickets.length);
    const counts = async () => ({
      users: await server.app.prisma.user.count(),
      tickets: await server.app.prisma.ticket.count(),
      messages: await server.app.prisma.ticketMessage.count(),
    });
    const before = await counts();
    const again = await seed(server.app.prisma, server.app.services);
    expect(again.ticketsCreated).toBe(0);
    expect(again.users.every((user) => !user.created)).toBe(true);
    expect(await counts()).toEqual(before);
  });

  it("gives working demo credentials and a realistic inbox", async () => {
    for (const user of demoUsers) expect(await logIn(user.email)).toMatchObject({ user: { role: user.role } });
    const customer = await logIn("demo-customer@example.com");
    const list = await server.gql(
      `{ tickets(orderBy: CREATED_AT) { totalCount edges { node { subject status messages { totalCount } } } } }`,
      {},
      customer.accessToken,
    );
    expect(list.data?.tickets.totalCount).toBe(demoTickets.length);
    const statuses = list.data?.tickets.edges.map((edge: { node: { status: string } }) => edge.node.status).sort();
    expect(statuses).toEqual(["CLOSED", "IN_PROGRESS", "OPEN", "RESOLVED"]);
    // The customer does not see the agent's internal note; the agent does.
    const agent = await logIn("demo-agent@example.com");
    const subject = "Cannot log in after changing my password";
    const count = async (token: string) => {
      const result = await server.gql(`{ tickets { edges { node { subject messages { totalCount } } } } }`, {}, token);
      return result.data?.tickets.edges.find((edge: { node: { subject: string } }) => edge.node.subject === subject)
        ?.node.messages.totalCount;
    };
    expect(await count(customer.accessToken)).toBe(2);
    expect(await count(agent.accessToken)).toBe(3);
  });
});
