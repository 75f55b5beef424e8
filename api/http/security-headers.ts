import type { IncomingMessage, ServerResponse } from "node:http";
import helmet from "helmet";

/** Sets the headers on a response, synchronously, then calls `next`. */
export type SecurityHeaders = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** A Host header fit to go into a policy (no spaces, quotes or semicolons); anything else is left out. */
const PLAIN_HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * The security headers of every response (helmet): a Content-Security-Policy the PWA passes as built, no framing
 * (frame-ancestors 'none', X-Frame-Options DENY), no referrer (join and invitation links carry their secret in the
 * URL), nosniff, and HSTS only when the public URL is https (a plain-http install must stay reachable).
 * GraphiQL (development only, GET /graphql) runs from this server's own files (api/http/graphiql.route.ts): its page
 * gets a policy of its own that only adds inline styles (its editor sets them at run time) and data: fonts.
 */
export function createSecurityHeaders(options: { publicUrl: string; graphiql: boolean }): SecurityHeaders {
  const https = new URL(options.publicUrl).protocol === "https:";
  /**
   * graphql-ws and PeerJS sockets go to this origin. CSP3 lets 'self' match ws: and wss: of the same host, but older
   * browsers do not, so the socket origin of the page's own host is named too.
   */
  const ownSocketOrigin = (request: IncomingMessage) => {
    const host = request.headers.host ?? "";
    return PLAIN_HOST.test(host) ? `${https ? "wss" : "ws"}://${host}` : "'self'";
  };
  const common = {
    referrerPolicy: { policy: "no-referrer" as const },
    xFrameOptions: { action: "deny" as const },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  };
  const app = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        // Attachment previews and avatars may be data: or blob: URLs made in the page.
        imgSrc: ["'self'", "data:", "blob:"],
        // Recordings play back from a blob: URL before upload; calls use srcObject, which CSP does not govern.
        mediaSrc: ["'self'", "blob:"],
        fontSrc: ["'self'", "data:"],
        connectSrc: ["'self'", ownSocketOrigin],
        workerSrc: ["'self'"],
        manifestSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
  });
  if (!options.graphiql) return app;
  const graphiql = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'", "data:"],
        connectSrc: ["'self'", ownSocketOrigin],
        workerSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  return (request, response, next) => {
    // Yoga renders GraphiQL for a browser's GET (Accept: text/html); API answers keep the app's policy.
    const isGraphiQL =
      request.method === "GET" &&
      (request.url ?? "").split("?")[0] === "/graphql" &&
      (request.headers.accept ?? "").includes("text/html");
    (isGraphiQL ? graphiql : app)(request, response, next);
  };
}
