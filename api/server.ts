import { createServer } from "node:http";
import { ConfigError, loadEnv } from "./env.ts";

/** Starts the one server: GraphQL (HTTP, SSE, graphql-ws), files, health checks and the PWA on one port. */
async function main() {
  const env = loadEnv();
  // Loaded after the configuration is checked, so a bad value is reported at once.
  const { createApp } = await import("./app.ts");
  const app = await createApp(env);
  const server = createServer((request, response) => void app.handleRequest(request, response));
  server.on("upgrade", app.handleUpgrade);
  server.listen(env.PORT, env.HOST, () => {
    console.log(`Live Support is running at ${env.PUBLIC_URL} (GraphQL: ${env.PUBLIC_URL}/graphql)`);
    console.log(`Database: ${app.database.kind === "embedded" ? `embedded, in ${env.DATA_DIR}/pglite` : "PostgreSQL"}`);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    await app.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
