import { builder } from "../builder.ts";
import { ErrorInterface } from "../errors.schema.ts";
import { RateLimitedError, UploadRejectedError, ValidationError } from "../errors.ts";
import { TicketCategoryEnum } from "../tickets/tickets.schema.ts";
import type { BusinessHours, CategorySetting } from "./workspace.rules.ts";
import {
  type ChecklistItem,
  MailDeliveryError,
  type TestEmailResult,
  type Workspace,
  type WorkspaceStatus,
} from "./workspace.service.ts";

/** The workspace's settings (docs/workspace.md): who may see each field is declared on it. */

builder.objectType(MailDeliveryError, {
  name: "MailDeliveryError",
  description: "The mail server could not be reached at all; the message says why (check SMTP_URL).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof MailDeliveryError,
});

const BusinessHoursRef = builder.objectRef<BusinessHours>("BusinessHours").implement({
  description: "Opening hours of one weekday, in the workspace's time zone.",
  fields: (t) => ({
    day: t.exposeInt("day", { description: "ISO weekday: 1 = Monday … 7 = Sunday." }),
    opens: t.exposeString("opens", { description: '"HH:MM", 24-hour clock.' }),
    closes: t.exposeString("closes", { description: '"HH:MM", 24-hour clock, after `opens`.' }),
  }),
});

const CategorySettingRef = builder.objectRef<CategorySetting>("TicketCategorySetting").implement({
  description: "What the workspace calls a ticket category, and whether new tickets may use it.",
  fields: (t) => ({
    category: t.expose("category", { type: TicketCategoryEnum }),
    label: t.exposeString("label"),
    enabled: t.exposeBoolean("enabled", {
      description: "Offered when opening a ticket; tickets keep theirs either way.",
    }),
  }),
});

const WorkspaceStatusRef = builder.objectRef<WorkspaceStatus>("WorkspaceStatus").implement({
  description: "What this server runs with, for the settings screen (the media server as /readyz reports it).",
  fields: (t) => ({
    pushKeys: t.exposeBoolean("pushKeys", { description: "VAPID keys for web push are in place." }),
    turn: t.exposeBoolean("turn", { description: "TURN_URLS and TURN_SECRET are set: calls cross strict NATs." }),
    mediaServer: t.exposeString("mediaServer", { description: '"up", "down", "starting"… or "off" without one.' }),
    mail: t.exposeString("mail", { description: '"smtp", or "files" when SMTP_URL is unset (DATA_DIR/mail).' }),
  }),
});

const ChecklistKeyEnum = builder.enumType("FirstRunStep", {
  values: ["INVITE_TEAM", "CHECK_EMAIL", "SCHEDULE_SESSION", "OPEN_ON_PHONE"] as const,
});

const ChecklistItemRef = builder.objectRef<ChecklistItem>("FirstRunChecklistItem").implement({
  description: "One step of the first-run checklist, ticked from what happened (not from a click).",
  fields: (t) => ({
    key: t.expose("key", { type: ChecklistKeyEnum }),
    done: t.exposeBoolean("done"),
  }),
});

const WorkspaceRef = builder.objectRef<Workspace>("Workspace").implement({
  description: "The workspace: its look for everyone; its hours, status and first run for admins.",
  fields: (t) => ({
    id: t.id({ resolve: () => "workspace", description: "Always `workspace`: there is one." }),
    name: t.exposeString("name"),
    accentColor: t.exposeString("accentColor", { description: '"#rrggbb"; white text on it is readable.' }),
    logoUrl: t.string({
      nullable: true,
      description: "Path of the logo image (public, cached: it changes with the image).",
      resolve: (workspace, _args, context) => context.services.workspace.logoPath(workspace),
    }),
    ticketCategories: t.field({
      type: [CategorySettingRef],
      description: "Every category, in order, with the workspace's label.",
      resolve: (workspace) => workspace.ticketCategories,
    }),
    timeZone: t.withAuth({ admin: true }).exposeString("timeZone", { description: "IANA name, e.g. Europe/Paris." }),
    businessHours: t.withAuth({ admin: true }).field({
      type: [BusinessHoursRef],
      resolve: (workspace) => workspace.businessHours,
    }),
    updatedAt: t.withAuth({ admin: true }).expose("updatedAt", { type: "DateTime" }),
    status: t.withAuth({ admin: true }).field({
      type: WorkspaceStatusRef,
      resolve: (_workspace, _args, context) => context.services.workspace.status(),
    }),
    firstRunChecklist: t.withAuth({ admin: true }).field({
      type: [ChecklistItemRef],
      nullable: true,
      description: "Null once an admin dismissed it.",
      resolve: (_workspace, _args, context) => context.services.workspace.checklist(context.viewer),
    }),
  }),
});

