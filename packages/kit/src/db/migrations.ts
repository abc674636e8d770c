import { type MigrationConfig, readMigrationFiles } from 'drizzle-orm/migrator';
import type { PgSession } from 'drizzle-orm/pg-core';
import { PgDialect } from 'drizzle-orm/pg-core';

export const MIGRATIONS_TABLE = '__drizzle_migrations';

// drizzle's migrator creates the service schema (to hold its history table) before running the
// migrations, and drizzle-kit's first migration says `CREATE SCHEMA "x";`, which would then fail.
const CREATE_SCHEMA = /^(\s*CREATE SCHEMA)(\s+"[^"]+"\s*;?\s*)$/i;

const tolerateExistingSchema = (statement: string): string => statement.replace(CREATE_SCHEMA, '$1 IF NOT EXISTS$2');

/**
 * Applies the drizzle-kit migrations in `folder` through `session`, recording them in
 * `<schema>.__drizzle_migrations` (same hashes as drizzle's own migrator, so histories stay compatible).
 */
// biome-ignore lint/suspicious/noExplicitAny: drizzle types sessions by their relational schema, which migrations do not use
export const applyMigrations = async (session: PgSession<any, any, any>, folder: string, schema: string): Promise<number> => {
  const config: MigrationConfig = { migrationsFolder: folder, migrationsSchema: schema, migrationsTable: MIGRATIONS_TABLE };
  let migrations: ReturnType<typeof readMigrationFiles>;
  try {
    migrations = readMigrationFiles(config);
  } catch (error) {
    throw new Error(`Cannot read migrations for schema "${schema}" from ${folder}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const patched = migrations.map((m) => ({ ...m, sql: m.sql.map(tolerateExistingSchema) }));
  await new PgDialect().migrate(patched, session, config);
  return migrations.length;
};
