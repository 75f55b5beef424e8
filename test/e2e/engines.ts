import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import puppeteer, {
  type ElementHandle,
  type Browser as PuppeteerBrowser,
  type Page as PuppeteerPage,
} from "puppeteer-core";
import { screenshotDir } from "./browser.ts";

/**
 * Firefox and WebKit for the browser tier, beside Chromium (browser.ts, playwright-core):
 * - Firefox ESR (Debian) through puppeteer-core over WebDriver BiDi, with Firefox's fake camera and microphone;
 * - WebKitGTK's MiniBrowser through WebKitWebDriver under Xvfb, driven by the W3C WebDriver protocol over plain HTTP
 *   (fetch): the dozen commands the tests need do not justify a client library and its dependency tree.
 * Both are used through one small interface (`EnginePage`), so a flow is written once and runs in either engine.
 * Elements are found by what a user reads (role and accessible name, label, text) or by test id, as in the
 * Chromium tests; every wait is a condition polled until a deadline.
 */
export type Engine = "firefox" | "webkit";

export const firefoxPath = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";
export const webkitDriverPath = process.env.WEBKIT_DRIVER_PATH ?? "/usr/bin/WebKitWebDriver";
const multiarch = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
export const miniBrowserPath = process.env.MINIBROWSER_PATH ?? `/usr/lib/${multiarch}/webkit2gtk-4.1/MiniBrowser`;
export const xvfbPath = process.env.XVFB_PATH ?? "/usr/bin/Xvfb";

/** The phone every engine test runs at. */
export const phoneViewport = { width: 390, height: 844 };

const requirements: Record<Engine, { path: string; install: string }[]> = {
  firefox: [{ path: firefoxPath, install: "firefox-esr" }],
  webkit: [
    { path: webkitDriverPath, install: "webkit2gtk-driver" },
    { path: miniBrowserPath, install: "webkit2gtk-driver" },
    { path: xvfbPath, install: "xvfb" },
  ],
};

/**
 * Whether `engine` can run here. In CI (CI set) a missing browser throws, so the file fails instead of skipping;
 * elsewhere the skip is announced loudly, as for Chromium.
 */
export function engineAvailable(engine: Engine): boolean {
  const missing = requirements[engine].filter((item) => !existsSync(item.path));
  if (missing.length === 0) return true;
  const what = missing.map((item) => `${item.path} (apt-get install ${item.install})`).join(", ");
  if (process.env.CI) throw new Error(`The ${engine} browser tests need ${what}.`);
  console.warn(`\n!!! ${what} missing: SKIPPING the ${engine} browser tests (they fail instead when CI is set). !!!\n`);
  return false;
}

/** How a test names an element: by role and accessible name, by label, by text, or by data-testid. */
export interface Query {
  role?: "button" | "link" | "heading" | "checkbox" | "textbox" | "combobox" | "status" | "region" | "toolbar";
  /** Accessible name (with `role`): a string matches case-insensitively as a substring (unless `exact`). */
  name?: string | RegExp;
  /** The label of a form control (its <label>, aria-label or aria-labelledby). */
  label?: string;
  /** Text the element shows. */
  text?: string | RegExp;
  testId?: string;
  exact?: boolean;
  /** Match only inside the first element matching this query. */
  within?: Query;
  /** Include elements that are not rendered (a visually hidden file input, say). */
  hidden?: boolean;
}

/** A query as it crosses into the page (regular expressions as source and flags). */
type WireQuery = Omit<Query, "name" | "text" | "within"> & {
  name?: { source: string; flags: string } | string;
  text?: { source: string; flags: string } | string;
  within?: WireQuery;
};

function toWire(query: Query): WireQuery {
  const pattern = (value: string | RegExp | undefined) =>
    value instanceof RegExp ? { source: value.source, flags: value.flags } : value;
  return {
    ...query,
    name: pattern(query.name),
    text: pattern(query.text),
    within: query.within ? toWire(query.within) : undefined,
  };
}

export function describeQuery(query: Query): string {
  const parts = Object.entries(query)
    .filter(([key]) => key !== "within")
    .map(([key, value]) => `${key}=${String(value)}`);
  return `{${parts.join(" ")}}${query.within ? ` within ${describeQuery(query.within)}` : ""}`;
}

/**
 * Runs in the page: every element matching the query, in document order. Self-contained (it is serialized into
 * the page by both drivers).
 */
