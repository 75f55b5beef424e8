/**
 * Demo data for a first look: `npm run seed`. Works on the database the server would use (the embedded one under
 * ./data by default, or DATABASE_URL) and can run any number of times: what exists already is left alone.
 */
import { pathToFileURL } from "node:url";
import type { Viewer } from "../api/auth/auth.service.ts";
import { hashPassword } from "../api/auth/password.ts";
import { isStaffViewer } from "../api/auth/roles.ts";
import type { PrismaClient } from "../api/generated/prisma/client.ts";
import type { Role, TicketCategory, TicketPriority, TicketStatus } from "../api/generated/prisma/enums.ts";
import type { Services } from "../api/services.ts";

export const DEMO_PASSWORD = "live-support-demo";

export const demoUsers: { email: string; name: string; role: Role }[] = [
  { email: "demo-admin@example.com", name: "Ada Admin", role: "ADMIN" },
  { email: "demo-agent@example.com", name: "Sam Agent", role: "AGENT" },
  { email: "demo-customer@example.com", name: "Carla Customer", role: "CUSTOMER" },
];

interface DemoTicket {
  subject: string;
  description: string;
  category: TicketCategory;
  priority: TicketPriority;
  /** Who says what, in order; `note` marks an internal note. */
  messages: { from: "agent" | "customer"; body: string; note?: boolean }[];
  assigned?: boolean;
  /** Status changes the agent (or, for CLOSED, the customer) makes after the conversation. */
  statuses?: TicketStatus[];
}

export const demoTickets: DemoTicket[] = [
  {
    subject: "Cannot log in after changing my password",
    description: "Since yesterday the login page says my password is wrong, even right after a reset.",
    category: "ACCOUNT",
    priority: "HIGH",
    assigned: true,
    messages: [
      { from: "agent", body: "Sorry about that! Which browser are you using?" },
      { from: "agent", body: "Password reset tokens were cached by the CDN yesterday; likely that.", note: true },
      { from: "customer", body: "Firefox on Windows." },
    ],
    statuses: ["IN_PROGRESS"],
  },
  {
    subject: "Invoice shows the wrong amount",
    description: "My November invoice charges the annual plan twice.",
    category: "BILLING",
    priority: "URGENT",
    messages: [],
  },
  {
    subject: "Video call drops after a few minutes",
    description: "Calls with support end after about five minutes on my phone.",
    category: "TECHNICAL",
    priority: "MEDIUM",
    assigned: true,
    messages: [
      { from: "agent", body: "We fixed a timeout on our side. Could you try again?" },
      { from: "customer", body: "Works now, thank you!" },
    ],
    statuses: ["RESOLVED", "CLOSED"],
  },
  {
    subject: "Dark mode for the app",
    description: "It would be great to have a dark theme for late shifts.",
    category: "FEATURE_REQUEST",
    priority: "LOW",
    messages: [{ from: "agent", body: "Thanks for the idea, it is on our list." }],
    statuses: ["RESOLVED"],
  },
];

export interface SeedResult {
  users: { email: string; role: Role; created: boolean }[];
  ticketsCreated: number;
}

/** Creates what is missing of the demo users and tickets, through the same services the API uses. */
export async function seed(prisma: PrismaClient, services: Services): Promise<SeedResult> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const users: SeedResult["users"] = [];
  const viewers = {} as Record<"admin" | "agent" | "customer", Viewer>;
  for (const demo of demoUsers) {
    const existing = await prisma.user.findUnique({ where: { email: demo.email } });
    const user = existing ?? (await prisma.user.create({ data: { ...demo, passwordHash } }));
    users.push({ email: demo.email, role: user.role, created: !existing });
    const key = demo.role.toLowerCase() as "admin" | "agent" | "customer";
    viewers[key] = {
      userId: user.id,
      sessionId: "seed",
      role: user.role,
      email: user.email,
      name: user.name,
      // The seed acts through the services directly, with no token that could expire.
      accessTokenExpiresAt: new Date(8.64e15),
    };
  }

  let ticketsCreated = 0;
  for (const demo of demoTickets) {
    const exists = await prisma.ticket.findFirst({
      where: { requesterId: viewers.customer.userId, subject: demo.subject },
      select: { id: true },
    });
    if (exists) continue;
    const { subject, description, category, priority } = demo;
    const ticket = await services.tickets.create(viewers.customer, { subject, description, category, priority });
    // Only while the demo agent's account is still staff (someone may have changed its role since).
    if (demo.assigned && isStaffViewer(viewers.agent))
      await services.tickets.assign(viewers.agent, ticket.id, viewers.agent.userId);
    for (const message of demo.messages) {
      await services.tickets.addMessage(viewers[message.from], {
        ticketId: ticket.id,
        body: message.body,
        internal: message.note ?? false,
      });
    }
    for (const status of demo.statuses ?? []) {
      await services.tickets.updateStatus(status === "CLOSED" ? viewers.customer : viewers.agent, ticket.id, status);
    }
    ticketsCreated++;
  }
  return { users, ticketsCreated };
}

async function main() {
  const { loadEnv } = await import("../api/env.ts");
  const { createApp } = await import("../api/app.ts");
  const env = loadEnv();
  const app = await createApp(env);
  try {
    const result = await seed(app.prisma, app.services);
    console.log(`Demo data ready (${result.ticketsCreated} new tickets). Sign in with password "${DEMO_PASSWORD}":`);
    for (const user of result.users) {
      console.log(`  ${user.role.padEnd(8)} ${user.email}${user.created ? "" : " (already there)"}`);
    }
  } finally {
    await app.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // Exits explicitly: the PeerJS server inside the app keeps timers that its close() cannot stop.
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error && error.name === "DatabaseInUseError" ? error.message : error);
      process.exit(1);
    },
  );
}
