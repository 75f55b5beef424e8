import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import nodemailer from "nodemailer";
import type { Clock } from "../clock.ts";
import { type Brand, brandText, DEFAULT_BRAND, type EmailMessage, layout, PRODUCT_NAME } from "./emails/layout.ts";

export interface MailerConfig {
  /** smtp://user:pass@host:587 or smtps://…; without it, messages are written to `mailDir` as .eml files. */
  smtpUrl?: string;
  /** "Live Support <no-reply@example.com>" */
  from: string;
  publicUrl: string;
  mailDir: string;
  /** SMTP connections kept open (pool) when sending many messages at once. */
  maxConnections?: number;
}

/** What the development mailbox lists at /dev/mail. */
export interface StoredMail {
  file: string;
  size: number;
}

const EML_NAME = /^[\w.-]+\.eml$/;

/**
 * Sends one message: through SMTP when configured, otherwise into `<DATA_DIR>/mail` as .eml files, so a new install
 * shows what it would send. Every message gets HTML and text, a Date from the app clock and a Message-ID on the
 * public host.
 */
export class Mailer {
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;
  readonly mode: "smtp" | "files";
  readonly fromAddress: string;
  private readonly messageIdHost: string;
  /** The workspace's name, logo and colour (api/workspace), read at each send; the product's own until set. */
  private brand: () => Promise<Brand> = async () => DEFAULT_BRAND;

  constructor(
    private readonly config: MailerConfig,
    private readonly clock: Clock,
  ) {
    this.mode = config.smtpUrl ? "smtp" : "files";
    this.transport = config.smtpUrl
      ? nodemailer.createTransport({
          url: config.smtpUrl,
          pool: true,
          maxConnections: config.maxConnections ?? 5,
          // A job holds its lease for minutes; a dead server must fail the attempt well before that.
          connectionTimeout: 15_000,
          greetingTimeout: 15_000,
          socketTimeout: 60_000,
        })
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
    this.fromAddress = /<([^>]+)>/.exec(config.from)?.[1] ?? config.from.trim();
    this.messageIdHost = new URL(config.publicUrl).hostname;
  }

  useBrand(brand: () => Promise<Brand>): void {
    this.brand = brand;
  }

  /**
   * The From header: MAIL_FROM's address, under the workspace's name while MAIL_FROM keeps the product's name
   * (an operator's own display name stays).
   */
  private from(brand: Brand): string | { name: string; address: string } {
    const displayName = /^\s*"?([^"<]*?)"?\s*</.exec(this.config.from)?.[1];
    return displayName === PRODUCT_NAME ? { name: brand.name, address: this.fromAddress } : this.config.from;
  }

  /**
   * Sends one message in the workspace's brand. Answers the SMTP server's final response; a refusal throws
   * (nodemailer's error carries `responseCode` and `response`).
   */
  async send(message: EmailMessage): Promise<{ messageId: string; accepted: boolean; response: string }> {
    const messageId = `<${randomUUID()}@${this.messageIdHost}>`;
    const brand = await this.brand();
    const body = message.content ? layout(message.content, brand) : message;
    const info = await this.transport.sendMail({
      from: this.from(brand),
      to: message.to,
      ...(message.replyTo ? { replyTo: message.replyTo } : {}),
      subject: brandText(message.subject, brand),
      html: body.html,
      text: body.text,
      date: this.clock.now(),
      messageId,
      ...(message.calendar
        ? {
            icalEvent: {
              method: message.calendar.method,
              filename: message.calendar.method === "CANCEL" ? "cancel.ics" : "invite.ics",
              content: message.calendar.content,
            },
          }
        : {}),
    });
    if (this.mode === "files") {
      await mkdir(this.config.mailDir, { recursive: true });
      const stamp = this.clock.now().toISOString().replace(/[:.]/g, "-");
      const name = `${stamp}-${messageId.slice(1, 9)}.eml`;
      await writeFile(resolve(this.config.mailDir, name), (info as { message: Buffer }).message);
      return { messageId, accepted: true, response: `Written to ${name} in the mail folder (SMTP_URL is not set)` };
    }
    const { accepted, response } = info as { accepted: unknown[]; response: string };
    return { messageId, accepted: accepted.length > 0, response };
  }

  /** Newest first. Files mode only. */
  async listStored(): Promise<StoredMail[]> {
    let names: string[];
    try {
      names = await readdir(this.config.mailDir);
    } catch {
      return [];
    }
    const stored = await Promise.all(
      names
        .filter((name) => EML_NAME.test(name))
        .map(async (file) => ({ file, size: (await stat(resolve(this.config.mailDir, file))).size })),
    );
    return stored.sort((a, b) => b.file.localeCompare(a.file));
  }

  /** The raw message, or null for a name that is not a stored .eml (no path tricks). */
  async readStored(file: string): Promise<Buffer | null> {
    if (!EML_NAME.test(file)) return null;
    try {
      return await readFile(resolve(this.config.mailDir, file));
    } catch {
      return null;
    }
  }

  close(): void {
    this.transport.close();
  }
}
