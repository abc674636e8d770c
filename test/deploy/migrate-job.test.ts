/**
 * packages/stack/src/migrate.ts, what the Kubernetes migration Job and Compose's `migrate` run, as
 * the child process they start. On the DATABASE_URL server when one is set (a fresh database),
 * else on the embedded database in a fresh DATA_DIR, as the rest of the suite.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceNames } from '@parley/contracts';
import { createDatabase } from '@parley/kit';
import { createTestDatabaseUrl, freePort, type TestDatabase } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  output: string;
}

/** `node packages/stack/src/migrate.ts` from the repo root, with only the given database settings. */
const migrate = (env: Record<string, string>): Promise<Run> => {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'DATA_DIR', 'NATS_URL', 'LOG_LEVEL'].includes(key)),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/stack/src/migrate.ts'],
      { cwd: root, env: { ...inherited, ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error.code as number | undefined) ?? null) : 0, output: `${stdout}${stderr}` }),
    );
  });
};

const schemaOf = (service: string): string => service.replace(/-/g, '_');

/** How many migrations each service has committed (its drizzle journal). */
const committed = async (service: string): Promise<number> => {
  const journal = JSON.parse(await readFile(join(root, 'services', service, 'drizzle/meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
};

describe('the migration entry (packages/stack/src/migrate.ts)', () => {
  let database: TestDatabase;
  let dataDir: string;
  const target = (): Record<string, string> => (database.url ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir });

  /** The migration history each service's schema records, as `hash@created_at` lines. */
  const history = async (): Promise<Record<string, string[]>> => {
    // Opened together, so the embedded database is opened once rather than once per service.
    const dbs = await Promise.all(ServiceNames.map((s) => createDatabase({ url: database.url, dataDir, schema: schemaOf(s) })));
    try {
      const result: Record<string, string[]> = {};
      for (const [i, service] of ServiceNames.entries()) {
        const raw: unknown = await dbs[i]!.db.execute(
          `select hash, created_at from "${schemaOf(service)}"."__drizzle_migrations" order by created_at`,
        );
        const rows = (Array.isArray(raw) ? raw : ((raw as { rows: unknown[] }).rows ?? [])) as {
          hash: string;
          created_at: unknown;
        }[];
        result[service] = rows.map((r) => `${r.hash}@${r.created_at}`);
      }
      return result;
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  };

  beforeAll(async () => {
    database = await createTestDatabaseUrl();
    dataDir = await mkdtemp(join(tmpdir(), 'parley-migrate-'));
  });
  afterAll(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("applies every service's committed migrations to an empty database, and a second run applies none", async () => {
    const first = await migrate(target());
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain('every service schema is migrated');
    const applied = await history();
    for (const service of ServiceNames) expect(applied[service], service).toHaveLength(await committed(service));

    const second = await migrate(target());
    expect(second.code, second.output).toBe(0);
    expect(await history()).toEqual(applied);
  }, 300_000);

  it('exits 1 naming the server when the database cannot be reached', async () => {
    const port = await freePort();
    const run = await migrate({ DATABASE_URL: `postgres://parley@127.0.0.1:${port}/parley` });
    expect(run.code).toBe(1);
    expect(run.output).toContain(`Cannot reach Postgres at 127.0.0.1:${port}/parley`);
  }, 120_000);

  it('exits 1 before touching anything when DATABASE_URL is not a Postgres URL', async () => {
    const run = await migrate({ DATABASE_URL: 'mysql://parley@127.0.0.1/parley' });
    expect(run.code).toBe(1);
    expect(run.output).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  }, 120_000);
});
