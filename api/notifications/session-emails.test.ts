import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClock } from "../../test/harness.ts";
import { type MailSink, startMailSink } from "../../test/mail-sink.ts";
import { sessionCalendar } from "./calendar.ts";
import {
  type SessionEmailData,
  sessionCancelledEmail,
  sessionInvitationEmail,
  sessionReminderEmail,
  sessionStartedEmail,
  verificationCodeEmail,
} from "./emails/session.emails.ts";
import { Mailer } from "./mailer.ts";

/** Properties of an iCalendar text, unfolded (RFC 5545 §3.1): name (with parameters) → values. */
function parseIcs(ics: string): { name: string; params: string; value: string }[] {
  expect(ics.split("\r\n").every((line) => Buffer.byteLength(line) <= 75)).toBe(true);
  return ics
    .replace(/\r\n[ \t]/g, "")
    .split("\r\n")
    .filter(Boolean)
    .map((line) => {
      const match = /^([A-Z-]+)((?:;[^:]*)?):(.*)$/.exec(line);
      if (!match) throw new Error(`Not an iCalendar line: ${line}`);
      return { name: match[1] as string, params: match[2] as string, value: match[3] as string };
    });
}

const value = (lines: ReturnType<typeof parseIcs>, name: string) => lines.filter((line) => line.name === name);

const session: SessionEmailData = {
  recipient: { email: "guest@example.org", name: "Grace Guest" },
  title: "Onboarding webinar",
  description: "Everything about your first week.",
  start: new Date("2026-12-01T10:00:00.000Z"),
  end: new Date("2026-12-01T10:45:00.000Z"),
  joinUrl: "https://support.example.com/session/join/abc123",
  hostName: "Harriet Host",
  uid: "session-s1@support.example.com",
  sequence: 0,
  organizerEmail: "support@example.com",
};

describe("calendar invitations", () => {
  it("invites with METHOD:REQUEST, a stable UID, the sequence, UTC times, organizer and attendee", () => {
    const lines = parseIcs(
      sessionCalendar({
        method: "REQUEST",
        uid: session.uid,
        sequence: 3,
        title: session.title,
        description: "Agenda; details, more",
        start: session.start,
        end: session.end,
        url: session.joinUrl,
        organizer: { name: "Harriet Host", email: "support@example.com" },
        attendee: { email: "guest@example.org", name: "Grace Guest" },
        stamp: new Date("2026-11-25T09:00:00.000Z"),
      }),
    );
    expect(lines[0]).toMatchObject({ name: "BEGIN", value: "VCALENDAR" });
    expect(value(lines, "METHOD").map((line) => line.value)).toEqual(["REQUEST"]);
    expect(value(lines, "VERSION").map((line) => line.value)).toEqual(["2.0"]);
    expect(value(lines, "UID").map((line) => line.value)).toEqual([session.uid]);
    expect(value(lines, "SEQUENCE").map((line) => line.value)).toEqual(["3"]);
    expect(value(lines, "DTSTART").map((line) => line.value)).toEqual(["20261201T100000Z"]);
    expect(value(lines, "DTEND").map((line) => line.value)).toEqual(["20261201T104500Z"]);
    expect(value(lines, "DTSTAMP").map((line) => line.value)).toEqual(["20261125T090000Z"]);
    expect(value(lines, "STATUS").map((line) => line.value)).toEqual(["CONFIRMED"]);
    expect(value(lines, "SUMMARY").map((line) => line.value)).toEqual(["Onboarding webinar"]);
    expect(value(lines, "DESCRIPTION")[0]?.value).toBe(`Agenda\\; details\\, more\\n\\nJoin: ${session.joinUrl}`);
    expect(value(lines, "ORGANIZER")[0]).toMatchObject({
      params: ';CN="Harriet Host"',
      value: "mailto:support@example.com",
    });
    // URI schemes are case-insensitive (RFC 3986); ical-generator writes MAILTO: for attendees.
    expect(value(lines, "ATTENDEE")[0]?.value.toLowerCase()).toBe("mailto:guest@example.org");
    expect(value(lines, "ATTENDEE")[0]?.params).toContain("RSVP=TRUE");
  });

  it("cancels with METHOD:CANCEL and STATUS:CANCELLED on the same UID", () => {
    const lines = parseIcs(sessionCancelledEmail({ ...session, sequence: 2 }).calendar?.content ?? "");
    expect(value(lines, "METHOD").map((line) => line.value)).toEqual(["CANCEL"]);
    expect(value(lines, "STATUS").map((line) => line.value)).toEqual(["CANCELLED"]);
    expect(value(lines, "UID").map((line) => line.value)).toEqual([session.uid]);
    expect(value(lines, "SEQUENCE").map((line) => line.value)).toEqual(["2"]);
  });
});

