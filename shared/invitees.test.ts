import { describe, expect, it } from "vitest";
import {
  checkInvitee,
  describeProblem,
  endsWithSeparator,
  parseInviteeEntry,
  parseInviteeList,
  splitInviteeList,
} from "./invitees.ts";

describe("invitee lists", () => {
  it("reads `guest@example.com, boss@example.org` as two people (issue 19)", () => {
    expect(parseInviteeList("guest@example.com, boss@example.org")).toEqual({
      invitees: [
        { name: "guest", email: "guest@example.com" },
        { name: "boss", email: "boss@example.org" },
      ],
      problems: [],
    });
  });

  it("splits on commas, semicolons and new lines, with or without names, and keeps quoted commas", () => {
    const text =
      'Pat Doe <Pat@Example.com>; "Lee, Sam" <sam@example.org>\r\nana@example.net,\n\n<bo@example.com>, Jo Ng jo@example.com';
    expect(splitInviteeList(text)).toHaveLength(5);
    expect(parseInviteeList(text).invitees).toEqual([
      { name: "Pat Doe", email: "pat@example.com" },
      { name: "Lee, Sam", email: "sam@example.org" },
      { name: "ana", email: "ana@example.net" },
      { name: "bo", email: "bo@example.com" },
      { name: "Jo Ng", email: "jo@example.com" },
    ]);
  });

  it("tells when typing just ended an entry (not inside quotes or <…>)", () => {
    expect(endsWithSeparator("pat@example.com,")).toBe(true);
    expect(endsWithSeparator("pat@example.com;")).toBe(true);
    expect(endsWithSeparator('"Lee,')).toBe(false);
    expect(endsWithSeparator("Pat <pat@example.com")).toBe(false);
    expect(endsWithSeparator("pat@example.com")).toBe(false);
  });

  it("keeps the first spelling of a repeated address", () => {
    expect(parseInviteeList("Ann <ann@example.com>\nANN@example.com").invitees).toEqual([
      { name: "Ann", email: "ann@example.com" },
    ]);
  });

  it("names each entry it cannot read, and why", () => {
    const { invitees, problems } = parseInviteeList("ok@example.com; nonsense, Jo <jo@example.com, x@y");
    expect(invitees).toEqual([{ name: "ok", email: "ok@example.com" }]);
    expect(problems.map(describeProblem)).toEqual([
      '"nonsense" is not an email address',
      '"Jo <jo@example.com, x@y" is missing a < or >: write Name <email>',
    ]);
    expect(parseInviteeEntry("a@example.com b@example.com")).toEqual({
      ok: false,
      problem: {
        entry: "a@example.com b@example.com",
        message: "holds more than one address: give each person as their own entry",
      },
    });
  });

  it("refuses an invitee whose name is an address or whose email is a list", () => {
    expect(checkInvitee({ name: "guest@example.com", email: "boss@example.org" })?.field).toBe("name");
    expect(checkInvitee({ name: "Two", email: "a@example.com; b@example.com" })?.field).toBe("email");
    expect(checkInvitee({ name: "Pat", email: "pat@example.com" })).toBeUndefined();
  });
});
