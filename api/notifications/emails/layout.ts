/** A finished message: what the mailer sends. Templates build it from plain data and never touch the database. */
export interface EmailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Where replies go (e.g. the host of a session invite), when not to the sender. */
  replyTo?: string;
  /** A calendar invite sent as a `text/calendar; method=…` alternative (see calendar.ts). */
  calendar?: { method: "REQUEST" | "CANCEL"; content: string };
  /** What `layout` built the bodies from: the mailer builds them again with the workspace's brand. */
  content?: LayoutInput;
}

/** The workspace's look in every email (api/workspace): its name, logo and accent colour. */
export interface Brand {
  name: string;
  /** Absolute URL of the logo image, or null. */
  logoUrl: string | null;
  /** "#rrggbb", dark enough for white text. */
  accentColor: string;
}

/** Templates name the product "Live Support"; sent mail names the workspace instead. */
export const PRODUCT_NAME = "Live Support";
export const DEFAULT_BRAND: Brand = { name: PRODUCT_NAME, logoUrl: null, accentColor: "#1d4ed8" };

export function brandText(value: string, brand: Brand): string {
  return brand.name === PRODUCT_NAME ? value : value.replaceAll(PRODUCT_NAME, brand.name);
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export interface LayoutInput {
  /** First line of the body, e.g. "Your request has been received". */
  heading: string;
  /** Paragraphs of plain text; escaped for HTML, kept as is for the text part. */
  paragraphs: string[];
  /** Label/value lines such as "When: Tuesday 10:00". */
  details?: [label: string, value: string][];
  /** A quoted block (a message body). */
  quote?: string;
  /** The one button (and its link spelled out). */
  action?: { label: string; url: string };
  /** Why the recipient gets this message and how to stop it. */
  footer: string;
}

/** The HTML and text bodies every message shares, so both always carry the same content and links. */
export function layout(
  unbranded: LayoutInput,
  brand: Brand = DEFAULT_BRAND,
): { html: string; text: string; content: LayoutInput } {
  const named = (value: string) => brandText(value, brand);
  const input: LayoutInput = {
    ...unbranded,
    heading: named(unbranded.heading),
    paragraphs: unbranded.paragraphs.map(named),
    footer: named(unbranded.footer),
    ...(unbranded.action ? { action: { ...unbranded.action, label: named(unbranded.action.label) } } : {}),
  };
  const details = input.details ?? [];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(input.heading)}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px;border-top:4px solid ${brand.accentColor}">
<p style="margin:0 0 16px;font-weight:600;color:${brand.accentColor}">${
    brand.logoUrl
      ? `<img src="${escapeHtml(brand.logoUrl)}" alt="" height="32" style="height:32px;vertical-align:middle;margin-right:8px">`
      : ""
  }${escapeHtml(brand.name)}</p>
<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(input.heading)}</h1>
${input.paragraphs.map((paragraph) => `<p style="line-height:1.5">${escapeHtml(paragraph)}</p>`).join("\n")}
${
  details.length
    ? `<table style="border-collapse:collapse;margin:12px 0">${details
        .map(
          ([label, value]) =>
            `<tr><td style="padding:2px 12px 2px 0;color:#52606d">${escapeHtml(label)}</td><td>${escapeHtml(value)}</td></tr>`,
        )
        .join("")}</table>`
    : ""
}
${
  input.quote
    ? `<blockquote style="margin:12px 0;padding:8px 12px;border-left:3px solid #cbd2d9;white-space:pre-wrap">${escapeHtml(input.quote)}</blockquote>`
    : ""
}
${
  input.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(input.action.url)}" style="background:${brand.accentColor};color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(input.action.label)}</a></p>
<p style="font-size:13px;color:#52606d">Or open this link: <a href="${escapeHtml(input.action.url)}">${escapeHtml(input.action.url)}</a></p>`
    : ""
}
<hr style="border:none;border-top:1px solid #e4e7eb;margin:24px 0">
<p style="font-size:12px;color:#7b8794">${escapeHtml(input.footer)}</p>
</div></body></html>`;
  const text = [
    input.heading,
    "",
    ...input.paragraphs.flatMap((paragraph) => [paragraph, ""]),
    ...(details.length ? [...details.map(([label, value]) => `${label}: ${value}`), ""] : []),
    ...(input.quote ? [...input.quote.split("\n").map((line) => `> ${line}`), ""] : []),
    ...(input.action ? [`${input.action.label}: ${input.action.url}`, ""] : []),
    "--",
    input.footer,
    "",
  ].join("\n");
  return { html, text, content: unbranded };
}

/** "Tue, 25 Nov 2026, 10:00 UTC": unambiguous for any reader, whatever their time zone. */
export function formatWhen(date: Date): string {
  return `${new Intl.DateTimeFormat("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
  }).format(date)} UTC`;
}
