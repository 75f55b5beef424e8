import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";
import { createLogger, type Logger } from "../ops/logger.ts";

/** A connection that can run migration scripts: several statements in one string, and queries with parameters. */
export interface SqlSession {
  exec(script: string): Promise<void>;
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface Database {
  readonly kind: "embedded" | "postgres";
  readonly prisma: PrismaClient;
  /** Runs `work` on one dedicated connection (PostgreSQL) or the single embedded one. */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Random reads cost about what sequential ones do on SSDs and in the page cache; PostgreSQL's default (4) models
 * spinning disks. With it, a search's page (`id IN (≤1,000 matches)` ordered by recency) walked the whole
 * recency index looking for the matches (1.6 s on 1M tickets) instead of fetching them by key and sorting (6 ms).
 */
const RANDOM_PAGE_COST = 1.1;
const PLANNER_SETTINGS = `SET random_page_cost = ${RANDOM_PAGE_COST}`;

/**
 * Opens the database named by `url`:
 * - undefined or `file:<dir>`: embedded PostgreSQL (PGlite) stored in that directory (default `<dataDir>/pglite`);
 * - `memory://`: embedded PostgreSQL in memory (tests);
 * - `postgres://…` / `postgresql://…`: a PostgreSQL server.
 */
export async function openDatabase(
  url: string | undefined,
  dataDir: string,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  if (url?.startsWith("postgres")) return openPostgres(url, options);
  return openEmbedded(url ?? `file:${resolve(dataDir, "pglite")}`);
}

/** Logs a pooled connection the server ended; the pool opens a new one when it needs one. */
export function logConnectionLoss(logger: Logger): (error: Error) => void {
  return (error) => logger.warn({ err: error }, "database connection lost; the pool reconnects");
}

export interface OpenDatabaseOptions {
  /**
   * PostgreSQL: told when the server ends an idle pooled connection (restart, failover, terminated backend);
   * logged by default.
   */
  onConnectionError?: (error: Error) => void;
}

export class DatabaseInUseError extends Error {
  override name = "DatabaseInUseError";
}

/** The PostgreSQL server named by DATABASE_URL cannot be reached at start (wrong address, server down). */
export class DatabaseUnreachableError extends Error {
  override name = "DatabaseUnreachableError";
}

/** The network error's code (ECONNREFUSED, ENOTFOUND …), also inside an AggregateError (one per address tried). */
function networkErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  return error instanceof AggregateError ? error.errors.map(networkErrorCode).find(Boolean) : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite is one process's database: a second process opening the same directory would not see the first one's
 * writes and could corrupt the files. A lock file holding the owner's pid refuses that with a clear message;
 * a lock left by a process that died is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = resolve(dataDir, "live-support.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new DatabaseInUseError(
          `The embedded database in ${dataDir} is in use by another process (pid ${owner}). ` +
            "Stop it first (for example the running `npm start`), or set DATABASE_URL to a PostgreSQL server.",
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new DatabaseInUseError(`Could not lock the embedded database in ${dataDir}`);
}

async function openEmbedded(url: string): Promise<Database> {
  let dataDir: string | undefined;
  let unlock = () => {};
  if (url.startsWith("file:")) {
    dataDir = url.slice("file:".length);
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const pglite = await PGlite.create(dataDir ? { dataDir } : {}).catch((error: unknown) => {
    unlock();
    throw error;
  });
  await pglite.exec(PLANNER_SETTINGS);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const session: SqlSession = {
    exec: async (script) => {
      await pglite.exec(script);
    },
    query: async <Row>(sql: string, params?: unknown[]) => (await pglite.query<Row>(sql, params)).rows,
  };
  return {
    kind: "embedded",
    prisma,
    withSession: (work) => work(session),
    ping: async () => {
      try {
        await pglite.query("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
      unlock();
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  // Set on each new connection before it is handed out, rather than as a startup option, which connection
  // poolers such as PgBouncer refuse.
  const pool = new pg.Pool({
    connectionString: url,
    max: 20,
    onConnect: async (client) => {
      await client.query(PLANNER_SETTINGS);
    },
  });
  // The pool drops a connection the server ended and opens a new one on demand; with no listener, pg would raise
  // the error as an uncaught exception and stop the process.
  // Without a handler (scripts), a logger is made only when a connection is lost: they are rare.
  pool.on("error", options.onConnectionError ?? ((error) => logConnectionLoss(createLogger("info"))(error)));
  // One connection first, so a wrong address or a server that is down stops the start with one clear message.
  await pool.connect().then(
    (client) => client.release(),
    async (error: unknown) => {
      await pool.end();
      const { host, pathname } = new URL(url);
      throw new DatabaseUnreachableError(
        `Cannot reach the PostgreSQL server at ${host} (database ${pathname.slice(1) || "default"}): ` +
          `${networkErrorCode(error) ?? (error instanceof Error ? error.message : String(error))}. ` +
          "Check DATABASE_URL and that the server is running.",
        { cause: error },
      );
    },
  );
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    prisma,
    withSession: async (work) => {
      const client = await pool.connect();
      try {
        return await work({
          exec: async (script) => {
            await client.query(script);
          },
          query: async <Row>(sql: string, params?: unknown[]) =>
            (await client.query(sql, params as unknown[])).rows as Row[],
        });
      } finally {
        client.release();
      }
    },
    ping: async () => {
      try {
        await pool.query("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
