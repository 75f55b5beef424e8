import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../test/harness.ts";

/** The directives of a Content-Security-Policy header, by name. */
function directives(policy: string | null): Map<string, string[]> {
  return new Map(
    (policy ?? "")
      .split(";")
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name as string, values]),
  );
}

const graphqlPost = {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: '{"query":"{ me { id } }"}',
};

describe("security headers", () => {
  let server: TestServer;
  let https: TestServer;
  let staticDir: string;

  beforeAll(async () => {
    staticDir = mkdtempSync(join(tmpdir(), "live-support-static-"));
    writeFileSync(join(staticDir, "index.html"), "<!doctype html><title>app</title>");
    server = await startTestServer({ staticDir });
    https = await startTestServer({ env: { PUBLIC_URL: "https://support.example.com" } });
  });
  afterAll(async () => {
    await server?.close();
    await https?.close();
    rmSync(staticDir, { recursive: true, force: true });
  });

  it("every route answers with the CSP, no framing, no referrer and nosniff; no HSTS over http", async () => {
    const requests: [string, RequestInit?][] = [
      ["/"],
      ["/tickets/some-deep-link"],
      ["/manifest.webmanifest"],
      ["/graphql", graphqlPost],
      ["/files/attachments/missing"],
      ["/dev/mail"],
      ["/healthz"],
      ["/readyz"],
      ["/metrics"],
      ["/peerjs/"],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(`${server.url}${path}`, init);
      const policy = directives(response.headers.get("content-security-policy"));
      expect(policy.get("default-src"), path).toEqual(["'self'"]);
      expect(policy.get("script-src"), path).toEqual(["'self'"]);
      expect(policy.get("frame-ancestors"), path).toEqual(["'none'"]);
      expect(policy.get("object-src"), path).toEqual(["'none'"]);
      expect(policy.get("base-uri"), path).toEqual(["'self'"]);
      expect(policy.get("worker-src"), path).toEqual(["'self'"]);
      expect(policy.get("connect-src"), path).toEqual(["'self'", `ws://${new URL(server.url).host}`]);
      expect(policy.has("upgrade-insecure-requests"), path).toBe(false);
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("strict-transport-security"), path).toBeNull();
      await response.body?.cancel();
    }
  });

  it("GraphiQL (development) runs from this server's files: no CDN, no inline script; GraphQL answers keep the strict policy", async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } });
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const policy = directives(page.headers.get("content-security-policy"));
    expect(policy.get("script-src")).toEqual(["'self'"]);
    expect(policy.get("worker-src")).toEqual(["'self'"]);
    expect(policy.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    // Every file the page links is served here, gzipped, cached for good (the URL changes with the package).
    const linked = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((match) => match[1] as string);
    expect(linked.map((path) => path.replace(/\/graphiql\/[0-9a-f]{12}\//, ""))).toEqual([
      "graphiql.css",
      "graphiql.js",
    ]);
    for (const path of linked) {
      const asset = await fetch(`${server.url}${path}`);
      expect(asset.status, path).toBe(200);
      expect(asset.headers.get("cache-control"), path).toBe("public, max-age=31536000, immutable");
      await asset.arrayBuffer();
    }
    const worker = await fetch(`${server.url}${linked[1]?.replace("graphiql.js", "graphql.worker.js")}`);
    expect(worker.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    await worker.arrayBuffer();
    expect((await fetch(`${server.url}/graphiql/000000000000/graphiql.js`)).status).toBe(404);
    const answer = await fetch(`${server.url}/graphql?query=%7B__typename%7D`);
    expect(await answer.json()).toEqual({ data: { __typename: "Query" } });
    expect(directives(answer.headers.get("content-security-policy")).get("script-src")).toEqual(["'self'"]);
  });

  it("with an https public URL: HSTS, secure sockets only, and insecure requests upgraded", async () => {
    const response = await fetch(`${https.url}/healthz`);
    expect(response.headers.get("strict-transport-security")).toBe("max-age=31536000");
    const policy = directives(response.headers.get("content-security-policy"));
    expect(policy.get("connect-src")).toEqual(["'self'", `wss://${new URL(https.url).host}`]);
    expect(policy.has("upgrade-insecure-requests")).toBe(true);
    await response.body?.cancel();
  });
});
