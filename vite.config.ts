import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import solid from "vite-plugin-solid";

/** The API `npm run dev` runs beside Vite; the dev server forwards API paths to it. */
const apiTarget = "http://127.0.0.1:4000";

/** Where the build goes: ./dist (served by `npm start`), or elsewhere for the browser tests (PWA_OUT_DIR). */
const outDir = process.env.PWA_OUT_DIR ?? fileURLToPath(new URL("./dist", import.meta.url));

/**
 * Writes `.br` and `.gz` beside every text file of the build (over 1 KB), which the API's static server (sirv) sends
 * to browsers that accept them: no compression work per request.
 */
function precompress(): Plugin {
  const compressible = /\.(js|mjs|css|html|svg|json|webmanifest)$/;
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  return {
    name: "live-support:precompress",
    apply: "build",
    closeBundle: {
      order: "post",
      handler() {
        for (const path of walk(outDir)) {
          if (!compressible.test(path)) continue;
          const content = readFileSync(path);
          if (content.length < 1024) continue;
          writeFileSync(`${path}.gz`, gzipSync(content, { level: 9 }));
          writeFileSync(
            `${path}.br`,
            brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
          );
        }
      },
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL("./app", import.meta.url)),
  publicDir: "public",
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      "/graphql": { target: apiTarget, ws: true },
      "/files": { target: apiTarget },
      // The refresh cookie's route (docs/security.md).
      "/auth/refresh": { target: apiTarget },
      "/peerjs": { target: apiTarget, ws: true },
    },
  },
  plugins: [
    solid(),
    VitePWA({
      strategies: "injectManifest",
      srcDir: ".",
      filename: "sw.ts",
      registerType: "prompt",
      injectRegister: false,
      injectManifest: {
        globPatterns: ["**/*.{js,css,html,png,svg,webmanifest}"],
      },
      devOptions: { enabled: false },
      manifest: {
        name: "Live Support",
        short_name: "Support",
        description: "Tickets, live sessions and calls with your support team.",
        id: "/",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "any",
        background_color: "#ffffff",
        theme_color: "#1d4ed8",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          { src: "/icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
    }),
    precompress(),
  ],
});
