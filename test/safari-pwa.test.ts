import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pushOffer } from "../app/lib/push-offer.ts";

/**
 * Safari's rules for web apps where they differ from Chromium's (issue 20). The built page and the iPhone-in-a-tab
 * case run in WebKit (test/e2e/pwa.webkit.e2e.test.ts); here, the decision table and a scan of the app's code for
 * APIs Safari lacks (or lacked in versions still in use) that must be feature-detected where they are used.
 */
describe("push offer", () => {
  it("offers push once installed, explains installing on an iPhone or iPad in a tab, offers it elsewhere", () => {
    expect(pushOffer({ appleMobile: true, standalone: false, pushSupported: false })).toBe("install-first");
    expect(pushOffer({ appleMobile: true, standalone: false, pushSupported: true })).toBe("install-first");
    expect(pushOffer({ appleMobile: true, standalone: true, pushSupported: true })).toBe("offer");
    expect(pushOffer({ appleMobile: true, standalone: true, pushSupported: false })).toBe("unsupported");
    expect(pushOffer({ appleMobile: false, standalone: false, pushSupported: true })).toBe("offer");
    expect(pushOffer({ appleMobile: false, standalone: false, pushSupported: false })).toBe("unsupported");
  });
});

function appFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return appFiles(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

/** An API Safari lacks, how code uses it, and what counts as detecting it first (in the same file). */
const guarded: { api: string; use: RegExp; detect: RegExp }[] = [
  { api: "Web Locks", use: /navigator\.locks\.request/, detect: /!navigator\.locks|"locks" in navigator/ },
  { api: "Screen Wake Lock", use: /\.request\("screen"\)/, detect: /if \(!wakeLock\)|"wakeLock" in navigator/ },
  {
    api: "requestVideoFrameCallback",
    use: /\.requestVideoFrameCallback\(/,
    detect: /"requestVideoFrameCallback" in/,
  },
  { api: "setSinkId", use: /\.setSinkId\(/, detect: /"setSinkId" in/ },
  { api: "picture-in-picture", use: /\.requestPictureInPicture\(/, detect: /pictureInPictureEnabled/ },
  {
    api: "requestIdleCallback",
    use: /requestIdleCallback\(/,
    detect: /"requestIdleCallback" in|typeof requestIdleCallback/,
  },
  { api: "BroadcastChannel", use: /new BroadcastChannel\(/, detect: /typeof BroadcastChannel/ },
  { api: "showPicker", use: /\.showPicker\(/, detect: /"showPicker" in/ },
  { api: "MediaRecorder types", use: /new MediaRecorder\(/, detect: /MediaRecorder\.isTypeSupported/ },
  { api: "navigator.userActivation", use: /navigator\.userActivation\./, detect: /navigator\.userActivation\?\./ },
];

describe("APIs Safari lacks are feature-detected", () => {
  const files = appFiles(join(import.meta.dirname, "../app")).map((path) => ({
    path,
    source: readFileSync(path, "utf8"),
  }));

  it.each(guarded)("$api", ({ use, detect }) => {
    const unguarded = files
      .filter((file) => use.test(file.source) && !detect.test(file.source))
      .map((file) => file.path);
    expect(unguarded).toEqual([]);
  });

  it("the scan finds the guarded uses it knows of (it would pass vacuously otherwise)", () => {
    const used = guarded.filter(({ use }) => files.some((file) => use.test(file.source))).map(({ api }) => api);
    expect(used).toEqual(expect.arrayContaining(["Web Locks", "Screen Wake Lock", "setSinkId", "picture-in-picture"]));
  });
});
