import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from "ical-generator";

export interface SessionCalendarInput {
  /** REQUEST invites (or updates, with a higher sequence); CANCEL removes the event. */
  method: "REQUEST" | "CANCEL";
  /** The same for every message about one session, so calendar apps update one event. */
  uid: string;
  sequence: number;
  title: string;
  description: string;
  start: Date;
  end: Date;
  url: string;
  organizer: { name: string; email: string };
  attendee: { email: string; name?: string };
  /** DTSTAMP; defaults to now. */
  stamp?: Date;
}

/** An iCalendar (RFC 5545/5546) invitation for one live session, in UTC. */
export function sessionCalendar(input: SessionCalendarInput): string {
  const calendar = ical({
    prodId: { company: "Live Support", product: "Live Support", language: "EN" },
    method: input.method === "CANCEL" ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  calendar.createEvent({
    id: input.uid,
    sequence: input.sequence,
    stamp: input.stamp ?? new Date(),
    start: input.start,
    end: input.end,
    summary: input.title,
    description: input.description ? `${input.description}\n\nJoin: ${input.url}` : `Join: ${input.url}`,
    url: input.url,
    location: input.url,
    status: input.method === "CANCEL" ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: input.organizer.name, email: input.organizer.email },
    attendees: [
      {
        email: input.attendee.email,
        name: input.attendee.name,
        role: ICalAttendeeRole.REQ,
        status: ICalAttendeeStatus.NEEDSACTION,
        rsvp: input.method === "REQUEST",
      },
    ],
  });
  return calendar.toString();
}
