import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";

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
 * Opens the database named by `url`:
 * - undefined or `file:<dir>`: embedded PostgreSQL (PGlite) stored in that directory (default `<dataDir>/pglite`);
 * - `memory://`: embedded PostgreSQL in memory (tests);
 * - `postgres://…` / `postgresql://…`: a PostgreSQL server.
 */
export async function openDatabase(url: string | undefined, dataDir: string): Promise<Database> {
  if (url?.startsWith("postgres")) return openPostgres(url);
  return openEmbedded(url ?? `file:${resolve(dataDir, "pglite")}`);
}

async function openEmbedded(url: string): Promise<Database> {
  let dataDir: string | undefined;
  if (url.startsWith("file:")) {
    dataDir = url.slice("file:".length);
    mkdirSync(dataDir, { recursive: true });
  }
  const pglite = await PGlite.create(dataDir ? { dataDir } : {});
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
    },
  };
}

async function openPostgres(url: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 20 });
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
