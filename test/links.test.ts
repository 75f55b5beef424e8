import { describe, expect, it } from "vitest";
import { textParts } from "../app/lib/links.ts";

describe("textParts", () => {
  it("finds the join link a support call writes into a ticket, without the sentence's full stop", () => {
    const body = "A support call (S-1) is scheduled now. Join here: https://desk.example/session/join/abc_DEF-1.";
    expect(textParts(body)).toEqual([
      { text: "A support call (S-1) is scheduled now. Join here: " },
      { text: "https://desk.example/session/join/abc_DEF-1", href: "https://desk.example/session/join/abc_DEF-1" },
      { text: "." },
    ]);
  });

  it("leaves text without addresses alone and links nothing but http(s)", () => {
    expect(textParts("call me at javascript:alert(1) or ftp://x")).toEqual([
      { text: "call me at javascript:alert(1) or ftp://x" },
    ]);
  });
});
