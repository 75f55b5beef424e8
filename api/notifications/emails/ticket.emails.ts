import { type EmailMessage, layout } from "./layout.ts";

/** Plain data every ticket email needs; the job handlers load it (ticket-email.jobs.ts). */
export interface TicketEmailData {
  to: string;
  recipientName: string;
  /** TKT-000123 */
  reference: string;
  subject: string;
  ticketUrl: string;
  /** Where the recipient turns this kind of email off. */
  preferencesUrl: string;
}

const footer = (data: TicketEmailData) =>
  `You receive this because of ticket ${data.reference}. Choose which emails you get: ${data.preferencesUrl}`;

const title = (data: TicketEmailData, prefix: string) => `[${data.reference}] ${prefix}${data.subject}`;

export function ticketCreatedEmail(data: TicketEmailData & { description: string }): EmailMessage {
  return {
    to: data.to,
    subject: title(data, "We received your request: "),
    ...layout({
      heading: "We received your request",
      paragraphs: [
        `Hello ${data.recipientName},`,
        `Your ticket ${data.reference} is open. An agent will answer soon; you will get an email when they do.`,
      ],
      details: [["Subject", data.subject]],
      quote: data.description,
      action: { label: "View your ticket", url: data.ticketUrl },
      footer: footer(data),
    }),
  };
}

export function ticketReplyEmail(data: TicketEmailData & { authorName: string; body: string }): EmailMessage {
  return {
    to: data.to,
    subject: title(data, "New reply: "),
    ...layout({
      heading: `${data.authorName} replied to your ticket`,
      paragraphs: [`Hello ${data.recipientName},`, `There is a new reply on ${data.reference}:`],
      quote: data.body,
      action: { label: "Reply", url: data.ticketUrl },
      footer: footer(data),
    }),
  };
}

export function ticketCustomerMessageEmail(data: TicketEmailData & { authorName: string; body: string }): EmailMessage {
  return {
    to: data.to,
    subject: title(data, "Customer replied: "),
    ...layout({
      heading: `${data.authorName} wrote on ${data.reference}`,
      paragraphs: [`Hello ${data.recipientName},`, "The customer added a message to a ticket assigned to you:"],
      quote: data.body,
      action: { label: "Open the ticket", url: data.ticketUrl },
      footer: footer(data),
    }),
  };
}

export function ticketAssignedEmail(data: TicketEmailData & { priority: string; requesterName: string }): EmailMessage {
  return {
    to: data.to,
    subject: title(data, "Assigned to you: "),
    ...layout({
      heading: `${data.reference} is assigned to you`,
      paragraphs: [`Hello ${data.recipientName},`, "A ticket was assigned to you."],
      details: [
        ["Subject", data.subject],
        ["Priority", data.priority],
        ["Requester", data.requesterName],
      ],
      action: { label: "Open the ticket", url: data.ticketUrl },
      footer: footer(data),
    }),
  };
}

export function ticketResolvedEmail(data: TicketEmailData): EmailMessage {
  return {
    to: data.to,
    subject: title(data, "Resolved: "),
    ...layout({
      heading: "Your ticket is resolved",
      paragraphs: [
        `Hello ${data.recipientName},`,
        `We marked ${data.reference} as resolved. If the problem is still there, reply on the ticket and it opens again.`,
      ],
      details: [["Subject", data.subject]],
      action: { label: "View the ticket", url: data.ticketUrl },
      footer: footer(data),
    }),
  };
}
