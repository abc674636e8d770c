import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createDatabase, type Database, type Db, openSharedPglite, queryRows } from '../src/db/index.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../src/testing/database.ts';
import { items } from './fixtures/schema.ts';

const migrations = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
/** The fixture folder's migrations (items, outbox): each recorded once however often migrate runs. */
const fixtureMigrations = 2;
const expectedDriver = process.env.DATABASE_URL ? 'postgres' : 'pglite';

let testDb: TestDatabase;
const opened: Database[] = [];
const tempDirs: string[] = [];

const open = async (options: Partial<Parameters<typeof createDatabase>[0]> = {}): Promise<Database> => {
  const database = await createDatabase({ url: testDb.url, schema: 'kit_test', ...options });
  opened.push(database);
  return database;
};

const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-kit-db-'));
  tempDirs.push(dir);
  return dir;
};

// Written the way a service repository is: against Database['db'], not a driver-specific type.
const itemRepository = (db: Database['db']) => ({
  add: async (displayName: string, quantity = 0) => {
    const [row] = await db.insert(items).values({ displayName, quantity }).returning();
    return row!;
  },
  byName: (displayName: string) => db.select().from(items).where(eq(items.displayName, displayName)),
});

const historyCount = async (db: Db): Promise<number> => {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from kit_test.__drizzle_migrations`);
  return row!.n;
};

beforeAll(async () => {
  testDb = await createTestDatabaseUrl();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
});

afterAll(async () => {
  await testDb?.drop();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('createDatabase', () => {
  it('uses the driver the environment asks for and answers a ping', async () => {
    const database = await open();
    expect(database.driver).toBe(expectedDriver);
    expect(await database.ping()).toBeGreaterThanOrEqual(0);
  });

  it('applies migrations into the service schema, and again without effect', async () => {
    const database = await open();
    await database.migrate(migrations);
    await database.migrate(migrations);
    expect(await historyCount(database.db)).toBe(fixtureMigrations);
    const tables = await queryRows<{ table_name: string }>(
      database.db,
      sql`select table_name from information_schema.tables where table_schema = 'kit_test' order by table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(['__drizzle_migrations', 'items', 'outbox']);
  });

  it('runs typed inserts, selects and transactions through the drizzle instance', async () => {
    const database = await open();
    await database.migrate(migrations);
    const repo = itemRepository(database.db);
    const added = await repo.add('first widget', 3);
    expectTypeOf(added).toEqualTypeOf<{ id: number; displayName: string; quantity: number; createdAt: Date }>();
    expect(added).toMatchObject({ displayName: 'first widget', quantity: 3 });
    expect(added.createdAt).toBeInstanceOf(Date);

    const found = await repo.byName('first widget');
    expect(found).toHaveLength(1);
    expect(found[0]!.id).toBe(added.id);

    // snake_case casing: the column is display_name in the database.
    const [raw] = await queryRows<{ display_name: string }>(database.db, sql`select display_name from kit_test.items`);
    expect(raw?.display_name).toBe('first widget');

    await expect(
      database.db.transaction(async (tx) => {
        await itemRepository(tx).add('rolled back');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await repo.byName('rolled back')).toEqual([]);
  });

  it('lets two instances migrate the same database at once', async () => {
    let pair: [Database, Database];
    let releaseShared = async () => {};
    if (testDb.url) {
      pair = [await open(), await open()];
    } else {
      // Embedded services in one process share one PGlite.
      const shared = await openSharedPglite('memory://');
      releaseShared = shared.release;
      pair = [await open({ pglite: shared.pglite }), await open({ pglite: shared.pglite })];
    }
    try {
      await Promise.all(pair.map((d) => d.migrate(migrations)));
      await itemRepository(pair[0].db).add('seen by both');
      expect(await itemRepository(pair[1].db).byName('seen by both')).toHaveLength(1);
      expect(await historyCount(pair[1].db)).toBe(fixtureMigrations);
    } finally {
      await Promise.all(opened.splice(0).map((d) => d.close()));
      await releaseShared();
    }
  });

  it('makes pg_trgm available', async () => {
    const database = await open();
    await database.db.execute(sql`create extension if not exists pg_trgm`);
    const [row] = await queryRows<{ score: number }>(database.db, sql`select similarity('parley', 'parlay')::float8 as score`);
    expect(row!.score).toBeGreaterThan(0.3);
    expect(row!.score).toBeLessThan(1);
  });

  it('rejects an unreachable Postgres with a message naming the host but not the password', async () => {
    const failure = createDatabase({ url: 'postgres://postgres:hunter2@127.0.0.1:1/x', schema: 'kit_test' });
    await expect(failure).rejects.toThrow(/Cannot reach Postgres at 127\.0\.0\.1:1\/x as postgres: .*ECONNREFUSED/);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(createDatabase({ schema: 'Bad-Schema; drop', url: testDb.url })).rejects.toThrow(/Invalid database schema name/);
  });
});

describe('embedded PGlite', () => {
  it('shares one instance per directory until the last release', async () => {
    const dir = await tempDir();
    const first = await openSharedPglite(dir);
    const second = await openSharedPglite(dir);
    expect(second.pglite).toBe(first.pglite);

    await first.release();
    await first.release();
    expect(first.pglite.closed).toBe(false);
    expect((await second.pglite.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);

    await second.release();
    expect(second.pglite.closed).toBe(true);

    const reopened = await openSharedPglite(dir);
    expect(reopened.pglite).not.toBe(first.pglite);
    await reopened.release();
  });

  it('does not close a PGlite it was given', async () => {
    const shared = await openSharedPglite('memory://');
    try {
      const database = await createDatabase({ schema: 'kit_test', pglite: shared.pglite });
      await database.close();
      expect(shared.pglite.closed).toBe(false);
      expect(database.driver).toBe('pglite');
    } finally {
      await shared.release();
    }
  });

  it('keeps data in DATA_DIR across restarts', async () => {
    const dataDir = await tempDir();
    const before = await createDatabase({ schema: 'kit_test', dataDir });
    await before.migrate(migrations);
    await itemRepository(before.db).add('persisted');
    await before.close();

    const after = await createDatabase({ schema: 'kit_test', dataDir });
    try {
      await after.migrate(migrations);
      expect(await itemRepository(after.db).byName('persisted')).toHaveLength(1);
    } finally {
      await after.close();
    }
  });
});
