import { openPgliteDatabase } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import { assertSchemaName, type CreateDatabaseOptions, type Database } from './types.ts';

/**
 * Postgres (postgres.js) when `url` is given, else embedded PGlite. Rejects with a message naming the
 * host when Postgres cannot be reached, so a misconfigured service fails at startup.
 */
export const createDatabase = async (options: CreateDatabaseOptions): Promise<Database> => {
  assertSchemaName(options.schema);
  if (options.url) return openPostgres(options.url, options);
  return openPgliteDatabase(options);
};
