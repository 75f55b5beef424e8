import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import sirv from "sirv";

/**
 * The built PWA: static files with the SPA fallback (unknown paths get index.html), a long cache for hashed
 * assets and revalidation for the rest. Without a build, every page says how to make one.
 */
export function createStaticRoute(staticDir: string) {
  const serveStatic = existsSync(staticDir)
    ? sirv(staticDir, {
        single: true,
        etag: true,
        // The build writes .br and .gz beside text files (vite.config.ts); sirv picks one by Accept-Encoding.
        brotli: true,
        gzip: true,
        setHeaders: (response, pathname) => {
          if (pathname.startsWith("/assets/"))
            response.setHeader("cache-control", "public, max-age=31536000, immutable");
          else response.setHeader("cache-control", "no-cache");
        },
      })
    : null;
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (serveStatic) {
      serveStatic(request, response, () => {
        response.writeHead(404).end("Not found");
      });
      return;
    }
    response
      .writeHead(503, { "content-type": "text/plain; charset=utf-8" })
      .end("The app is not built yet: run npm run build (npm start does it for you).");
  };
}
