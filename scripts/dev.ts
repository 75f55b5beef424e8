import { spawn } from "node:child_process";

/**
 * `npm run dev`: the API (tsx watch, port 4000) and Vite's dev server (port 5173, proxying /graphql, /files,
 * /auth/refresh and /peerjs to the API) together; stopping one stops both.
 */
const children = [
  spawn("npx", ["tsx", "watch", "api/server.ts"], { stdio: "inherit" }),
  spawn("npx", ["vite"], { stdio: "inherit" }),
];

let stopping = false;
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  process.exitCode = code;
}

for (const child of children) child.on("exit", (code) => stop(code ?? 0));
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
