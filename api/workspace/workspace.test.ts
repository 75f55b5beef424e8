import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declaredFields, rootFieldsOf } from "../../test/authz-coverage.ts";
import { type Actor, createCast, signUp } from "../../test/fixtures.ts";
import { startTestServer, type TestServer } from "../../test/harness.ts";
import { type MailSink, startMailSink } from "../../test/mail-sink.ts";
import { contrastWithWhite, isTimeZone } from "./workspace.rules.ts";

/** Workspace settings (issue 19, point 3) and the first-run checklist (point 4), through GraphQL and real SMTP. */

let server: TestServer;
let sink: MailSink;
let cast: Awaited<ReturnType<typeof createCast>>;

beforeAll(async () => {
  sink = await startMailSink();
  server = await startTestServer({
    env: { SMTP_URL: sink.url, PUBLIC_URL: "https://support.example.com", JOBS_WORKER: "off", ACCESS_TOKEN_TTL: "30d" },
  });
  cast = await createCast(server);
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

/** A 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

const categories = (overrides: Record<string, { label?: string; enabled?: boolean }> = {}) =>
  ["GENERAL", "TECHNICAL", "BILLING", "ACCOUNT", "FEATURE_REQUEST", "OTHER"].map((category) => ({
    category,
    label: overrides[category]?.label ?? category.toLowerCase().replace("_", " "),
    enabled: overrides[category]?.enabled ?? true,
  }));

const validInput = (overrides: Record<string, unknown> = {}) => ({
  name: "Acme Help",
  accentColor: "#7C2D12",
  timeZone: "Europe/Paris",
  businessHours: [
    { day: 5, opens: "09:00", closes: "16:00" },
    { day: 1, opens: "08:30", closes: "17:30" },
  ],
  ticketCategories: categories({ BILLING: { label: "Invoices" }, OTHER: { enabled: false } }),
  ...overrides,
});

const UPDATE = `mutation($input: WorkspaceInput!) { updateWorkspace(input: $input) { __typename
  ... on Workspace { name accentColor timeZone businessHours { day opens closes } ticketCategories { category label enabled } }
  ... on ValidationError { fieldErrors { path message } } } }`;
const LOGO = `mutation($logo: File) { setWorkspaceLogo(logo: $logo) { __typename
  ... on Workspace { logoUrl } ... on UploadRejectedError { message fileName } } }`;
const TEST_EMAIL = `mutation { sendTestEmail { __typename
  ... on TestEmailResult { to accepted transport response } ... on Error { code message } } }`;
const CHECKLIST = `{ workspace { firstRunChecklist { key done } } }`;
const PUBLIC = `{ workspace { id name accentColor logoUrl ticketCategories { category label enabled } } }`;

const update = (input: unknown, actor: Actor = cast.admin) => server.gql(UPDATE, { input }, actor.token);
const fieldErrors = async (input: unknown) => (await update(input)).data?.updateWorkspace.fieldErrors;

describe("rules", () => {
  it("measures contrast with white text and knows IANA zones from offsets", () => {
    expect(contrastWithWhite("#ffffff")).toBeCloseTo(1);
    expect(contrastWithWhite("#000000")).toBeCloseTo(21);
    expect(contrastWithWhite("#1d4ed8")).toBeGreaterThan(4.5);
    expect(contrastWithWhite("#facc15")).toBeLessThan(4.5);
    expect(["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"].every(isTimeZone)).toBe(true);
    expect(["+01:00", "Mars/Olympus", "", "Europe/../Paris"].some(isTimeZone)).toBe(false);
  });
});

describe("settings", () => {
  it("starts from defaults anyone can read; hours and status are for admins only", async () => {
    const anonymous = await server.gql(PUBLIC);
    expect(anonymous.data?.workspace).toMatchObject({
      id: "workspace",
      name: "Live Support",
      accentColor: "#1d4ed8",
      logoUrl: null,
    });
    expect(anonymous.data?.workspace.ticketCategories[4]).toEqual({
      category: "FEATURE_REQUEST",
      label: "Feature request",
      enabled: true,
    });
    for (const actor of [null, cast.customer, cast.agent]) {
      const result = await server.gql(`{ workspace { timeZone } }`, {}, actor?.token);
      expect(result.errors?.[0]?.extensions?.code).toBe(actor ? "FORBIDDEN" : "UNAUTHENTICATED");
    }
    const admin = await server.gql(
      `{ workspace { timeZone businessHours { day } status { pushKeys turn mediaServer mail } } }`,
      {},
      cast.admin.token,
    );
    expect(admin.data?.workspace).toEqual({
      timeZone: "UTC",
      businessHours: [],
      status: { pushKeys: true, turn: false, mediaServer: "off", mail: "smtp" },
    });
  });

  it("saves valid settings (colour lower-cased, hours by weekday) and shows them to everyone", async () => {
    const saved = await update(validInput());
    expect(saved.data?.updateWorkspace).toMatchObject({
      __typename: "Workspace",
      name: "Acme Help",
      accentColor: "#7c2d12",
      timeZone: "Europe/Paris",
      businessHours: [
        { day: 1, opens: "08:30", closes: "17:30" },
        { day: 5, opens: "09:00", closes: "16:00" },
      ],
    });
    const seen = await server.gql(PUBLIC, {}, cast.customer.token);
    expect(seen.data?.workspace).toMatchObject({ name: "Acme Help", accentColor: "#7c2d12" });
    expect(seen.data?.workspace.ticketCategories[2]).toEqual({ category: "BILLING", label: "Invoices", enabled: true });
    // A category switched off (OTHER, in validInput) is refused for new tickets, naming the field; nothing is stored.
    const before = await server.app.prisma.ticket.count();
    const refused = await server.gql(
      `mutation($input: CreateTicketInput!) { createTicket(input: $input) { __typename
        ... on ValidationError { fieldErrors { path message } } } }`,
      { input: { subject: "Something else", description: "Details", category: "OTHER" } },
      cast.customer.token,
    );
    expect(refused.data?.createTicket).toEqual({
      __typename: "ValidationError",
      fieldErrors: [{ path: "input.category", message: '"other" is not offered any more: choose another category' }],
    });
    expect(await server.app.prisma.ticket.count()).toBe(before);
    const manifest = await fetch(`${server.url}/manifest.webmanifest`);
    expect(manifest.headers.get("content-type")).toBe("application/manifest+json");
    expect(await manifest.json()).toMatchObject({ name: "Acme Help", short_name: "Acme Help", theme_color: "#7c2d12" });
  });

  it("refuses what would not work, naming the field, and changes nothing", async () => {
    expect(await fieldErrors(validInput({ name: "  " }))).toEqual([
      { path: "input.name", message: "Give the workspace a name" },
    ]);
    expect(await fieldErrors(validInput({ name: "x".repeat(61) }))).toEqual([
      { path: "input.name", message: "At most 60 characters" },
    ]);
    expect(await fieldErrors(validInput({ accentColor: "blue" }))).toEqual([
      { path: "input.accentColor", message: "Use a hex colour such as #1d4ed8" },
    ]);
    expect(await fieldErrors(validInput({ accentColor: "#FACC15" }))).toEqual([
      {
        path: "input.accentColor",
        message: "White text on #facc15 is hard to read (contrast 1.5:1, needs 4.5:1): choose a darker colour",
      },
    ]);
    for (const timeZone of ["Mars/Olympus", "+01:00"]) {
      expect(await fieldErrors(validInput({ timeZone }))).toEqual([
        { path: "input.timeZone", message: "Choose a time zone such as Europe/Paris or America/New_York" },
      ]);
    }
    expect(await fieldErrors(validInput({ businessHours: [{ day: 2, opens: "18:00", closes: "09:00" }] }))).toEqual([
      { path: "input.businessHours.0.closes", message: "Closing time must be after opening time" },
    ]);
    expect(
      (await fieldErrors(validInput({ businessHours: [{ day: 8, opens: "9:00", closes: "17:00" }] })))?.map(
        (issue: { path: string }) => issue.path,
      ),
    ).toEqual(["input.businessHours.0.day", "input.businessHours.0.opens"]);
    expect(
      await fieldErrors(
        validInput({
          businessHours: [
            { day: 2, opens: "09:00", closes: "17:00" },
            { day: 2, opens: "10:00", closes: "12:00" },
          ],
        }),
      ),
    ).toEqual([{ path: "input.businessHours", message: "Each weekday at most once" }]);
    expect(
      await fieldErrors(validInput({ ticketCategories: categories({ OTHER: { label: "Billing" }, BILLING: {} }) })),
    ).toEqual([{ path: "input.ticketCategories.5.label", message: '"Billing" is used twice' }]);
    expect(
      await fieldErrors(validInput({ ticketCategories: categories({ GENERAL: { label: "y".repeat(41) } }) })),
    ).toEqual([{ path: "input.ticketCategories.0.label", message: "At most 40 characters" }]);
    expect(await fieldErrors(validInput({ ticketCategories: categories().slice(1) }))).toEqual([
      { path: "input.ticketCategories", message: "List each category once (missing: GENERAL)" },
    ]);
    const none = Object.fromEntries(categories().map(({ category }) => [category, { enabled: false }]));
    expect(await fieldErrors(validInput({ ticketCategories: categories(none) }))).toEqual([
      { path: "input.ticketCategories", message: "Keep at least one category for new tickets" },
    ]);
    expect((await server.gql(PUBLIC)).data?.workspace).toMatchObject({ name: "Acme Help", accentColor: "#7c2d12" });
  });

  it("takes a small PNG, JPEG or WebP logo (checked from its content) and serves only the current one", async () => {
    const upload = (file: File) => server.upload(LOGO, { logo: null }, { logo: file }, cast.admin.token);
    const svg = await upload(
      new File(['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'], "logo.png"),
    );
    expect(svg.data?.setWorkspaceLogo).toEqual({
      __typename: "UploadRejectedError",
      fileName: "logo.png",
      message: "logo.png: a logo must be a PNG, JPEG or WebP image",
    });
    const big = await upload(new File([PNG, Buffer.alloc(600 * 1024)], "huge.png"));
    expect(big.data?.setWorkspaceLogo.message).toBe("huge.png: a logo can be at most 512 KB");
    const first = await upload(new File([PNG], "logo.png", { type: "image/png" }));
    const path = first.data?.setWorkspaceLogo.logoUrl as string;
    expect(path).toMatch(/^\/workspace\/logo\/[0-9a-f]{64}$/);
    const served = await fetch(`${server.url}${path}`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
    // Removing it: the old path answers 404, and nothing else in the file store is reachable this way.
    const removed = await server.gql(LOGO, { logo: null }, cast.admin.token);
    expect(removed.data?.setWorkspaceLogo.logoUrl).toBeNull();
    expect((await fetch(`${server.url}${path}`)).status).toBe(404);
    await upload(new File([PNG], "logo.png", { type: "image/png" }));
  });
});

describe("test email", () => {
  it("reaches the SMTP server in the workspace's brand and reports its answer", async () => {
    sink.clear();
    const sent = await server.gql(TEST_EMAIL, {}, cast.admin.token);
    expect(sent.data?.sendTestEmail).toMatchObject({
      __typename: "TestEmailResult",
      to: "admin@example.com",
      accepted: true,
      transport: "smtp",
    });
    expect(sent.data?.sendTestEmail.response).toMatch(/^250 /);
    const [mail] = sink.to("admin@example.com");
    expect(mail?.subject).toBe("Test email from Acme Help");
    expect(mail?.from?.value[0]).toEqual({ name: "Acme Help", address: "no-reply@localhost" });
    expect(mail?.html).toContain("background:#7c2d12");
    expect(mail?.html).toMatch(/<img src="https:\/\/support\.example\.com\/workspace\/logo\/[0-9a-f]{64}"/);
    expect(mail?.text).toContain("Back to the settings: https://support.example.com/settings");
  });

  it("brands the other emails too (a password reset names the workspace)", async () => {
    sink.clear();
    await server.gql(`mutation { requestPasswordReset(email: "carol@example.com") { __typename } }`);
    await server.app.services.jobs.drain();
    const [mail] = sink.to("carol@example.com");
    expect(mail?.subject).toBe("Reset your Acme Help password");
    expect(mail?.html).toContain("Acme Help</p>");
  });

  it("reports a refusal with the server's words, and an unreachable server as a typed error", async () => {
    sink.refuse = true;
    const refused = await server.gql(TEST_EMAIL, {}, cast.admin.token);
    sink.refuse = false;
    expect(refused.data?.sendTestEmail).toMatchObject({ accepted: false, transport: "smtp" });
    expect(refused.data?.sendTestEmail.response).toContain("451 Mailbox temporarily unavailable");

    const down = await startTestServer({ env: { SMTP_URL: "smtp://127.0.0.1:9", JOBS_WORKER: "off" } });
    try {
      const admin = await signUp(down, "solo@example.com");
      const failed = await down.gql(TEST_EMAIL, {}, admin.token);
      expect(failed.data?.sendTestEmail).toMatchObject({
        __typename: "MailDeliveryError",
        code: "MAIL_DELIVERY_FAILED",
      });
      expect(failed.data?.sendTestEmail.message).toMatch(
        /^The mail server could not be reached \(ESOCKET: connect ECONNREFUSED 127\.0\.0\.1:9\)/,
      );
    } finally {
      await down.close();
    }
  }, 180_000);
});

describe("first-run checklist", () => {
  it("ticks itself from what happens, for admins only, until dismissed", async () => {
    const fresh = await startTestServer({ env: { JOBS_WORKER: "off" } });
    try {
      const admin = await signUp(fresh, "first@example.com");
      const steps = async () =>
        Object.fromEntries(
          (
            ((await fresh.gql(CHECKLIST, {}, admin.token)).data?.workspace.firstRunChecklist ?? []) as {
              key: string;
              done: boolean;
            }[]
          ).map(({ key, done }) => [key, done]),
        );
      expect(await steps()).toEqual({
        INVITE_TEAM: false,
        CHECK_EMAIL: false,
        SCHEDULE_SESSION: false,
        OPEN_ON_PHONE: false,
      });

      await fresh.gql(
        `mutation { inviteUser(input: { email: "new@example.com", name: "New", role: AGENT }) { __typename } }`,
        {},
        admin.token,
      );
      // No SMTP_URL: the test email goes to the mail folder, which counts (the answer says so).
      const sent = await fresh.gql(TEST_EMAIL, {}, admin.token);
      expect(sent.data?.sendTestEmail).toMatchObject({ accepted: true, transport: "files" });
      expect(sent.data?.sendTestEmail.response).toMatch(
        /^Written to .*\.eml in the mail folder \(SMTP_URL is not set\)$/,
      );
      const start = new Date(fresh.clock.now().getTime() + 86_400_000);
      await fresh.gql(
        `mutation($s: DateTime!, $e: DateTime!) { createLiveSession(input: { title: "Test run", type: SUPPORT_CALL,
          scheduledStartAt: $s, scheduledEndAt: $e }) { __typename } }`,
        { s: start.toISOString(), e: new Date(start.getTime() + 1_800_000).toISOString() },
        admin.token,
      );
      expect(await steps()).toEqual({
        INVITE_TEAM: true,
        CHECK_EMAIL: true,
        SCHEDULE_SESSION: true,
        OPEN_ON_PHONE: false,
      });

      // Signing in from a second device (another browser) ticks the last step.
      await fetch(`${fresh.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
        },
        body: JSON.stringify({
          query: `mutation { logIn(input: { email: "first@example.com", password: "correct horse battery" }) { __typename } }`,
        }),
      });
      expect((await steps()).OPEN_ON_PHONE).toBe(true);

      const customer = await signUp(fresh, "cust@example.com");
      expect((await fresh.gql(CHECKLIST, {}, customer.token)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      const dismissed = await fresh.gql(
        `mutation { dismissFirstRunChecklist { firstRunChecklist { key } } }`,
        {},
        admin.token,
      );
      expect(dismissed.data?.dismissFirstRunChecklist.firstRunChecklist).toBeNull();
      expect((await fresh.gql(CHECKLIST, {}, admin.token)).data?.workspace.firstRunChecklist).toBeNull();
    } finally {
      await fresh.close();
    }
  }, 180_000);
});

describe("authorization", () => {
  it("lets only admins change the workspace or send a test email; anyone reads its look", async () => {
    const operations: [string, string, Record<string, unknown>][] = [
      ["workspace", `{ workspace { name } }`, {}],
      ["updateWorkspace", UPDATE, { input: validInput() }],
      ["setWorkspaceLogo", LOGO, { logo: null }],
      ["sendTestEmail", TEST_EMAIL, {}],
      ["dismissFirstRunChecklist", `mutation { dismissFirstRunChecklist { __typename } }`, {}],
    ];
    const outcomes: Record<string, string[]> = {};
    for (const [field, query, variables] of operations) {
      outcomes[field] = [];
      for (const actor of [null, cast.customer, cast.agent, cast.admin]) {
        const result = await server.gql(query, variables, actor?.token);
        outcomes[field].push(String(result.errors?.[0]?.extensions?.code ?? result.data?.[field]?.__typename ?? "ok"));
      }
    }
    const adminOnly = (answer: string) => ["UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", answer];
    expect(outcomes).toEqual({
      workspace: ["ok", "ok", "ok", "ok"],
      updateWorkspace: adminOnly("Workspace"),
      setWorkspaceLogo: adminOnly("Workspace"),
      sendTestEmail: adminOnly("TestEmailResult"),
      dismissFirstRunChecklist: adminOnly("Workspace"),
    });
    expect(rootFieldsOf(operations.map(([, query]) => query))).toEqual(
      declaredFields("api/workspace/workspace.test.ts#authz"),
    );
  });
});
