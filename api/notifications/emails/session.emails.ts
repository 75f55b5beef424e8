import { sessionCalendar } from "../calendar.ts";
import { type EmailMessage, formatWhen, layout } from "./layout.ts";

/** Plain data of one live session as one recipient sees it; the sessions domain loads it. */
export interface SessionEmailData {
  recipient: { email: string; name?: string | null };
  title: string;
  description?: string | null;
  start: Date;
  end: Date;
  /** The recipient's own join link (built from PUBLIC_URL by the caller). */
  joinUrl: string;
  hostName: string;
  /** Stable per session (e.g. `session-<id>@<public host>`), so calendars update the same event. */
  uid: string;
  /** Raised on every change that sends a new invite (moved, cancelled). */
  sequence: number;
  /** ORGANIZER of the calendar event and Reply-To of the email: the host, so RSVPs and replies reach them. */
  organizerEmail: string;
}

const minutes = (data: SessionEmailData) => Math.round((data.end.getTime() - data.start.getTime()) / 60_000);

const details = (data: SessionEmailData): [string, string][] => [
  ["Title", data.title],
  ["When", formatWhen(data.start)],
  ["Duration", `${minutes(data)} minutes`],
  ["Host", data.hostName],
];

const greeting = (data: SessionEmailData) => `Hello${data.recipient.name ? ` ${data.recipient.name}` : ""},`;

const footer = "You receive this because you were invited to a live session.";

function calendarOf(data: SessionEmailData, method: "REQUEST" | "CANCEL") {
  return {
    method,
    content: sessionCalendar({
      method,
      uid: data.uid,
      sequence: data.sequence,
      title: data.title,
      description: data.description ?? "",
      start: data.start,
      end: data.end,
      url: data.joinUrl,
      organizer: { name: data.hostName, email: data.organizerEmail },
      attendee: { email: data.recipient.email, name: data.recipient.name ?? undefined },
    }),
  };
}

/** Invitation with an .ics (METHOD:REQUEST); send it again with a higher sequence when the session moves. */
export function sessionInvitationEmail(data: SessionEmailData): EmailMessage {
  const updated = data.sequence > 0;
  return {
    to: data.recipient.email,
    replyTo: data.organizerEmail,
    subject: `${updated ? "Updated invitation" : "Invitation"}: ${data.title}`,
    ...layout({
      heading: updated ? `${data.title} has changed` : `You're invited to ${data.title}`,
      paragraphs: [
        greeting(data),
        updated
          ? `${data.hostName} changed this live session. The new time is below; your calendar updates with the attached invite.`
          : `${data.hostName} invites you to a live session.`,
        ...(data.description ? [data.description] : []),
      ],
      details: details(data),
      action: { label: "Join session", url: data.joinUrl },
      footer,
    }),
    calendar: calendarOf(data, "REQUEST"),
  };
}

/** Cancellation with an .ics (METHOD:CANCEL) that removes the event from the recipient's calendar. */
export function sessionCancelledEmail(data: SessionEmailData): EmailMessage {
  return {
    to: data.recipient.email,
    replyTo: data.organizerEmail,
    subject: `Cancelled: ${data.title}`,
    ...layout({
      heading: `${data.title} is cancelled`,
      paragraphs: [greeting(data), `${data.hostName} cancelled this live session.`],
      details: details(data),
      action: { label: "Open Live Support", url: new URL("/", data.joinUrl).toString() },
      footer,
    }),
    calendar: calendarOf(data, "CANCEL"),
  };
}

export function sessionStartedEmail(data: SessionEmailData): EmailMessage {
  return {
    to: data.recipient.email,
    replyTo: data.organizerEmail,
    subject: `Starting now: ${data.title}`,
    ...layout({
      heading: `${data.title} has started`,
      paragraphs: [greeting(data), `${data.hostName} has started the live session. Join now.`],
      details: details(data),
      action: { label: "Join session", url: data.joinUrl },
      footer,
    }),
  };
}

/** A reminder `minutesBefore` the start (e.g. 60 or 15). */
export function sessionReminderEmail(data: SessionEmailData & { minutesBefore: number }): EmailMessage {
  const lead =
    data.minutesBefore >= 60 && data.minutesBefore % 60 === 0
      ? `${data.minutesBefore / 60} hour${data.minutesBefore === 60 ? "" : "s"}`
      : `${data.minutesBefore} minutes`;
  return {
    to: data.recipient.email,
    replyTo: data.organizerEmail,
    subject: `Reminder: ${data.title} starts in ${lead}`,
    ...layout({
      heading: `${data.title} starts in ${lead}`,
      paragraphs: [greeting(data), `This is a reminder of the live session hosted by ${data.hostName}.`],
      details: details(data),
      action: { label: "Join session", url: data.joinUrl },
      footer,
    }),
  };
}

/** The code that proves a participant owns their email address before joining a session. */
export function verificationCodeEmail(data: {
  to: string;
  sessionTitle: string;
  code: string;
  expiresAt: Date;
}): EmailMessage {
  const message = layout({
    heading: `Your code: ${data.code}`,
    paragraphs: [
      `Enter this code to confirm your email address and join ${data.sessionTitle}.`,
      `It works once and expires at ${formatWhen(data.expiresAt)}. If you did not ask for it, ignore this email.`,
    ],
    details: [["Code", data.code]],
    footer: "You receive this because someone entered this address to join a live session.",
  });
  return { to: data.to, subject: `${data.code} is your code for ${data.sessionTitle}`, ...message };
}
