/**
 * bench:lighthouse — Lighthouse (mobile preset: emulated phone, simulated slow 4G and 4× CPU slowdown) on the built
 * PWA served by the real API: the sign-in page (first route) and, signed in as the demo agent, the inbox and the
 * sessions dashboard. Builds dist/ when missing, seeds the demo data into a temporary DATA_DIR (before the server
 * starts: the embedded database allows one process), runs Debian's Chromium (CHROME_PATH, default /usr/bin/chromium)
 * and writes the scores and failing audits to docs/benchmarks.md.
 */
import { execSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as chromeLauncher from "chrome-launcher";
import lighthouse, { snapshot } from "lighthouse";
import puppeteer, { type Browser, type Page as PuppeteerPage } from "puppeteer-core";
import { DEMO_PASSWORD, seed } from "../prisma/seed.ts";
import { gql, machine, startApi, writeSection } from "./lib.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const CHROME_PATH = process.env.CHROME_PATH ?? "/usr/bin/chromium";
const TARGETS = { performance: 90, accessibility: 100, "best-practices": 100 } as const;
type Category = keyof typeof TARGETS;
const CATEGORIES = Object.keys(TARGETS) as Category[];

interface Page {
  name: string;
  path: string;
  /** Made once the server runs (e.g. a session's join link). */
  pathOf?: (url: string) => Promise<string>;
  /** Demo user signed in before the page loads. */
  as?: string;
}
const PAGES: Page[] = [
  { name: "Sign in (first route)", path: "/signin" },
  { name: "Inbox (agent)", path: "/inbox", as: "demo-agent@example.com" },
  { name: "Sessions dashboard (agent)", path: "/sessions", as: "demo-agent@example.com" },
  { name: "Join page (participant, no account)", path: "/session/join/…", pathOf: joinPath },
];

/** A session scheduled by the demo agent, and the agent's access token. */
async function demoSession(url: string): Promise<{ id: string; accessToken: string; agentToken: string }> {
  const login = await gql(
    url,
    `mutation($input: LogInInput!) { logIn(input: $input) { ... on AuthPayload { accessToken } } }`,
    { input: { email: "demo-agent@example.com", password: DEMO_PASSWORD } },
  );
  const start = new Date(Date.now() + 3_600_000);
  const created = await gql(
    url,
    `mutation($input: CreateLiveSessionInput!) { createLiveSession(input: $input) {
      __typename ... on LiveSession { id accessToken } } }`,
    {
      input: {
        title: "Router setup help",
        type: "SUPPORT_CALL",
        scheduledStartAt: start.toISOString(),
        scheduledEndAt: new Date(start.getTime() + 1_800_000).toISOString(),
      },
    },
    login.logIn.accessToken,
  );
  if (!created.createLiveSession.accessToken) throw new Error(`no session: ${JSON.stringify(created)}`);
  return { ...created.createLiveSession, agentToken: login.logIn.accessToken };
}

/**
 * Signs the origin's PWA in as `email`: a refresh token where an older PWA kept it, which the app trades once for
 * its cookie (app/graphql/session.ts), and the user it shows.
 */
async function signInTab(tab: PuppeteerPage, url: string, email: string): Promise<void> {
  const session = await signIn(url, email);
  await tab.evaluate((s) => {
    localStorage.setItem("live-support.refreshToken", s.refreshToken);
    localStorage.setItem("live-support.user", JSON.stringify(s.user));
  }, session);
}

/** The join page a participant opens from the invitation. */
async function joinPath(url: string): Promise<string> {
  return `/session/join/${(await demoSession(url)).accessToken}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh session (refresh tokens work once: every page load spends one). */
async function signIn(url: string, email: string) {
  const data = await gql(
    url,
    `mutation($input: LogInInput!) { logIn(input: $input) { __typename
      ... on AuthPayload { refreshToken user { id name email role } } } }`,
    { input: { email, password: DEMO_PASSWORD } },
  );
  if (!data.logIn.refreshToken) throw new Error(`log-in failed: ${JSON.stringify(data)}`);
  return data.logIn as { refreshToken: string; user: { id: string; name: string; email: string; role: string } };
}

/**
 * `npm run seed` in this process (its CLI stays alive after closing the app here), against the temporary DATA_DIR.
 * The app is closed before the server starts: the embedded database allows one process.
 */
async function seedDemo(env: Record<string, string>) {
  Object.assign(process.env, env);
  const { loadEnv } = await import("../api/env.ts");
  const { createApp } = await import("../api/app.ts");
  const app = await createApp(loadEnv());
  try {
    await seed(app.prisma, app.services);
  } finally {
    await app.close();
  }
}

interface Result {
  page: Page;
  scores: Record<Category, number>;
  failing: Record<Category, string[]>;
  metrics: string;
}

async function main() {
  if (!existsSync(join(root, "dist/index.html")) || process.env.BENCH_BUILD === "1") {
    console.log("building the PWA (npm run build)…");
    execSync("npm run build", { cwd: root, stdio: "inherit" });
  }
  const dataDir = mkdtempSync(join(tmpdir(), "live-support-lighthouse-"));
  const env = { DATA_DIR: dataDir, NODE_ENV: "production", AUTH_SECRET: "benchmark-secret-benchmark-secret-benchmark" };
  console.log("seeding the demo data…");
  await seedDemo(env);
  const when = machine();
  const server = await startApi(env, await freePort());
  const chrome = await chromeLauncher.launch({
    chromePath: CHROME_PATH,
    chromeFlags: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      // The pre-join previews the camera and microphone.
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
    ],
  });
  const results: Result[] = [];
  let preJoin: Record<"accessibility" | "best-practices", number> | undefined;
  try {
    const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
    for (const page of PAGES) {
      const path = page.pathOf ? await page.pathOf(server.url) : page.path;
      // Start every run from an empty origin (no service worker, caches or storage), then sign in when needed.
      const tab = await browser.newPage();
      // A non-HTML file of the origin: the app (and its service worker) must not start before Lighthouse loads it.
      await tab.goto(`${server.url}/manifest.webmanifest`);
      const cdp = await tab.createCDPSession();
      await cdp.send("Storage.clearDataForOrigin", { origin: server.url, storageTypes: "all" });
      if (page.as) await signInTab(tab, server.url, page.as);
      await tab.close();
      console.log(`lighthouse ${page.path}…`);
      const run = await lighthouse(`${server.url}${path}`, {
        port: chrome.port,
        output: "json",
        logLevel: "error",
        onlyCategories: CATEGORIES,
        // Keeps the signed-in session set above; the origin was cleared just before.
        disableStorageReset: true,
      });
      if (!run) throw new Error(`no Lighthouse result for ${page.path}`);
      const { lhr } = run;
      if (lhr.runtimeError) throw new Error(`${page.path}: ${lhr.runtimeError.message}`);
      const scores = {} as Record<Category, number>;
      const failing = {} as Record<Category, string[]>;
      for (const category of CATEGORIES) {
        const entry = lhr.categories[category];
        scores[category] = Math.round((entry?.score ?? 0) * 100);
        failing[category] = (entry?.auditRefs ?? [])
          .filter((ref) => ref.weight > 0 || category === "performance")
          .map((ref) => lhr.audits[ref.id])
          .filter(
            (audit) =>
              audit &&
              audit.score !== null &&
              audit.score < 0.9 &&
              audit.scoreDisplayMode !== "informative" &&
              audit.scoreDisplayMode !== "notApplicable" &&
              audit.scoreDisplayMode !== "manual",
          )
          .map((audit) => `${audit?.id}${audit?.displayValue ? ` (${audit.displayValue})` : ""}`);
      }
      const metric = (id: string) => lhr.audits[id]?.displayValue ?? "–";
      results.push({
        page,
        scores,
        failing,
        metrics: `FCP ${metric("first-contentful-paint")}, LCP ${metric("largest-contentful-paint")}, TBT ${metric("total-blocking-time")}, CLS ${metric("cumulative-layout-shift")}, SI ${metric("speed-index")}`,
      });
      console.log(page.path, scores);
    }
    preJoin = await preJoinSnapshot(browser, server.url);
    console.log("pre-join", preJoin);
    await browser.disconnect();
  } finally {
    chrome.kill();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const mark = (category: Category, score: number) => `${score}${score >= TARGETS[category] ? "" : " ✗"}`;
  const lines = [
    "### Lighthouse, mobile (bench:lighthouse)",
    "",
    `${when}. Lighthouse ${lighthouseVersion()} with its mobile preset (Moto G Power emulation, simulated slow 4G, 4× CPU slowdown) in Debian's Chromium, on the production build served by the real API (\`npm run bench:lighthouse\`). Each page starts from an empty origin (no service worker or cache: a first visit). The machine is shared and was loaded, so the performance scores are pessimistic; accessibility and best practices do not depend on load.`,
    "",
    "| page | performance (≥ 90) | accessibility (100) | best practices (100) | metrics |",
    "| ---- | ------------------ | ------------------- | -------------------- | ------- |",
    ...results.map(
      (r) =>
        `| ${r.page.name} \`${r.page.path}\` | ${mark("performance", r.scores.performance)} | ${mark("accessibility", r.scores.accessibility)} | ${mark("best-practices", r.scores["best-practices"])} | ${r.metrics} |`,
    ),
    ...(preJoin
      ? [
          `| Pre-join (host, a snapshot after "Join call": no navigation, so no performance) | – | ${mark("accessibility", preJoin.accessibility)} | ${mark("best-practices", preJoin["best-practices"])} | – |`,
        ]
      : []),
    "",
    "Audits below 0.9 (performance: every scored audit; other categories: weighted audits):",
    "",
    ...results.flatMap((r) => {
      const parts = CATEGORIES.filter((c) => r.failing[c].length > 0).map(
        (c) => `${c}: ${r.failing[c].map((id) => `\`${id}\``).join(", ")}`,
      );
      return [`- ${r.page.path}: ${parts.length > 0 ? parts.join("; ") : "none"}`];
    }),
  ];
  writeSection("lighthouse", lines.join("\n"));
}

/**
 * The pre-join exists only inside the call (after "Join call" on a live session's page), so Lighthouse audits it as
 * a snapshot of that state: accessibility and best practices, no load metrics.
 */
async function preJoinSnapshot(browser: Browser, url: string) {
  const session = await demoSession(url);
  await gql(
    url,
    `mutation($id: ID!) { startLiveSession(id: $id) { __typename } }`,
    { id: session.id },
    session.agentToken,
  );
  const tab = await browser.newPage();
  await tab.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  await tab.goto(`${url}/manifest.webmanifest`);
  await signInTab(tab, url, "demo-agent@example.com");
  await tab.goto(`${url}/sessions/${session.id}`);
  await (await tab.waitForSelector('::-p-aria(Join call[role="button"])'))?.click();
  await tab.waitForSelector('::-p-aria(Join[role="button"])');
  const run = await snapshot(tab as never, {
    flags: { onlyCategories: ["accessibility", "best-practices"], screenEmulation: { disabled: true } },
  });
  await tab.close();
  const score = (id: string) => Math.round((run?.lhr.categories[id]?.score ?? 0) * 100);
  return { accessibility: score("accessibility"), "best-practices": score("best-practices") };
}

function lighthouseVersion(): string {
  return JSON.parse(readFileSync(join(root, "node_modules/lighthouse/package.json"), "utf8")).version;
}

await main();
process.exit(0);
