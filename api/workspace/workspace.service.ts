import type { AdminViewer } from "../auth/roles.ts";
import type { Clock } from "../clock.ts";
import { DomainError, UploadRejectedError, ValidationError } from "../errors.ts";
import { type FileStore, formatBytes } from "../files/file-store.ts";
import type { PrismaClient, WorkspaceSettings } from "../generated/prisma/client.ts";
import type { MediaServer } from "../media/media-server.ts";
import type { Brand } from "../notifications/emails/layout.ts";
import { testEmail } from "../notifications/emails/workspace.emails.ts";
import type { Mailer } from "../notifications/mailer.ts";
import {
  type BusinessHours,
  businessHoursOf,
  type CategorySetting,
  categoriesOf,
  DEFAULT_ACCENT,
  LOGO_MAX_BYTES,
  LOGO_TYPES,
  type WorkspaceInput,
  workspaceInput,
} from "./workspace.rules.ts";

const ROW_ID = "workspace";
/** How long a read of the settings serves the emails and the public query; a change on this instance clears it. */
const CACHE_MS = 10_000;

export interface Workspace {
  name: string;
  accentColor: string;
  logo: { sha256: string; mimeType: string } | null;
  timeZone: string;
  businessHours: BusinessHours[];
  ticketCategories: CategorySetting[];
  updatedAt: Date;
}

/** The SMTP server (or the mail folder) could not take the test email at all: no answer to report. */
export class MailDeliveryError extends DomainError {
  override readonly code = "MAIL_DELIVERY_FAILED";
}

export interface TestEmailResult {
  to: string;
  accepted: boolean;
  /** "smtp" or "files" (no SMTP_URL: written to DATA_DIR/mail). */
  transport: "smtp" | "files";
  /** The server's final answer, e.g. "250 OK: queued as 4XyZ" or "550 5.1.1 No such user". */
  response: string;
}

export interface WorkspaceStatus {
  pushKeys: boolean;
  turn: boolean;
  /** "up", "down", "starting"… as /readyz says, or "off" without a media server. */
  mediaServer: string;
  mail: "smtp" | "files";
}

export interface ChecklistItem {
  key: "INVITE_TEAM" | "CHECK_EMAIL" | "SCHEDULE_SESSION" | "OPEN_ON_PHONE";
  done: boolean;
}

const DEFAULT_ROW: Omit<WorkspaceSettings, "updatedAt"> = {
  id: ROW_ID,
  name: "Live Support",
  accentColor: DEFAULT_ACCENT,
  logoSha256: null,
  logoMimeType: null,
  timeZone: "UTC",
  businessHours: [],
  ticketCategories: [],
  testEmailAcceptedAt: null,
  checklistDismissedAt: null,
};

function toWorkspace(row: WorkspaceSettings): Workspace {
  return {
    name: row.name,
    accentColor: row.accentColor,
    logo: row.logoSha256 && row.logoMimeType ? { sha256: row.logoSha256, mimeType: row.logoMimeType } : null,
    timeZone: row.timeZone,
    businessHours: businessHoursOf(row.businessHours),
    ticketCategories: categoriesOf(row.ticketCategories),
    updatedAt: row.updatedAt,
  };
}

