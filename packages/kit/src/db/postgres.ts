import { PgDialect } from 'drizzle-orm/pg-core';
import { drizzle, PostgresJsSession } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { applyMigrations } from './migrations.ts';
import type { CreateDatabaseOptions, Database, Db } from './types.ts';

/** `host:port/database as user`, for messages and logs; never includes the password. */
export const describePostgresUrl = (url: string): string => {
  try {
    const u = new URL(url);
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default)';
    const user = u.username ? ` as ${decodeURIComponent(u.username)}` : '';
    return `${u.hostname || 'localhost'}:${u.port || '5432'}/${database}${user}`;
  } catch {
    return url.replace(/(\/\/[^:@/]*):[^@/]*@/, '$1:***@');
  }
};

const errorText = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) return errorText(error.errors[0]);
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
};

/**
 * Below the bus timeout (5 s), so a request that needs a new connection to a server that does not
 * answer (gone from the network, not just refusing) fails as 503 before the caller gives up with 504.
 * A refused connection or a server starting up (57P03) fails at once anyway.
 */
const CONNECT_TIMEOUT_SECONDS = 3;
/** Idle connections are closed, so a quiet copy holds few and a burst's extra ones go away. */
const IDLE_TIMEOUT_SECONDS = 60;
/**
 * postgres.js reconnects on demand, and by default waits longer after each failed attempt (shared by
 * the pool, up to 20 s): after an outage of a few seconds, requests would queue behind that wait long
 * after the server is back. Connecting again at once keeps both promises: an unreachable server
 * answers each request with 503 at once, and a server that is back serves the very next request.
 */
const reconnectAtOnce = (): number => 0;

export const openPostgres = async (url: string, options: CreateDatabaseOptions): Promise<Database> => {
  const { schema, logger } = options;
  const where = describePostgresUrl(url);
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    idle_timeout: IDLE_TIMEOUT_SECONDS,
    backoff: reconnectAtOnce,
    onnotice: () => {},
  });
  const db: Db = drizzle(client, { casing: 'snake_case' });

  const ping = async (): Promise<number> => {
    const started = performance.now();
    try {
      await client`select 1`;
    } catch (error) {
      throw new Error(`Cannot reach Postgres at ${where}: ${errorText(error)}`, { cause: error });
    }
    return performance.now() - started;
  };

  try {
    await ping();
  } catch (error) {
    await client.end({ timeout: 0 }).catch(() => {});
    throw error;
  }
  logger?.debug({ db: where, schema }, 'connected to postgres');

  const migrate = async (folder: string): Promise<void> => {
    // Copies of a service starting together would race on the history table; an advisory lock held on
    // one reserved connection, with the migration on that same connection, lets exactly one apply it.
    const reserved = await client.reserve();
    const lockKey = `parley:migrate:${schema}`;
    try {
      await reserved`select pg_advisory_lock(hashtext(${lockKey}))`;
      try {
        await reserved`create schema if not exists ${reserved(schema)}`;
        const count = await applyMigrations(
          new PostgresJsSession(withBegin(reserved), new PgDialect(), undefined),
          folder,
          schema,
        );
        logger?.info({ schema, migrations: count }, 'database migrations up to date');
      } finally {
        await reserved`select pg_advisory_unlock(hashtext(${lockKey}))`;
      }
    } finally {
      reserved.release();
    }
  };

  return {
    db,
    driver: 'postgres',
    schema,
    ping,
    migrate,
    close: () => client.end({ timeout: 5 }),
  };
};

// A reserved connection has no begin(); drizzle's migrator wraps its work in one, so give it a plain
// BEGIN/COMMIT on that connection.
const withBegin = (reserved: postgres.ReservedSql): postgres.Sql => {
  const begin = async <T>(fn: (tx: postgres.Sql) => Promise<T>): Promise<T> => {
    await reserved.unsafe('begin');
    try {
      const result = await fn(reserved);
      await reserved.unsafe('commit');
      return result;
    } catch (error) {
      await reserved.unsafe('rollback').catch(() => {});
      throw error;
    }
  };
  return Object.assign(reserved, { begin }) as unknown as postgres.Sql;
};