function findAll(query: WireQuery): Element[] {
  const normalize = (text: string | null | undefined) => (text ?? "").replace(/\s+/g, " ").trim();
  const matches = (actual: string, wanted: WireQuery["name"], exact?: boolean) => {
    if (wanted === undefined) return true;
    if (typeof wanted !== "string") return new RegExp(wanted.source, wanted.flags).test(actual);
    return exact ? actual === wanted : actual.toLowerCase().includes(wanted.toLowerCase());
  };
  const visible = (element: Element) => {
    if (query.hidden) return true;
    const style = getComputedStyle(element);
    return element.getClientRects().length > 0 && style.visibility !== "hidden";
  };
  const byIds = (ids: string | null) =>
    normalize(
      (ids ?? "")
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? "")
        .join(" "),
    );
  const labelOf = (element: Element) => {
    if (element.hasAttribute("aria-labelledby")) return byIds(element.getAttribute("aria-labelledby"));
    if (element.hasAttribute("aria-label")) return normalize(element.getAttribute("aria-label"));
    const labels = (element as HTMLInputElement).labels;
    return labels ? normalize([...labels].map((label) => label.textContent).join(" ")) : "";
  };
  const nameOf = (element: Element) => {
    const label = labelOf(element);
    if (label) return label;
    if (element instanceof HTMLInputElement && ["submit", "button"].includes(element.type)) return element.value;
    return normalize(element.textContent) || normalize(element.getAttribute("title"));
  };
  const roles: Record<string, string> = {
    button: "button, [role=button], input[type=submit], input[type=button]",
    link: "a[href], [role=link]",
    heading: "h1, h2, h3, h4, h5, h6, [role=heading]",
    checkbox: "input[type=checkbox], [role=checkbox], [role=switch]",
    textbox:
      "input:not([type]), input[type=text], input[type=email], input[type=password], input[type=search], input[type=url], input[type=tel], textarea, [role=textbox]",
    combobox: "select, [role=combobox]",
    status: "[role=status], output",
    region: "section[aria-label], section[aria-labelledby], [role=region]",
    toolbar: "[role=toolbar]",
  };
  let scope: ParentNode = document;
  if (query.within) {
    const outer = findAll(query.within)[0];
    if (!outer) return [];
    scope = outer;
  }
  let candidates: Element[];
  if (query.testId) candidates = [...scope.querySelectorAll(`[data-testid="${query.testId}"]`)];
  else if (query.role) {
    candidates = [...scope.querySelectorAll(roles[query.role] ?? `[role=${query.role}]`)].filter((element) =>
      matches(nameOf(element), query.name, query.exact),
    );
  } else if (query.label) {
    candidates = [...scope.querySelectorAll("input, textarea, select, [role=textbox], [role=checkbox]")].filter(
      (element) => matches(labelOf(element), query.label, query.exact),
    );
  } else {
    // Within an element, the element itself may be the one showing the text.
    const all =
      scope === document
        ? [...document.querySelectorAll("body *")]
        : [scope as Element, ...scope.querySelectorAll("*")];
    candidates = all.filter((element) => !["SCRIPT", "STYLE", "NOSCRIPT"].includes(element.tagName));
  }
  if (query.text !== undefined) {
    const withText = candidates.filter((element) => matches(normalize(element.textContent), query.text, query.exact));
    // The innermost elements showing the text, not every ancestor of them.
    candidates = withText.filter((element) => !withText.some((other) => other !== element && element.contains(other)));
  }
  return candidates.filter(visible);
}

/** Script source that defines `findAll` in the page and applies it to its first argument. */
const finderSource = `const __name = (target) => target; const findAll = ${findAll.toString()};`;

