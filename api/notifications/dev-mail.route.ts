import type { IncomingMessage, ServerResponse } from "node:http";
import { simpleParser } from "mailparser";
import { isLoopbackRequest, type RequestAuth } from "../http/request-auth.ts";
import { escapeHtml } from "./emails/layout.ts";
import type { Mailer } from "./mailer.ts";

/** At most this many messages are listed (newest first). */
const LIST_LIMIT = 200;

/** Readable on a phone as on a computer: the viewport set, tables that wrap, links big enough to tap. */
const STYLE = `body{font-family:system-ui,sans-serif;margin:16px;line-height:1.4;color:#111827}
h1{font-size:1.4rem;overflow-wrap:anywhere}h2{font-size:1.1rem}
table{border-collapse:collapse;width:100%}td,th{padding:8px 8px 8px 0;text-align:left;vertical-align:top;border-bottom:1px solid #d1d5db;overflow-wrap:anywhere}
a{color:#1d4ed8;display:inline-block;min-height:24px;padding:4px 0}
iframe{width:100%;height:60vh;border:1px solid #d1d5db}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f4f6;padding:12px}
ul.attachments{padding-left:1.2rem}
@media (max-width:40rem){table.messages thead{position:absolute;left:-9999px}table.messages td{display:block;border:0;padding:2px 0}table.messages tr{display:block;padding:8px 0;border-bottom:1px solid #d1d5db}}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** The mailbox's pages: their own inline styles, the message's HTML in a sandboxed frame, nothing else. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src data:";

/** `/dev/mail/<file>/attachments/<n>`: the message's n-th attachment (an invite's .ics, …), as a download. */
const ATTACHMENT_PATH = /^(.+)\/attachments\/(\d+)$/;

/**
 * The development mailbox: messages the server would have sent, when no SMTP server is configured.
 * `/dev/mail` lists them; `/dev/mail/<file>` shows one (HTML in a sandboxed frame, and the text part);
 * `/dev/mail/<file>?raw` gives the .eml. Mounted only with DEV_MAILBOX=on outside production (see app.ts), and
 * answered only to a loopback client or to a request carrying an admin's access token (`Authorization: Bearer`):
 * the mailbox holds verification codes and join links meant for other people.
 */
export function createDevMailRoute(mailer: Mailer, requestAuth: RequestAuth) {
  async function allowed(request: IncomingMessage): Promise<boolean> {
    const viewer = await requestAuth.viewerFromAuthorization(request.headers.authorization);
    if (viewer !== null) return viewer !== "invalid" && viewer.role === "ADMIN";
    return isLoopbackRequest(request);
  }

  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    if (!(await allowed(request))) {
      response
        .writeHead(403, { "content-type": "text/plain" })
        .end("The development mailbox answers only loopback clients and admins (Authorization: Bearer <access token>)");
      return;
    }
    const file = decodeURIComponent(url.pathname.replace(/^\/dev\/mail\/?/, ""));
    if (file === "") {
      const stored = (await mailer.listStored()).slice(0, LIST_LIMIT);
      const rows = await Promise.all(
        stored.map(async ({ file: name }) => {
          const raw = await mailer.readStored(name);
          const parsed = raw ? await simpleParser(raw) : null;
          const to = parsed?.to
            ? [parsed.to]
                .flat()
                .map((address) => address.text)
                .join(", ")
            : "";
          const attached = parsed?.attachments.length
            ? ` <span>(${parsed.attachments.length} attachment${parsed.attachments.length === 1 ? "" : "s"})</span>`
            : "";
          return `<tr><td><a href="/dev/mail/${encodeURIComponent(name)}">${escapeHtml(parsed?.subject ?? name)}</a>${attached}</td>
<td>${escapeHtml(to)}</td><td>${escapeHtml(parsed?.date?.toISOString() ?? "")}</td></tr>`;
        }),
      );
      const intro =
        mailer.mode === "smtp"
          ? "<p>SMTP is configured (SMTP_URL): messages go to the SMTP server, not here.</p>"
          : "<p>No SMTP server is configured (SMTP_URL), so messages are written here instead of being sent.</p>";
      response
        .writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-store",
          "content-security-policy": PAGE_POLICY,
        })
        .end(
          page(
            "Development mailbox",
            `<h1>Development mailbox</h1>${intro}<table class="messages"><thead><tr><th>Subject</th><th>To</th><th>Date</th></tr></thead><tbody>${rows.join("")}</tbody></table>`,
          ),
        );
      return;
    }
    const attachmentPath = ATTACHMENT_PATH.exec(file);
    const raw = await mailer.readStored(attachmentPath ? (attachmentPath[1] as string) : file);
    if (!raw) {
      response.writeHead(404, { "content-type": "text/plain" }).end("No such message");
      return;
    }
    if (url.searchParams.has("raw")) {
      response.writeHead(200, { "content-type": "message/rfc822", "cache-control": "no-store" }).end(raw);
      return;
    }
    const parsed = await simpleParser(raw);
    if (attachmentPath) {
      const attachment = parsed.attachments[Number(attachmentPath[2])];
      if (!attachment) {
        response.writeHead(404, { "content-type": "text/plain" }).end("No such attachment");
        return;
      }
      const name = attachmentName(attachment, Number(attachmentPath[2]));
      response
        .writeHead(200, {
          "content-type": attachment.contentType === "text/html" ? "text/plain" : attachment.contentType,
          "content-disposition": `attachment; filename="${name.replace(/[^\w.-]/g, "_")}"`,
          "cache-control": "no-store",
        })
        .end(attachment.content);
      return;
    }
    const to = parsed.to
      ? [parsed.to]
          .flat()
          .map((address) => address.text)
          .join(", ")
      : "";
    const attachments = parsed.attachments.map(
      (attachment, index) =>
        `<li><a href="/dev/mail/${encodeURIComponent(file)}/attachments/${index}" download>${escapeHtml(attachmentName(attachment, index))}</a> (${escapeHtml(attachment.contentType)}, ${attachment.size} bytes)</li>`,
    );
    response
      .writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy": PAGE_POLICY,
      })
      .end(
        page(
          parsed.subject ?? file,
          `<p><a href="/dev/mail">← All messages</a> · <a href="/dev/mail/${encodeURIComponent(file)}?raw">Raw .eml</a></p>
<h1>${escapeHtml(parsed.subject ?? "")}</h1>
<table><tr><th>From</th><td>${escapeHtml(parsed.from?.text ?? "")}</td></tr><tr><th>To</th><td>${escapeHtml(to)}</td></tr>
<tr><th>Date</th><td>${escapeHtml(parsed.date?.toISOString() ?? "")}</td></tr>
<tr><th>Message-ID</th><td>${escapeHtml(parsed.messageId ?? "")}</td></tr>
</table>
${attachments.length ? `<h2>Attachments</h2><ul class="attachments">${attachments.join("")}</ul>` : ""}
<h2>HTML</h2><iframe title="The message as HTML" sandbox srcdoc="${escapeHtml(typeof parsed.html === "string" ? parsed.html : "")}"></iframe>
<h2>Text</h2><pre>${escapeHtml(parsed.text ?? "")}</pre>`,
        ),
      );
  };
}

/**
 * An attachment's file name. An invite carries its .ics twice (the calendar alternative calendar apps read inline,
 * without a name, and invite.ics): the unnamed one is listed as calendar.ics.
 */
function attachmentName(attachment: { filename?: string; contentType: string }, index: number): string {
  if (attachment.filename) return attachment.filename;
  if (attachment.contentType === "text/calendar") return "calendar.ics";
  return `attachment-${index + 1}`;
}