const TestEmailResultRef = builder.objectRef<TestEmailResult>("TestEmailResult").implement({
  description: "What the mail server answered to the test email.",
  fields: (t) => ({
    to: t.exposeString("to"),
    accepted: t.exposeBoolean("accepted"),
    transport: t.exposeString("transport", { description: '"smtp", or "files" without SMTP_URL.' }),
    response: t.exposeString("response", { description: 'The server\'s answer, e.g. "250 OK" or "550 No such user".' }),
  }),
});

const BusinessHoursInput = builder.inputType("BusinessHoursInput", {
  fields: (t) => ({
    day: t.int({ required: true }),
    opens: t.string({ required: true }),
    closes: t.string({ required: true }),
  }),
});

const CategorySettingInput = builder.inputType("TicketCategorySettingInput", {
  fields: (t) => ({
    category: t.field({ type: TicketCategoryEnum, required: true }),
    label: t.string({ required: true }),
    enabled: t.boolean({ required: true }),
  }),
});

const WorkspaceInput = builder.inputType("WorkspaceInput", {
  description: "Every setting at once (the form sends them all).",
  fields: (t) => ({
    name: t.string({ required: true, description: "1–60 characters." }),
    accentColor: t.string({ required: true, description: '"#rrggbb" with a contrast of 4.5:1 or more to white.' }),
    timeZone: t.string({ required: true, description: "IANA name, e.g. Europe/Paris." }),
    businessHours: t.field({ type: [BusinessHoursInput], required: true }),
    ticketCategories: t.field({
      type: [CategorySettingInput],
      required: true,
      description: "Each category once; labels 1–40 characters, unique; at least one enabled.",
    }),
  }),
});

builder.queryFields((t) => ({
  workspace: t.field({
    type: WorkspaceRef,
    description: "The workspace's name, logo and colour (public: the PWA shows them before sign-in).",
    resolve: (_root, _args, context) => context.services.workspace.get(),
  }),
}));

builder.mutationFields((t) => ({
  updateWorkspace: t.withAuth({ admin: true }).field({
    type: WorkspaceRef,
    description: "Saves the workspace's settings (admins).",
    errors: { types: [ValidationError], directResult: true },
    args: { input: t.arg({ type: WorkspaceInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.workspace.update(context.viewer, input),
  }),
  setWorkspaceLogo: t.withAuth({ admin: true }).field({
    type: WorkspaceRef,
    description: "A PNG, JPEG or WebP logo up to 512 KB; null removes it (admins).",
    errors: { types: [UploadRejectedError], directResult: true },
    args: { logo: t.arg({ type: "File", required: false }) },
    resolve: (_root, { logo }, context) => context.services.workspace.setLogo(context.viewer, logo ?? null),
  }),
  sendTestEmail: t.withAuth({ admin: true }).field({
    type: TestEmailResultRef,
    description: "Sends a test email to the admin now and answers what the mail server said.",
    errors: { types: [MailDeliveryError, RateLimitedError], directResult: true },
    resolve: async (_root, _args, context) => {
      await context.services.rateLimits.writes(context.viewer.userId);
      return context.services.workspace.sendTestEmail(context.viewer);
    },
  }),
  dismissFirstRunChecklist: t.withAuth({ admin: true }).field({
    type: WorkspaceRef,
    description: "Hides the first-run checklist for good (admins).",
    resolve: async (_root, _args, context) => {
      await context.services.workspace.dismissChecklist(context.viewer);
      return context.services.workspace.get();
    },
  }),
}));