/** The workspace's settings (api/workspace/workspace.rules.ts says what is allowed), its status and first run. */
export class WorkspaceService {
  private cached: { workspace: Workspace; until: number } | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly files: FileStore,
    private readonly mailer: Mailer,
    private readonly clock: Clock,
    private readonly config: {
      publicUrl: string;
      turnConfigured: boolean;
      pushKeys: boolean;
      mediaServer: MediaServer | null;
    },
  ) {}

  async get(): Promise<Workspace> {
    const now = this.clock.now().getTime();
    if (this.cached && this.cached.until > now) return this.cached.workspace;
    const workspace = toWorkspace(await this.row());
    this.cached = { workspace, until: now + CACHE_MS };
    return workspace;
  }

  /** Where the logo is served (public, cached for good: the path changes with the content). */
  logoPath(workspace: Workspace): string | null {
    return workspace.logo ? `/workspace/logo/${workspace.logo.sha256}` : null;
  }

  /** What every email carries: the name, the logo (absolute URL) and the accent colour. */
  async brand(): Promise<Brand> {
    const workspace = await this.get();
    const logoPath = this.logoPath(workspace);
    return {
      name: workspace.name,
      accentColor: workspace.accentColor,
      logoUrl: logoPath ? new URL(logoPath, this.config.publicUrl).toString() : null,
    };
  }

  async update(_viewer: AdminViewer, input: unknown): Promise<Workspace> {
    const parsed = workspaceInput.safeParse(input);
    if (!parsed.success) throw ValidationError.fromZod(parsed.error);
    const data: WorkspaceInput = parsed.data;
    const row = await this.prisma.workspaceSettings.upsert({
      where: { id: ROW_ID },
      create: { ...data, id: ROW_ID },
      update: data,
    });
    return this.changed(row);
  }

  /** A PNG, JPEG or WebP image up to 512 KB (checked from its content), or null to remove the logo. */
  async setLogo(_viewer: AdminViewer, file: File | null): Promise<Workspace> {
    let logo: { logoSha256: string | null; logoMimeType: string | null } = { logoSha256: null, logoMimeType: null };
    if (file) {
      if (file.size > LOGO_MAX_BYTES) {
        throw new UploadRejectedError(file.name, `a logo can be at most ${formatBytes(LOGO_MAX_BYTES)}`);
      }
      const inspected = await this.files.inspect(file);
      if (inspected.meta.size > LOGO_MAX_BYTES) {
        throw new UploadRejectedError(inspected.meta.fileName, `a logo can be at most ${formatBytes(LOGO_MAX_BYTES)}`);
      }
      if (!(LOGO_TYPES as readonly string[]).includes(inspected.meta.mimeType)) {
        throw new UploadRejectedError(inspected.meta.fileName, "a logo must be a PNG, JPEG or WebP image");
      }
      const stored = await this.files.write(inspected);
      logo = { logoSha256: stored.sha256, logoMimeType: stored.mimeType };
    }
    const row = await this.prisma.workspaceSettings.upsert({
      where: { id: ROW_ID },
      create: { id: ROW_ID, ...logo },
      update: logo,
    });
    return this.changed(row);
  }

  /** The logo's type when `sha256` is the current logo (the public route serves nothing else from the store). */
  async logoFile(sha256: string): Promise<{ mimeType: string; open: () => NodeJS.ReadableStream } | null> {
    const workspace = await this.get();
    if (!workspace.logo || workspace.logo.sha256 !== sha256) return null;
    return { mimeType: workspace.logo.mimeType, open: () => this.files.open(sha256) };
  }

  /**
   * Sends a branded test email to the admin, at once (not as a job: the admin waits for the SMTP server's answer).
   * A refusal by the server is an answer (accepted: false); no connection at all is a MailDeliveryError.
   */
  async sendTestEmail(viewer: AdminViewer): Promise<TestEmailResult> {
    const to = viewer.email;
    const workspace = await this.get();
    let result: TestEmailResult;
    try {
      const sent = await this.mailer.send(
        testEmail({
          to,
          name: viewer.name,
          workspace: workspace.name,
          url: new URL("/settings", this.config.publicUrl).toString(),
        }),
      );
      result = {
        to,
        transport: this.mailer.mode,
        accepted: sent.accepted,
        response: sent.response,
      };
    } catch (error) {
      const failure = error as { responseCode?: number; response?: string; code?: string; message?: string };
      if (failure.responseCode) {
        result = {
          to,
          transport: this.mailer.mode,
          accepted: false,
          response: failure.response ?? String(failure.responseCode),
        };
      } else {
        throw new MailDeliveryError(
          `The mail server could not be reached (${failure.code ?? "error"}: ${failure.message ?? "unknown"}). Check SMTP_URL.`,
        );
      }
    }
    if (result.accepted) {
      const testEmailAcceptedAt = this.clock.now();
      await this.prisma.workspaceSettings.upsert({
        where: { id: ROW_ID },
        create: { id: ROW_ID, testEmailAcceptedAt },
        update: { testEmailAcceptedAt },
      });
    }
    return result;
  }

  /** The same checks as /readyz for the media server; keys and TURN from the configuration. */
  status(): WorkspaceStatus {
    return {
      pushKeys: this.config.pushKeys,
      turn: this.config.turnConfigured,
      mediaServer: this.config.mediaServer ? this.config.mediaServer.status() : "off",
      mail: this.mailer.mode,
    };
  }

  /**
   * The first-run checklist, read from what happened: invitations sent (or other staff accounts), a test email
   * accepted, a live session scheduled, the admin signed in from a second device. Null once dismissed.
   */
  async checklist(viewer: AdminViewer): Promise<ChecklistItem[] | null> {
    const row = await this.row();
    if (row.checklistDismissedAt) return null;
    const [invites, staff, sessions, devices] = await Promise.all([
      this.prisma.invite.count(),
      this.prisma.user.count({ where: { role: { in: ["ADMIN", "AGENT"] } } }),
      this.prisma.liveSession.count(),
      this.prisma.authSession.findMany({
        where: { userId: viewer.userId },
        distinct: ["userAgent"],
        select: { userAgent: true },
      }),
    ]);
    return [
      { key: "INVITE_TEAM", done: invites > 0 || staff > 1 },
      { key: "CHECK_EMAIL", done: row.testEmailAcceptedAt !== null },
      { key: "SCHEDULE_SESSION", done: sessions > 0 },
      { key: "OPEN_ON_PHONE", done: devices.length > 1 },
    ];
  }

  async dismissChecklist(_viewer: AdminViewer): Promise<void> {
    await this.prisma.workspaceSettings.upsert({
      where: { id: ROW_ID },
      create: { id: ROW_ID, checklistDismissedAt: this.clock.now() },
      update: { checklistDismissedAt: this.clock.now() },
    });
  }

  /** The row, or the defaults before any admin saved (reading writes nothing). */
  private async row(): Promise<WorkspaceSettings> {
    const row = await this.prisma.workspaceSettings.findUnique({ where: { id: ROW_ID } });
    return row ?? { ...DEFAULT_ROW, updatedAt: this.clock.now() };
  }

  private changed(row: WorkspaceSettings): Workspace {
    const workspace = toWorkspace(row);
    this.cached = { workspace, until: this.clock.now().getTime() + CACHE_MS };
    return workspace;
  }
}
