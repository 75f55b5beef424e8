import type { PrismaClient } from "../generated/prisma/client.ts";
import { type JobWorker, PermanentJobError } from "../jobs/job-worker.ts";
import { formatTicketNumber } from "../tickets/tickets.rules.ts";
import {
  type TicketEmailData,
  ticketAssignedEmail,
  ticketCreatedEmail,
  ticketCustomerMessageEmail,
  ticketReplyEmail,
  ticketResolvedEmail,
} from "./emails/ticket.emails.ts";
import type { Mailer } from "./mailer.ts";
import type { NotificationPreferenceService, TicketEmailKind } from "./notification-preferences.ts";

declare module "../jobs/jobs.service.ts" {
  interface JobPayloads {
    /** To the requester, when their ticket is created. */
    "email.ticketCreated": { ticketId: string };
    /** To the requester, when an agent answers (never for internal notes). */
    "email.ticketReply": { messageId: string };
    /** To the assignee, when the requester writes. */
    "email.ticketCustomerMessage": { messageId: string };
    /** To the new assignee. */
    "email.ticketAssigned": { ticketId: string; assigneeId: string };
    /** To the requester, when an agent resolves the ticket. */
    "email.ticketResolved": { ticketId: string };
  }
}

export interface TicketEmailDeps {
  prisma: PrismaClient;
  mailer: Mailer;
  preferences: NotificationPreferenceService;
  publicUrl: string;
}

/**
 * Handlers of the ticket emails. Each loads fresh rows when it runs (the ticket may have changed since the job was
 * queued), checks the recipient's preferences at send time, and does nothing when the email no longer makes sense.
 */
export function registerTicketEmailJobs(worker: JobWorker, deps: TicketEmailDeps): void {
  const { prisma, mailer, preferences, publicUrl } = deps;
  const people = { select: { id: true, name: true, email: true } } as const;

  function common(
    ticket: { id: string; number: number; subject: string },
    recipient: { name: string; email: string },
  ): TicketEmailData {
    return {
      to: recipient.email,
      recipientName: recipient.name,
      reference: formatTicketNumber(ticket.number),
      subject: ticket.subject,
      ticketUrl: `${publicUrl}/tickets/${ticket.id}`,
      preferencesUrl: `${publicUrl}/settings/notifications`,
    };
  }

  const wants = (userId: string, kind: TicketEmailKind) => preferences.allows(userId, kind);

  async function ticketWithPeople(ticketId: string) {
    const ticket = await prisma.ticket.findUnique({
      where: { id: ticketId },
      include: { requester: people, assignee: people },
    });
    if (!ticket) throw new PermanentJobError(`Ticket ${ticketId} no longer exists`);
    return ticket;
  }

  async function messageWithTicket(messageId: string) {
    const message = await prisma.ticketMessage.findUnique({
      where: { id: messageId },
      include: { author: people, ticket: { include: { requester: people, assignee: people } } },
    });
    if (!message) throw new PermanentJobError(`Message ${messageId} no longer exists`);
    return message;
  }

  worker.register("email.ticketCreated", async ({ ticketId }) => {
    const ticket = await ticketWithPeople(ticketId);
    if (!(await wants(ticket.requesterId, "ticketCreated"))) return;
    await mailer.send(ticketCreatedEmail({ ...common(ticket, ticket.requester), description: ticket.description }));
  });

  worker.register("email.ticketReply", async ({ messageId }) => {
    const message = await messageWithTicket(messageId);
    const { ticket } = message;
    if (message.internal || message.authorId === ticket.requesterId) return;
    if (!(await wants(ticket.requesterId, "ticketReply"))) return;
    await mailer.send(
      ticketReplyEmail({ ...common(ticket, ticket.requester), authorName: message.author.name, body: message.body }),
    );
  });

  worker.register("email.ticketCustomerMessage", async ({ messageId }) => {
    const message = await messageWithTicket(messageId);
    const { ticket } = message;
    // Sent to whoever holds the ticket now; nobody to tell when it was unassigned meanwhile.
    if (message.internal || !ticket.assignee || ticket.assignee.id === message.authorId) return;
    if (!(await wants(ticket.assignee.id, "ticketCustomerMessage"))) return;
    await mailer.send(
      ticketCustomerMessageEmail({
        ...common(ticket, ticket.assignee),
        authorName: message.author.name,
        body: message.body,
      }),
    );
  });

  worker.register("email.ticketAssigned", async ({ ticketId, assigneeId }) => {
    const ticket = await ticketWithPeople(ticketId);
    // Reassigned again before this ran: the later assignment has its own email.
    if (ticket.assigneeId !== assigneeId || !ticket.assignee) return;
    if (!(await wants(assigneeId, "ticketAssigned"))) return;
    await mailer.send(
      ticketAssignedEmail({
        ...common(ticket, ticket.assignee),
        priority: ticket.priority,
        requesterName: ticket.requester.name,
      }),
    );
  });

  worker.register("email.ticketResolved", async ({ ticketId }) => {
    const ticket = await ticketWithPeople(ticketId);
    // Reopened before this ran: "resolved" would be wrong now.
    if (ticket.status !== "RESOLVED" && ticket.status !== "CLOSED") return;
    if (!(await wants(ticket.requesterId, "ticketResolved"))) return;
    await mailer.send(ticketResolvedEmail(common(ticket, ticket.requester)));
  });
}
