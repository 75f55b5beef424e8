import type { Viewer } from "../auth/auth.service.ts";
import { isStaff, type StaffViewer } from "../auth/roles.ts";
import type { Clock } from "../clock.ts";
import { NotFoundError } from "../errors.ts";
import { type LiveSession, Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import type { TicketService } from "../tickets/tickets.service.ts";
import type { SessionAccessService } from "./session-access.service.ts";
import type { SessionSchedulingService } from "./session-scheduling.service.ts";
import { ESCALATION_LEAD_MS, SUPPORT_CALL_LENGTH_MS } from "./sessions.rules.ts";

/** Support calls from tickets: started by an agent, or scheduled when a ticket becomes urgent (escalation). */
export class TicketCallService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock,
    private readonly access: SessionAccessService,
    private readonly scheduling: SessionSchedulingService,
    /** Owns every write to tickets: the call's announcement on the thread goes through it. */
    private readonly tickets: TicketService,
  ) {}

  /**
   * The automatic support call for a ticket that became urgent, 15 minutes out, with the requester invited and
   * the assignee (or the acting agent, or the first admin) as host. At most one per ticket, ever.
   */
  async escalateTicket(ticketId: string, actor: Viewer | null): Promise<LiveSession | null> {
    const existing = await this.prisma.liveSession.findUnique({ where: { escalationOfTicketId: ticketId } });
    if (existing) return null;
    try {
      return await this.createTicketCall(ticketId, actor, true);
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return null;
      throw error;
    }
  }

  /** An agent (or admin) starts a support call from a ticket: scheduled now, requester invited, linked to it. */
  async startCallFromTicket(viewer: StaffViewer, ticketId: string): Promise<LiveSession> {
    const ticket = await this.prisma.ticket.findUnique({ where: { id: ticketId }, select: { id: true } });
    if (!ticket) throw new NotFoundError("Ticket");
    return this.createTicketCall(ticketId, viewer, false);
  }

  private async createTicketCall(ticketId: string, actor: Viewer | null, escalation: boolean) {
    const ticket = await this.prisma.ticket.findUniqueOrThrow({
      where: { id: ticketId },
      include: { requester: true },
    });
    const hostId = escalation
      ? (ticket.assigneeId ??
        (actor && isStaff(actor.role) ? actor.userId : null) ??
        (await this.prisma.user.findFirst({ where: { role: "ADMIN" }, orderBy: { createdAt: "asc" } }))?.id)
      : actor?.userId;
    if (!hostId) throw new Error("no staff member to host the call");
    const now = this.clock.now();
    const start = new Date(now.getTime() + (escalation ? ESCALATION_LEAD_MS : 0));
    const reference = `TKT-${String(ticket.number).padStart(6, "0")}`;
    const title = `${escalation ? "Urgent support" : "Support call"}: ${ticket.subject}`.slice(0, 200);
    const { session, messageAdded } = await this.prisma.$transaction(async (tx) => {
      const created = await this.scheduling.insertSession(
        tx,
        hostId,
        {
          title,
          description: `Support call for ticket ${reference}.`,
          agenda: "",
          type: "SUPPORT_CALL",
          scheduledStartAt: start,
          scheduledEndAt: new Date(start.getTime() + SUPPORT_CALL_LENGTH_MS),
          maxParticipants: null,
          invites: [{ name: ticket.requester.name, email: ticket.requester.email }],
          waitingRoom: false,
          requiresApproval: false,
          passwordHash: null,
          allowedEmailDomains: [],
          emailVerificationRequired: false,
          recordingEnabled: false,
          chatEnabled: true,
          screenShareEnabled: true,
          reminderOffsets: escalation ? [5] : [],
          ticketId: ticket.id,
          ...(escalation ? { escalationOfTicketId: ticket.id } : {}),
        },
        now,
      );
      const when = escalation ? `at ${start.toISOString().slice(0, 16).replace("T", " ")} UTC` : "now";
      const messageAdded = await this.tickets.addSystemMessage(tx, {
        ticketId: ticket.id,
        authorId: hostId,
        body:
          `${escalation ? "An urgent support call" : "A support call"} (${created.publicId}) is scheduled ${when}. ` +
          `Join here: ${this.access.joinUrl(created)}`,
      });
      return { session: created, messageAdded };
    });
    await this.tickets.publish(messageAdded);
    return session;
  }
}
