export { createDatabase } from './create.ts';
export { MIGRATIONS_TABLE } from './migrations.ts';
export { MEMORY_DATA_DIR, openSharedPglite, type SharedPglite } from './pglite.ts';
export { describePostgresUrl } from './postgres.ts';
export { type CreateDatabaseOptions, type Database, type DatabaseDriver, type Db, queryRows, type Tx } from './types.ts';
export {
  DATABASE_RETRY_AFTER_SECONDS,
  databaseUnavailable,
  isDatabaseUnavailable,
  type RetryWhileUnavailableOptions,
  retryWhileDatabaseUnavailable,
  unavailableReason,
} from './unavailable.ts';