describe("session emails through SMTP", () => {
  let sink: MailSink;
  let mailer: Mailer;
  const clock = new TestClock();
  beforeAll(async () => {
    sink = await startMailSink();
    mailer = new Mailer(
      {
        smtpUrl: sink.url,
        from: "Support <support@example.com>",
        publicUrl: "https://support.example.com",
        mailDir: "",
      },
      clock,
    );
  });
  afterAll(async () => {
    mailer?.close();
    await sink?.close();
  });

  it("sends an invitation with the .ics as text/calendar; method=REQUEST, and an update with a new sequence", async () => {
    await mailer.send(sessionInvitationEmail(session));
    await mailer.send(
      sessionInvitationEmail({
        ...session,
        start: new Date("2026-12-02T10:00:00Z"),
        end: new Date("2026-12-02T11:00:00Z"),
        sequence: 1,
      }),
    );
    const [invite, update] = sink.messages;
    expect(invite?.subject).toBe("Invitation: Onboarding webinar");
    expect(update?.subject).toBe("Updated invitation: Onboarding webinar");
    expect(invite?.text).toContain("When: Tue, 1 Dec 2026, 10:00 UTC");
    expect(invite?.text).toContain("Duration: 45 minutes");
    expect(invite?.html).toContain(`href="${session.joinUrl}"`);
    expect(invite?.text).toContain(session.joinUrl);
    const raw = sink.raw[0]?.toString() ?? "";
    expect(raw).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=REQUEST/i);
    const calendars = sink.messages.map((mail) => {
      const part = mail.attachments.find((attachment) => attachment.contentType === "text/calendar");
      return parseIcs(part?.content.toString() ?? "");
    });
    expect(calendars.map((lines) => value(lines, "UID")[0]?.value)).toEqual([session.uid, session.uid]);
    expect(calendars.map((lines) => value(lines, "SEQUENCE")[0]?.value)).toEqual(["0", "1"]);
    expect(calendars.map((lines) => value(lines, "DTSTART")[0]?.value)).toEqual([
      "20261201T100000Z",
      "20261202T100000Z",
    ]);
  });

  it("sends the cancellation, started, reminder and verification code messages with both bodies", async () => {
    sink.clear();
    await mailer.send(sessionCancelledEmail({ ...session, sequence: 2 }));
    await mailer.send(sessionStartedEmail(session));
    await mailer.send(sessionReminderEmail({ ...session, minutesBefore: 60 }));
    await mailer.send(sessionReminderEmail({ ...session, minutesBefore: 15 }));
    await mailer.send(
      verificationCodeEmail({
        to: "guest@example.org",
        sessionTitle: "Onboarding webinar",
        code: "482913",
        expiresAt: new Date("2026-11-25T09:10:00Z"),
      }),
    );
    expect(sink.messages.map((mail) => mail.subject)).toEqual([
      "Cancelled: Onboarding webinar",
      "Starting now: Onboarding webinar",
      "Reminder: Onboarding webinar starts in 1 hour",
      "Reminder: Onboarding webinar starts in 15 minutes",
      "482913 is your code for Onboarding webinar",
    ]);
    expect(sink.raw[0]?.toString()).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=CANCEL/i);
    for (const mail of sink.messages) {
      expect(mail.html).toContain("<html");
      expect(mail.text?.length).toBeGreaterThan(40);
      expect(mail.messageId).toMatch(/@support\.example\.com>$/);
      expect(mail.date?.toISOString()).toBe(clock.now().toISOString());
    }
    for (const mail of sink.messages.slice(1, 4)) expect(mail.text).toContain(session.joinUrl);
    expect(sink.messages[4]?.text).toContain("482913");
    expect(sink.messages[4]?.text).toContain("25 Nov 2026, 09:10 UTC");
  });
});
