import type { IncomingMessage, ServerResponse } from "node:http";
import { simpleParser } from "mailparser";
import { isLoopbackRequest, type RequestAuth } from "../http/request-auth.ts";
import { escapeHtml } from "./emails/layout.ts";
import type { Mailer } from "./mailer.ts";

/** At most this many messages are listed (newest first). */
const LIST_LIMIT = 200;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px}table{border-collapse:collapse}td,th{padding:4px 12px;text-align:left;border-bottom:1px solid #ddd}iframe{width:100%;height:60vh;border:1px solid #ccc}pre{white-space:pre-wrap;background:#f6f6f6;padding:12px}</style>
</head><body>${body}</body></html>`;
}

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
          return `<tr><td>${escapeHtml(parsed?.date?.toISOString() ?? "")}</td><td>${escapeHtml(to)}</td>
<td><a href="/dev/mail/${encodeURIComponent(name)}">${escapeHtml(parsed?.subject ?? name)}</a></td></tr>`;
        }),
      );
      const intro =
        mailer.mode === "smtp"
          ? "<p>SMTP is configured (SMTP_URL): messages go to the SMTP server, not here.</p>"
          : "<p>No SMTP server is configured (SMTP_URL), so messages are written here instead of being sent.</p>";
      response
        .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
        .end(
          page(
            "Development mailbox",
            `<h1>Development mailbox</h1>${intro}<table><tr><th>Date</th><th>To</th><th>Subject</th></tr>${rows.join("")}</table>`,
          ),
        );
      return;
    }
    const raw = await mailer.readStored(file);
    if (!raw) {
      response.writeHead(404, { "content-type": "text/plain" }).end("No such message");
      return;
    }
    if (url.searchParams.has("raw")) {
      response.writeHead(200, { "content-type": "message/rfc822", "cache-control": "no-store" }).end(raw);
      return;
    }
    const parsed = await simpleParser(raw);
    const to = parsed.to
      ? [parsed.to]
          .flat()
          .map((address) => address.text)
          .join(", ")
      : "";
    const attachments = parsed.attachments.map((attachment) =>
      escapeHtml(attachment.filename ?? attachment.contentType),
    );
    response
      .writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src data:",
      })
      .end(
        page(
          parsed.subject ?? file,
          `<p><a href="/dev/mail">← All messages</a> · <a href="/dev/mail/${encodeURIComponent(file)}?raw">Raw .eml</a></p>
<h1>${escapeHtml(parsed.subject ?? "")}</h1>
<table><tr><th>From</th><td>${escapeHtml(parsed.from?.text ?? "")}</td></tr><tr><th>To</th><td>${escapeHtml(to)}</td></tr>
<tr><th>Date</th><td>${escapeHtml(parsed.date?.toISOString() ?? "")}</td></tr>
<tr><th>Message-ID</th><td>${escapeHtml(parsed.messageId ?? "")}</td></tr>
${attachments.length ? `<tr><th>Attachments</th><td>${attachments.join(", ")}</td></tr>` : ""}</table>
<h2>HTML</h2><iframe sandbox srcdoc="${escapeHtml(typeof parsed.html === "string" ? parsed.html : "")}"></iframe>
<h2>Text</h2><pre>${escapeHtml(parsed.text ?? "")}</pre>`,
        ),
      );
  };
}
