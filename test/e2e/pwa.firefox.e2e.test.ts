import { describe, it } from "vitest";
import { engineAvailable } from "./engines.ts";
import { signUpFlow, withAppIn } from "./pwa-flows.ts";

/** The PWA's main flows in Firefox ESR (puppeteer-core over WebDriver BiDi), at phone size. */
const available = engineAvailable("firefox");
const running = withAppIn("firefox", available);

describe.skipIf(!available)("PWA in Firefox", () => {
  it("signs up: form errors, then an account and the empty ticket list", async () => {
    await signUpFlow(running);
  });
});
