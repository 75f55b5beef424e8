import { describe, expect, it } from "vitest";
import { concurrency, duration } from "../../app/features/sessions/analytics.ts";
import { parseOffsets } from "../../app/features/sessions/invites.ts";

describe("sessions screens: client logic", () => {
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
