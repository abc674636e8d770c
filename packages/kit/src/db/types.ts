import type { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';

/**
 * The drizzle instance for both drivers. Repositories take `Db` (or `Database['db']`) and use the
 * query builder (select/insert/update/delete/transaction), which behaves the same on Postgres and PGlite.
 * Raw `db.execute()` results differ per driver (row array vs `{ rows }`), so read them with `queryRows`.
 */
export type Db = PgDatabase<PgQueryResultHKT>;

/** What a transaction callback receives; it is also a `Db`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type DatabaseDriver = 'postgres' | 'pglite';

export interface Database {
  db: Db;
  driver: DatabaseDriver;
  /** The Postgres schema this service owns; migrations are recorded in `<schema>.__drizzle_migrations`. */
  schema: string;
  /** Round trip of `select 1`, in milliseconds. */
  ping(): Promise<number>;
  /** Applies drizzle-kit migrations from `folder`; safe to run concurrently from several processes. */
  migrate(folder: string): Promise<void>;
  close(): Promise<void>;
}

export interface CreateDatabaseOptions {
  /** postgres:// URL; without it the service runs on embedded PGlite. */
  url?: string;
  /** PGlite data lives in `${dataDir}/db`; `memory://` or undefined keeps it in memory. */
  dataDir?: string;
  /** The Postgres schema the service owns. */
  schema: string;
  /** A PGlite shared with other services in this process; not closed by this Database's close(). */
  pglite?: PGlite;
  logger?: Logger;
  /** Postgres pool size; default 10. */
  maxConnections?: number;
}

/** Rows of a raw query on either driver (postgres.js returns an array, PGlite `{ rows }`). */
export const queryRows = async <T extends Record<string, unknown>>(db: Db | Tx, query: SQL): Promise<T[]> => {
  const result: unknown = await db.execute(query);
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
};

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export const assertSchemaName = (schema: string): void => {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid database schema name ${JSON.stringify(schema)}: use lowercase letters, digits and _ (max 63)`);
  }
};
