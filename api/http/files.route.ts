import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { AuthService } from "../auth/auth.service.ts";
import type { FileLinks } from "../files/file-links.ts";
import type { FileStore } from "../files/file-store.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { TicketService } from "../tickets/tickets.service.ts";
import { bearerToken } from "./request-auth.ts";

/**
 * GET /files/<attachmentId>: with a signed link from `Attachment.url`, or with `Authorization: Bearer` under the
 * same rule as the ticket. Files that are not safe to show are always downloads, and nothing is sniffed.
 */
export function createFilesRoute(deps: {
  prisma: PrismaClient;
  auth: AuthService;
  tickets: TicketService;
  files: FileStore;
  fileLinks: FileLinks;
}) {
  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const attachmentId = decodeURIComponent(url.pathname.slice("/files/".length));
    const notFound = () => {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found");
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    let attachment: Awaited<ReturnType<TicketService["visibleAttachment"]>> = null;
    if (deps.fileLinks.verify(attachmentId, url.searchParams.get("expires"), url.searchParams.get("signature"))) {
      attachment = await deps.prisma.attachment.findUnique({
        where: { id: attachmentId },
        include: { ticket: { select: { requesterId: true } }, message: { select: { internal: true } } },
      });
    } else {
      const bearer = bearerToken(request.headers.authorization);
      const viewer = bearer ? await deps.auth.authenticate(bearer) : null;
      if (!viewer) {
        response.writeHead(401, { "content-type": "text/plain; charset=utf-8" }).end("Sign in or use a fresh link");
        return;
      }
      attachment = await deps.tickets.visibleAttachment(viewer, attachmentId);
    }
    if (!attachment) return notFound();
    const disposition = attachment.inline ? "inline" : "attachment";
    response.writeHead(200, {
      "content-type": attachment.mimeType === "text/plain" ? "text/plain; charset=utf-8" : attachment.mimeType,
      "content-length": attachment.size,
      "content-disposition": `${disposition}; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, max-age=300",
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    await pipeline(deps.files.open(attachment.sha256), response);
  };
}
