import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import solid from "vite-plugin-solid";

/** The API `npm run dev` runs beside Vite; the dev server forwards API paths to it. */
const apiTarget = "http://127.0.0.1:4000";

/** Where the build goes: ./dist (served by `npm start`), or elsewhere for the browser tests (PWA_OUT_DIR). */
const outDir = process.env.PWA_OUT_DIR ?? fileURLToPath(new URL("./dist", import.meta.url));

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
  ],
});
