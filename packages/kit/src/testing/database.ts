import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { describePostgresUrl } from '../db/postgres.ts';

export interface TestDatabase {
  /** A fresh database on the DATABASE_URL server, or undefined: use in-memory PGlite. */
  url: string | undefined;
  /** Drops the database (terminating its connections); does nothing for PGlite. */
  drop(): Promise<void>;
}

const withAdmin = async <T>(serverUrl: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
  const sql = postgres(serverUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    return await fn(sql);
  } catch (error) {
    throw new Error(`Test database setup on ${describePostgresUrl(serverUrl)} failed: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
};

/**
 * One database per caller, so parallel test files never see each other's rows. With DATABASE_URL
 * unset the result has `url: undefined`, meaning "use in-memory PGlite".
 */
export const createTestDatabaseUrl = async (serverUrl: string | undefined = process.env.DATABASE_URL): Promise<TestDatabase> => {
  if (!serverUrl) return { url: undefined, drop: async () => {} };
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (sql) => sql.unsafe(`create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdmin(serverUrl, (sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
    },
  };
};
