import { describe, it } from "vitest";
import { engineAvailable } from "./engines.ts";
import { signUpFlow, withAppIn } from "./pwa-flows.ts";

/** The PWA's main flows in WebKitGTK (MiniBrowser through WebKitWebDriver), at phone size. */
const available = engineAvailable("webkit");
const running = withAppIn("webkit", available);

describe.skipIf(!available)("PWA in WebKit", () => {
  it("signs up: form errors, then an account and the empty ticket list", async () => {
    await signUpFlow(running);
  });
});
