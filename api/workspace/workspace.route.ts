import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { createStaticRoute } from "../http/static.route.ts";
import type { WorkspaceService } from "./workspace.service.ts";

const LOGO_PATH = /^\/workspace\/logo\/([0-9a-f]{64})$/;

/** The manifest vite-plugin-pwa wrote into the build, or a minimal one when the PWA is not built. */
function builtManifest(staticDir: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(join(staticDir, "manifest.webmanifest"), "utf8")) as Record<string, unknown>;
  } catch {
    return { id: "/", start_url: "/", scope: "/", display: "standalone", background_color: "#ffffff" };
  }
}

/** What a phone's Home Screen shows under the icon: the first 12 characters, at a word boundary when there is one. */
export function shortName(name: string): string {
  if (name.length <= 12) return name;
  const cut = name.slice(0, 12);
  const space = cut.lastIndexOf(" ");
  return space > 3 ? cut.slice(0, space) : cut;
}

/**
 * `/manifest.webmanifest`, served by the API instead of the build's static file: the build's manifest (icons,
 * display, scope) with the workspace's name and accent colour, so an installed PWA carries them (docs/workspace.md).
 * `/workspace/logo/<sha256>`: the current logo, public and cached for good (its path changes with its content).
 */
export function createWorkspaceRoutes(deps: { workspace: WorkspaceService; staticDir: string }) {
  const base = builtManifest(deps.staticDir);
  return {
    async manifest(_request: IncomingMessage, response: ServerResponse): Promise<void> {
      const workspace = await deps.workspace.get();
      const manifest = {
        ...base,
        name: workspace.name,
        // The build's own short name ("Support") while the workspace keeps the product's name.
        short_name:
          workspace.name === base.name && typeof base.short_name === "string"
            ? base.short_name
            : shortName(workspace.name),
        theme_color: workspace.accentColor,
      };
      response
        .writeHead(200, { "content-type": "application/manifest+json", "cache-control": "no-cache" })
        .end(JSON.stringify(manifest));
    },

    async logo(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
      const sha256 = LOGO_PATH.exec(url.pathname)?.[1];
      const logo = sha256 && request.method === "GET" ? await deps.workspace.logoFile(sha256) : null;
      if (!logo) {
        response.writeHead(404, { "content-type": "text/plain" }).end("Not found");
        return;
      }
      response.writeHead(200, {
        "content-type": logo.mimeType,
        "cache-control": "public, max-age=31536000, immutable",
      });
      logo.open().pipe(response);
    },
  };
}

/** The built PWA (api/http/static.route.ts) with the workspace's manifest and logo beside it. */
export function createPwaRoutes(workspace: WorkspaceService, staticDir: string) {
  return { workspace: createWorkspaceRoutes({ workspace, staticDir }), staticFiles: createStaticRoute(staticDir) };
}