/** One tab of one engine, at phone size. Everything a flow does goes through these few verbs. */
export interface EnginePage {
  readonly engine: Engine;
  /** The origin the page's paths are relative to. */
  readonly baseURL: string;
  goto(path: string): Promise<void>;
  reload(): Promise<void>;
  /** Path and query of the current URL. */
  path(): Promise<string>;
  /** Runs a self-contained function in the page with JSON arguments and returns its JSON result (promises awaited). */
  evaluate<T, A extends unknown[]>(fn: (...args: A) => T | Promise<T>, ...args: A): Promise<T>;
  count(query: Query): Promise<number>;
  waitFor(query: Query, timeoutMs?: number): Promise<void>;
  waitForGone(query: Query, timeoutMs?: number): Promise<void>;
  text(query: Query): Promise<string>;
  click(query: Query): Promise<void>;
  /** Replaces the control's value by typing `value`, as the keyboard would. */
  fill(query: Query, value: string): Promise<void>;
  selectOption(query: Query, value: string): Promise<void>;
  setInputFile(query: Query, filePath: string): Promise<void>;
  /** Waits until `fn` (run in the page, promises awaited) returns a truthy value and returns it. */
  waitUntil<T, A extends unknown[]>(
    fn: (...args: A) => T | Promise<T>,
    args: A,
    options?: { timeoutMs?: number; what?: string },
  ): Promise<NonNullable<T>>;
  waitForPath(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** What the phone shows (the viewport), as `<engine>-<name>.png` in test-results/screenshots/. */
  screenshot(name: string): Promise<void>;
  /** Cuts (or restores) this page's network. */
  setOffline(offline: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface EngineBrowser {
  readonly engine: Engine;
  /** A fresh, isolated profile (cookies, storage, service workers) with one page at phone size. */
  newPage(baseURL: string, options?: { userAgent?: string }): Promise<EnginePage>;
  close(): Promise<void>;
}

const defaultTimeout = 30_000;

/** Polls `check` until it returns a truthy value; errors thrown meanwhile (a page navigating) count as "not yet". */
async function until<T>(check: () => Promise<T>, timeoutMs: number, what: () => string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message.split("\n")[0]})` : "";
      throw new Error(`waited ${timeoutMs} ms for ${what()}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function saveScreenshot(engine: Engine, name: string, png: Buffer): void {
  mkdirSync(screenshotDir, { recursive: true });
  writeFileSync(join(screenshotDir, `${engine}-${name}.png`), png);
}

/** Code shared by both drivers: everything expressed through evaluate and a few element actions. */
abstract class BasePage implements EnginePage {
  abstract readonly engine: Engine;
  constructor(readonly baseURL: string) {}
  abstract goto(path: string): Promise<void>;
  abstract reload(): Promise<void>;
  /** Evaluates a JavaScript expression in the page (as the automation protocol does, outside the page's CSP). */
  abstract evaluateSource<T>(expression: string): Promise<T>;
  abstract screenshot(name: string): Promise<void>;
  abstract setOffline(offline: boolean): Promise<void>;
  abstract close(): Promise<void>;
  /** Clicks the first element matching the query (user-like: scrolled into view, real pointer events). */
  protected abstract clickFirst(query: WireQuery): Promise<boolean>;
  protected abstract typeInto(query: WireQuery, value: string): Promise<boolean>;
  protected abstract uploadInto(query: WireQuery, filePath: string): Promise<boolean>;

  async path(): Promise<string> {
    return this.evaluate(() => location.pathname + location.search);
  }

  evaluate<T, A extends unknown[]>(fn: (...args: A) => T | Promise<T>, ...args: A): Promise<T> {
    // __name: what a transpiler keeping function names may call inside the function's source.
    return this.evaluateSource<T>(
      `(() => { const __name = (target) => target; return (${fn.toString()})(...${JSON.stringify(args)}); })()`,
    );
  }

  count(query: Query): Promise<number> {
    return this.inPage((q) => findAll(q).length, query);
  }

  /** Evaluates `fn(wireQuery, extra)` with `findAll` in scope. */
  protected inPage<T>(fn: (query: WireQuery, extra?: string) => T, query: Query, extra?: string): Promise<T> {
    return this.evaluateSource<T>(
      `(() => { ${finderSource} return (${fn.toString()})(${JSON.stringify(toWire(query))}, ${JSON.stringify(extra ?? null)}); })()`,
    );
  }

  async waitFor(query: Query, timeoutMs = defaultTimeout): Promise<void> {
    await until(
      () => this.count(query),
      timeoutMs,
      () => `${describeQuery(query)} in ${this.engine}`,
    );
  }

  async waitForGone(query: Query, timeoutMs = defaultTimeout): Promise<void> {
    await until(
      async () => (await this.count(query)) === 0,
      timeoutMs,
      () => `${describeQuery(query)} to go in ${this.engine}`,
    );
  }

  async text(query: Query): Promise<string> {
    await this.waitFor(query);
    return this.inPage((q) => (findAll(q)[0]?.textContent ?? "").replace(/\s+/g, " ").trim(), query);
  }

  async click(query: Query): Promise<void> {
    await until(
      () => this.clickFirst(toWire(query)),
      defaultTimeout,
      () => `a click on ${describeQuery(query)}`,
    );
  }

  async fill(query: Query, value: string): Promise<void> {
    await until(
      () => this.typeInto(toWire(query), value),
      defaultTimeout,
      () => `${describeQuery(query)} to fill`,
    );
  }

  async selectOption(query: Query, value: string): Promise<void> {
    await this.waitFor(query);
    const done = await this.inPage(
      (q, wanted) => {
        const [select] = findAll(q) as HTMLSelectElement[];
        if (!select) return false;
        select.value = wanted ?? "";
        select.dispatchEvent(new Event("input", { bubbles: true }));
        select.dispatchEvent(new Event("change", { bubbles: true }));
        return true;
      },
      query,
      value,
    );
    if (!done) throw new Error(`no select ${describeQuery(query)}`);
  }

  async setInputFile(query: Query, filePath: string): Promise<void> {
    const hiddenToo = { ...query, hidden: true };
    await until(
      () => this.uploadInto(toWire(hiddenToo), filePath),
      defaultTimeout,
      () => `${describeQuery(query)} to take a file`,
    );
  }

  waitUntil<T, A extends unknown[]>(
    fn: (...args: A) => T | Promise<T>,
    args: A,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<NonNullable<T>> {
    return until(
      () => this.evaluate(fn, ...args),
      options.timeoutMs ?? defaultTimeout,
      () => `${options.what ?? "the condition"} in ${this.engine}`,
    );
  }

  async waitForPath(pattern: RegExp, timeoutMs = defaultTimeout): Promise<string> {
    return until(
      async () => {
        const path = await this.path();
        return pattern.test(path) ? path : "";
      },
      timeoutMs,
      () => `a URL matching ${pattern} in ${this.engine}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Firefox: puppeteer-core over WebDriver BiDi

/** Firefox ESR as every Firefox test runs it: headless, fake camera and microphone, no permission prompts. */
export function launchFirefox(): Promise<PuppeteerBrowser> {
  return puppeteer.launch({
    browser: "firefox",
    executablePath: firefoxPath,
    headless: true,
    extraPrefsFirefox: {
      "media.navigator.streams.fake": true,
      "media.navigator.permission.disabled": true,
      "media.autoplay.default": 0,
      // A headless test machine has no hardware codecs; keep Firefox from waiting for them.
      "media.hardware-video-decoding.enabled": false,
    },
  });
}

class FirefoxPage extends BasePage {
  readonly engine = "firefox" as const;
  constructor(
    readonly page: PuppeteerPage,
    baseURL: string,
    private readonly onClose: () => Promise<void>,
  ) {
    super(baseURL);
  }

  async goto(path: string): Promise<void> {
    await this.page.goto(new URL(path, this.baseURL).href, { waitUntil: "load" });
  }

  async reload(): Promise<void> {
    await this.page.reload({ waitUntil: "load" });
  }

  evaluateSource<T>(expression: string): Promise<T> {
    return this.page.evaluate(expression) as Promise<T>;
  }

  private async handle(query: WireQuery) {
    const handle = await this.page.evaluateHandle(
      `(() => { ${finderSource} return findAll(${JSON.stringify(query)})[0] ?? null; })()`,
    );
    const element = handle.asElement() as ElementHandle<Element> | null;
    if (!element) await handle.dispose();
    return element;
  }

  protected async clickFirst(query: WireQuery): Promise<boolean> {
    const element = await this.handle(query);
    if (!element) return false;
    await element.click();
    await element.dispose();
    return true;
  }

  protected async typeInto(query: WireQuery, value: string): Promise<boolean> {
    const element = await this.handle(query);
    if (!element) return false;
    await element.evaluate((input) => {
      (input as HTMLInputElement).select?.();
    });
    await element.click({ count: 3 });
    await this.page.keyboard.press("Backspace");
    await element.type(value);
    await element.dispose();
    return true;
  }

  protected async uploadInto(query: WireQuery, filePath: string): Promise<boolean> {
    const element = await this.handle(query);
    if (!element) return false;
    await (element as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(filePath);
    await element.dispose();
    return true;
  }

  async screenshot(name: string): Promise<void> {
    saveScreenshot("firefox", name, Buffer.from(await this.page.screenshot()));
  }

  async setOffline(offline: boolean): Promise<void> {
    await this.page.setOfflineMode(offline);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

export async function firefoxEngine(): Promise<EngineBrowser & { browser: PuppeteerBrowser }> {
  const browser = await launchFirefox();
  return {
    engine: "firefox",
    browser,
    async newPage(baseURL, options = {}) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport(phoneViewport);
      if (options.userAgent) await page.setUserAgent({ userAgent: options.userAgent });
      page.on("pageerror", (error) => console.error(`Firefox page error: ${(error as Error).message ?? error}`));
      return new FirefoxPage(page, baseURL, () => context.close());
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// WebKit: MiniBrowser through WebKitWebDriver under Xvfb, W3C WebDriver over HTTP

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A child process that must not outlive the tests; `exited` rejects if it dies early. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, fd3 = false) {
  let log = "";
  const child: ChildProcess = spawn(command, args, {
    env,
    stdio: ["ignore", "pipe", "pipe", ...(fd3 ? ["pipe" as const] : [])],
  });
  for (const stream of [child.stdout, child.stderr]) stream?.on("data", (data: Buffer) => (log += data.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`${command} exited (${code}):\n${log.slice(-2000)}`))),
  );
  exited.catch(() => undefined);
  // A worker that dies without its afterAll must not leave the display or the driver behind.
  const orphaned = () => child.kill("SIGKILL");
  process.once("exit", orphaned);
  child.once("exit", () => process.off("exit", orphaned));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await gone;
  };
  return { child, exited, stop, log: () => log };
}

/** WebDriver errors carry `value.error` and `value.message`. */
class WebDriverError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A minimal W3C WebDriver client: JSON over HTTP to WebKitWebDriver. */
class WebDriverSession {
  constructor(
    private readonly endpoint: string,
    readonly id: string,
  ) {}

  static async create(endpoint: string, capabilities: Record<string, unknown>): Promise<WebDriverSession> {
    const value = await WebDriverSession.send<{ sessionId: string }>(endpoint, "POST", "/session", {
      capabilities: { alwaysMatch: capabilities },
    });
    return new WebDriverSession(endpoint, value.sessionId);
  }

  static async send<T>(endpoint: string, method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(endpoint + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { value: T & { error?: string; message?: string } };
    if (!response.ok) throw new WebDriverError(json.value.error ?? String(response.status), json.value.message ?? "");
    return json.value;
  }

  command<T>(method: string, path: string, body?: unknown): Promise<T> {
    return WebDriverSession.send<T>(this.endpoint, method, `/session/${this.id}${path}`, body);
  }
}

class WebKitPage extends BasePage {
  readonly engine = "webkit" as const;
  constructor(
    readonly session: WebDriverSession,
    baseURL: string,
    private readonly network: CuttableProxy,
    private readonly onClose: () => Promise<void>,
  ) {
    super(baseURL);
  }

  async goto(path: string): Promise<void> {
    await this.session.command("POST", "/url", { url: new URL(path, this.baseURL).href });
  }

  async reload(): Promise<void> {
    await this.session.command("POST", "/refresh", {});
  }

  evaluateSource<T>(expression: string): Promise<T> {
    // execute/async: the last argument is the callback; promises are awaited in the page.
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => ${expression})
        .then((value) => done({ ok: true, value: value === undefined ? null : value }),
              (error) => done({ ok: false, error: String(error && error.stack || error) }));`;
    return this.session
      .command<{ ok: boolean; value: T; error?: string }>("POST", "/execute/async", { script, args: [] })
      .then((result) => {
        if (!result.ok) throw new Error(`in WebKit: ${result.error}`);
        return result.value;
      });
  }

  private async element(query: WireQuery): Promise<string | null> {
    const found = await this.session.command<Record<string, string> | null>("POST", "/execute/sync", {
      script: `${finderSource} return findAll(arguments[0])[0] || null;`,
      args: [query],
    });
    return found?.[ELEMENT] ?? null;
  }

  protected async clickFirst(query: WireQuery): Promise<boolean> {
    const id = await this.element(query);
    if (!id) return false;
    await this.session.command("POST", `/element/${id}/click`, {});
    return true;
  }

  protected async typeInto(query: WireQuery, value: string): Promise<boolean> {
    const id = await this.element(query);
    if (!id) return false;
    await this.session.command("POST", `/element/${id}/clear`, {});
    await this.session.command("POST", `/element/${id}/value`, { text: value });
    return true;
  }

  protected async uploadInto(query: WireQuery, filePath: string): Promise<boolean> {
    const id = await this.element(query);
    if (!id) return false;
    await this.session.command("POST", `/element/${id}/value`, { text: filePath });
    return true;
  }

  async screenshot(name: string): Promise<void> {
    // The snapshot is the last frame painted: let the page paint what it shows now first.
    await this.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const base64 = await this.session.command<string>("GET", "/screenshot");
    saveScreenshot("webkit", name, Buffer.from(base64, "base64"));
  }

  /** WebDriver has no network emulation: the page reaches the server through a proxy that can be cut. */
  async setOffline(offline: boolean): Promise<void> {
    this.network.setOffline(offline);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

/**
 * A TCP proxy in front of the test server: cutting it closes every open connection (sockets included) and refuses
 * new ones, as a lost network does. The browser itself still believes it is online (navigator.onLine stays true).
 */
export class CuttableProxy {
  private offline = false;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<CuttableProxy> {
    const { hostname, port } = new URL(target);
    let proxy: CuttableProxy | undefined;
    const server = createServer((client) => {
      if (!proxy || proxy.offline) {
        client.destroy();
        return;
      }
      const upstream = tcpConnect(Number(port), hostname);
      for (const socket of [client, upstream]) {
        proxy.sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => {
          proxy?.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = new CuttableProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  setOffline(offline: boolean): void {
    this.offline = offline;
    if (offline) for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Xvfb with a phone-sized screen and WebKitWebDriver on it. Each page is its own MiniBrowser (an ephemeral profile),
 * full screen, so the web view is exactly 390×844.
 */
export async function webkitEngine(): Promise<EngineBrowser> {
  const xvfb = start(
    xvfbPath,
    ["-displayfd", "3", "-screen", "0", `${phoneViewport.width}x${phoneViewport.height}x24`, "-nolisten", "tcp"],
    process.env,
    true,
  );
  const display = await Promise.race([
    new Promise<string>((resolve) => {
      let out = "";
      (xvfb.child.stdio[3] as NodeJS.ReadableStream).on("data", (data: Buffer) => {
        out += data.toString();
        if (out.includes("\n")) resolve(`:${out.trim()}`);
      });
    }),
    xvfb.exited,
  ]);
  /** WebKitWebDriver serves one session at a time: each page gets its own driver (it starts in milliseconds). */
  const startDriver = async () => {
    const port = await freePort();
    const driver = start(webkitDriverPath, [`--port=${port}`], { ...process.env, DISPLAY: display });
    const endpoint = `http://127.0.0.1:${port}`;
    await Promise.race([
      until(
        () => WebDriverSession.send<{ ready: boolean }>(endpoint, "GET", "/status").then((status) => status.ready),
        30_000,
        () => "WebKitWebDriver to listen",
      ),
      driver.exited,
    ]);
    return { endpoint, stop: driver.stop };
  };
  const closers = new Set<() => Promise<void>>();
  return {
    engine: "webkit",
    async newPage(baseURL, options = {}) {
      const proxy = await CuttableProxy.start(baseURL);
      const driver = await startDriver();
      const session = await WebDriverSession.create(driver.endpoint, {
        browserName: "MiniBrowser",
        "webkitgtk:browserOptions": {
          binary: miniBrowserPath,
          args: [
            "--automation",
            "--full-screen",
            "--enable-media-stream=true",
            "--enable-mock-capture-devices=true",
            ...(options.userAgent ? [`--user-agent=${options.userAgent}`] : []),
          ],
        },
      });
      const close = async () => {
        closers.delete(close);
        await session.command("DELETE", "").catch(() => undefined);
        await driver.stop();
        await proxy.close();
      };
      closers.add(close);
      const page = new WebKitPage(session, proxy.url, proxy, close);
      // Full screen alone leaves GTK's default 1024×768 window; the window takes the phone's size when asked.
      await session.command("POST", "/window/rect", phoneViewport);
      await page.waitUntil((width: number) => innerWidth === width, [phoneViewport.width], {
        what: "a phone-wide view",
      });
      return page;
    },
    async close() {
      for (const close of [...closers]) await close();
      await xvfb.stop();
    },
  };
}

export function launchEngine(engine: Engine): Promise<EngineBrowser> {
  return engine === "firefox" ? firefoxEngine() : webkitEngine();
}
