import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import solid from "vite-plugin-solid";
import type { PeerDirectory } from "../../api/signaling/signaling.ts";

/**
 * The call tests' page: the real call client bundled from test/e2e/calls-page with Vite's build API (its own
 * inline config, no vite.config.ts: Solid's JSX for CallView, the rest as is), served from a tiny HTTP server.
 * Used by calls.e2e.test.ts (Chromium) and calls.firefox.e2e.test.ts (Chromium ↔ Firefox).
 */
export interface CallsPage {
  url: string;
  close(): Promise<void>;
}

export interface CallsPageOptions {
  /** Answers a request before the bundle is looked up; returns true when it did. */
  route?: (request: IncomingMessage, response: ServerResponse, url: URL) => boolean;
  /** Wraps every answer, e.g. to set the app's security headers first. */
  wrap?: (request: IncomingMessage, response: ServerResponse, serve: () => void) => void;
}

const types: Record<string, string> = { js: "text/javascript", css: "text/css" };

export async function serveCallsPage(options: CallsPageOptions = {}): Promise<CallsPage> {
  const bundleDir = mkdtempSync(join(tmpdir(), "calls-page-"));
  await build({
    configFile: false,
    root: join(import.meta.dirname, "calls-page"),
    base: "/",
    logLevel: "error",
    plugins: [solid()],
    build: { outDir: bundleDir, emptyOutDir: true, minify: false, target: "es2022", reportCompressedSize: false },
  });
  const wrap = options.wrap ?? ((_request, _response, serve) => serve());
  const server = createServer((request, response) =>
    wrap(request, response, () => {
      const url = new URL(request.url ?? "/", "http://localhost");
      if (options.route?.(request, response, url)) return;
      const path = join(bundleDir, url.pathname === "/" ? "index.html" : url.pathname);
      if (!path.startsWith(bundleDir) || !existsSync(path)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": types[path.split(".").pop() ?? ""] ?? "text/html" });
      response.end(readFileSync(path));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(bundleDir, { recursive: true, force: true });
    },
  };
}

/**
 * Stands in for the sessions service behind the signaling server: peer id → the token and session it would have
 * issued. Only admitted peers with their own token are let in.
 */
export function admittedPeers(): {
  directory: PeerDirectory;
  admit(sessionId: string, ...peerIds: string[]): void;
  /** Takes a peer's admission back, as removing a participant does. */
  revoke(peerId: string): void;
  tokenOf(peerId: string): string;
} {
  const admitted = new Map<string, { token: string; sessionId: string }>();
  return {
    directory: {
      resolvePeer: async (peerId, token) => {
        const entry = admitted.get(peerId);
        return entry && entry.token === token
          ? { sessionId: entry.sessionId, participantId: `participant-${peerId}` }
          : null;
      },
      sessionOfPeer: async (peerId) => admitted.get(peerId)?.sessionId ?? null,
    },
    admit: (sessionId, ...peerIds) => {
      for (const peerId of peerIds) admitted.set(peerId, { token: `token-of-${peerId}-${sessionId}`, sessionId });
    },
    revoke: (peerId) => {
      admitted.delete(peerId);
    },
    tokenOf: (peerId) => admitted.get(peerId)?.token ?? "none",
  };
}
