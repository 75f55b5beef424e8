import type { Role, TicketPriority, TicketStatus } from "../generated/prisma/enums.ts";

/**
 * Who may move a ticket from one status to another.
 * - staff: agents and admins; requester: the customer who opened it; admin: admins only.
 * Closed is final: a customer who needs more help opens a new ticket.
 * A requester's reply to a resolved ticket reopens it (see TicketService.addMessage).
 */
type Party = "staff" | "requester" | "admin";

export const statusTransitions: Record<TicketStatus, Partial<Record<TicketStatus, Party[]>>> = {
  OPEN: { IN_PROGRESS: ["staff"], RESOLVED: ["staff"], CLOSED: ["requester", "admin"] },
  IN_PROGRESS: { OPEN: ["staff"], RESOLVED: ["staff"], CLOSED: ["requester", "admin"] },
  RESOLVED: { OPEN: ["requester", "staff"], IN_PROGRESS: ["staff"], CLOSED: ["requester", "staff"] },
  CLOSED: {},
};

export function partiesOf(role: Role, isRequester: boolean): Set<Party> {
  const parties = new Set<Party>();
  if (role === "AGENT" || role === "ADMIN") parties.add("staff");
  if (role === "ADMIN") parties.add("admin");
  if (isRequester) parties.add("requester");
  return parties;
}

/** Null when allowed, otherwise the reason it is not. */
export function transitionRefusal(from: TicketStatus, to: TicketStatus, parties: Set<Party>): string | null {
  if (from === to) return "the ticket already has this status";
  if (from === "CLOSED") return "closed tickets are final; open a new ticket instead";
  const allowed = statusTransitions[from][to];
  if (!allowed) return "this change is not part of the ticket workflow";
  return allowed.some((party) => parties.has(party)) ? null : "you are not allowed to make this change";
}

export const priorityRank: Record<TicketPriority, number> = { LOW: 1, MEDIUM: 2, HIGH: 3, URGENT: 4 };

export function formatTicketNumber(number: number): string {
  return `TKT-${String(number).padStart(6, "0")}`;
}

/** Accepts `TKT-000123`, `tkt-123` or `123`. */
export function parseTicketNumber(text: string): number | null {
  const match = /^(?:tkt-?)?0*(\d{1,9})$/i.exec(text.trim());
  return match ? Number(match[1]) : null;
}
