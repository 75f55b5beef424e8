import { describe, expect, it } from "vitest";
import { concurrency, duration } from "../../app/features/sessions/analytics.ts";
import { parseInvites, parseOffsets } from "../../app/features/sessions/invites.ts";

describe("sessions screens: client logic", () => {
  it("reads pasted invitees in the usual shapes, skips duplicates and reports unreadable lines", () => {
    const { invites, bad } = parseInvites(
      [
        "Pat Doe <Pat@Example.com>",
        "sam@example.org",
        '"Lee, Kim" <lee@example.net>',
        "Ann, ann@example.com",
        "",
        "not an address",
        "pat@example.com",
      ].join("\n"),
    );
    expect(invites).toEqual([
      { name: "Pat Doe", email: "pat@example.com" },
      { name: "sam", email: "sam@example.org" },
      { name: "Lee, Kim", email: "lee@example.net" },
      { name: "Ann", email: "ann@example.com" },
    ]);
    expect(bad).toEqual(["not an address"]);
  });

  it("parses reminder offsets and refuses anything but positive whole minutes", () => {
    expect(parseOffsets("60, 15")).toEqual([60, 15]);
    expect(parseOffsets("60 10 5")).toEqual([60, 10, 5]);
    expect(parseOffsets("60, -5")).toBeUndefined();
    expect(parseOffsets("soon")).toBeUndefined();
  });

  it("builds participants over time from visits; a leave and a join at the same instant do not overlap", () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 10, minute)).toISOString();
    const points = concurrency([
      { joinedAt: at(0), leftAt: at(30) },
      { joinedAt: at(10), leftAt: at(20) },
      { joinedAt: at(20), leftAt: at(40) },
    ]);
    expect(points.map((p) => p.count)).toEqual([1, 2, 2, 1, 0]);
    expect(Math.max(...points.map((p) => p.count))).toBe(2);
    expect(duration(3725)).toBe("1 h 2 min");
    expect(duration(65)).toBe("1 min 5 s");
  });
});
