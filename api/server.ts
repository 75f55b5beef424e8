import { createServer } from "node:http";
import { ConfigError, loadEnv } from "./env.ts";
import { createStartupLogger } from "./ops/logger.ts";

/** Starts the one server: GraphQL (HTTP, SSE, graphql-ws), files, health checks and the PWA on one port. */
async function main() {
  const env = loadEnv();
  // Loaded after the configuration is checked, so a bad value is reported at once.
  const { createApp } = await import("./app.ts");
  const app = await createApp(env);
  const server = createServer((request, response) => void app.handleRequest(request, response));
  server.on("upgrade", app.handleUpgrade);
  server.listen(env.PORT, env.HOST, () => {
    app.logger.info(
      {
        url: env.PUBLIC_URL,
        graphql: `${env.PUBLIC_URL}/graphql`,
        database: app.database.kind === "embedded" ? `embedded, in ${env.DATA_DIR}/pglite` : "PostgreSQL",
        realtime: app.redis ? "Redis" : "in-process",
      },
      "Live Support is running",
    );
  });

  let stopping = false;
  /**
   * Graceful shutdown: stop accepting connections, close idle keep-alive connections, let the app drain
   * (requests in flight finish, graphql-ws clients get 1012 and reconnect elsewhere, close hooks run, Redis and
   * the database close), then cut whatever is left. A second signal exits at once.
   */
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    app.logger.info({ signal }, "shutting down");
    server.close();
    server.closeIdleConnections();
    await app.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  const logger = createStartupLogger();
  // Problems the operator fixes (bad configuration, database already in use): the message alone, exit 2.
  if (error instanceof ConfigError || (error instanceof Error && error.name === "DatabaseInUseError")) {
    logger.fatal(error.message);
    process.exit(2);
  }
  // The database server cannot be reached (wrong address, not up yet): the message alone, exit 3, which a
  // supervisor may retry.
  if (error instanceof Error && error.name === "DatabaseUnreachableError") {
    logger.fatal(error.message);
    process.exit(3);
  }
  logger.fatal({ err: error }, "could not start");
  process.exit(1);
});
