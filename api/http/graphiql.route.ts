import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { Route } from "./http.router.ts";

/**
 * GraphiQL with no network (development only): the editor comes from the installed @graphql-yoga/render-graphiql
 * package and is served from this server under /graphiql/<version>/, as files, so that GraphiQL's page runs under
 * a policy of 'self' scripts and workers (no CDN, no inline script, no blob: workers; api/http/security-headers.ts).
 * The package (9 MB of code) is loaded on the first GraphiQL request, never in production.
 */
export const GRAPHIQL_PREFIX = "/graphiql/";

/** Sets Monaco's worker URLs before the editor loads, then renders GraphiQL with the options the page carries. */
const start = (version: string, js: string) => `self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: (_moduleId, label) => "${GRAPHIQL_PREFIX}${version}/" + label + ".worker.js",
};
${js};
YogaGraphiQL.renderYogaGraphiQL(
  document.querySelector("#root"),
  JSON.parse(document.querySelector("#graphiql-options").textContent),
);
`;

interface Asset {
  type: string;
  body: Buffer;
  gzip?: Buffer;
}

type Bundle = typeof import("@graphql-yoga/render-graphiql/graphiql");

/** The assets by file name and their version (a hash of their content: a new package means new URLs). */
function assetsOf(bundle: Bundle) {
  const workers = {
    editorWorkerService: bundle.editorWorkerService,
    json: bundle.jsonWorker,
    graphql: bundle.graphqlWorker,
  };
  const version = createHash("sha256")
    .update(bundle.js)
    .update(bundle.css)
    .update(Object.values(workers).join(""))
    .digest("hex")
    .slice(0, 12);
  const files: [string, string, string][] = [
    ["graphiql.css", "text/css; charset=utf-8", bundle.css],
    ["graphiql.js", "text/javascript; charset=utf-8", start(version, bundle.js)],
    ...Object.entries(workers).map(([label, text]): [string, string, string] => [
      `${label}.worker.js`,
      "text/javascript; charset=utf-8",
      text,
    ]),
  ];
  const assets = new Map<string, Asset>(files.map(([name, type, text]) => [name, { type, body: Buffer.from(text) }]));
  return { version, assets, favicon: bundle.favicon };
}

export function createGraphiQL() {
  let loaded: Promise<ReturnType<typeof assetsOf>> | undefined;
  const load = () => {
    loaded ??= import("@graphql-yoga/render-graphiql/graphiql").then(assetsOf);
    return loaded;
  };

  /** Yoga's `graphiql.render`: the page links the assets; the options travel as JSON data, not as script. */
  const render = async (options: Record<string, unknown> & { title?: string }) => {
    const { version, favicon } = await load();
    const base = `${GRAPHIQL_PREFIX}${version}/`;
    const data = JSON.stringify(options).replace(/</g, "\\u003c");
    return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeText(options.title ?? "GraphiQL")}</title>
    <link rel="icon" href="${favicon}" />
    <link rel="stylesheet" href="${base}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run GraphiQL.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${data}</script>
    <script src="${base}graphiql.js"></script>
  </body>
</html>`;
  };

  /** GET /graphiql/<version>/<file>: the asset, gzipped when the browser accepts it, cached for good. */
  const route: Route = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const { version, assets } = await load();
    const [requested, name = ""] = url.pathname.slice(GRAPHIQL_PREFIX.length).split("/");
    const asset = requested === version ? assets.get(name) : undefined;
    if (!asset || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      return;
    }
    const gzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
    if (gzip) asset.gzip ??= gzipSync(asset.body);
    const body = gzip && asset.gzip ? asset.gzip : asset.body;
    response.writeHead(200, {
      "content-type": asset.type,
      "content-length": body.length,
      "cache-control": "public, max-age=31536000, immutable",
      vary: "accept-encoding",
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    response.end(request.method === "HEAD" ? undefined : body);
  };

  return { render, route };
}

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
