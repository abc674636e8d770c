import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle } from 'drizzle-orm/pglite';
import { applyMigrations } from './migrations.ts';
import type { CreateDatabaseOptions, Database, Db } from './types.ts';

export const MEMORY_DATA_DIR = 'memory://';

const isMemory = (dataDir: string | undefined): boolean => dataDir === undefined || dataDir === MEMORY_DATA_DIR;

/** A new PGlite with pg_trgm available, in `${dataDir}/db` or in memory. */
export const openPglite = async (dataDir?: string): Promise<PGlite> => {
  const extensions = { pg_trgm };
  if (isMemory(dataDir)) return PGlite.create({ extensions });
  const dir = resolve(dataDir!, 'db');
  await mkdir(dir, { recursive: true });
  try {
    return await PGlite.create({ dataDir: dir, extensions });
  } catch (error) {
    throw new Error(`Cannot open the embedded database in ${dir}: ${(error as Error).message}`, { cause: error });
  }
};

export interface SharedPglite {
  pglite: PGlite;
  /** Gives up this reference; the last one closes the PGlite. Calling it twice does nothing more. */
  release(): Promise<void>;
}

interface Entry {
  opening: Promise<PGlite>;
  refs: number;
}

const shared = new Map<string, Entry>();
// A directory reopened right after its last release must wait until the old instance has closed.
const closing = new Map<string, Promise<void>>();

const sharedKey = (dataDir: string): string => (isMemory(dataDir) ? MEMORY_DATA_DIR : resolve(dataDir));

/**
 * PGlite is single-connection and one data directory must not be opened twice, so services in one
 * process share one instance per directory (`memory://` shares one in-memory instance).
 */
export const openSharedPglite = async (dataDir: string): Promise<SharedPglite> => {
  const key = sharedKey(dataDir);
  let entry = shared.get(key);
  if (!entry) {
    const previous = closing.get(key)?.catch(() => {}) ?? Promise.resolve();
    const created: Entry = { opening: previous.then(() => openPglite(dataDir)), refs: 0 };
    shared.set(key, created);
    created.opening.catch(() => {
      if (shared.get(key) === created) shared.delete(key);
    });
    entry = created;
  }
  entry.refs += 1;
  const current = entry;
  let pglite: PGlite;
  try {
    pglite = await current.opening;
  } catch (error) {
    current.refs -= 1;
    throw error;
  }
  let released = false;
  return {
    pglite,
    release: async () => {
      if (released) return;
      released = true;
      current.refs -= 1;
      if (current.refs > 0) return;
      if (shared.get(key) === current) shared.delete(key);
      const closed = pglite.close().finally(() => {
        if (closing.get(key) === closed) closing.delete(key);
      });
      closing.set(key, closed);
      await closed;
    },
  };
};

// Services sharing one PGlite may migrate at the same time; drizzle reads the history before its
// transaction, so migrations on one instance run one after another.
const migrationQueues = new WeakMap<PGlite, Promise<unknown>>();

const serialized = <T>(pglite: PGlite, task: () => Promise<T>): Promise<T> => {
  const previous = migrationQueues.get(pglite) ?? Promise.resolve();
  const next = previous.then(task, task);
  migrationQueues.set(
    pglite,
    next.catch(() => {}),
  );
  return next;
};

export const openPgliteDatabase = async (options: CreateDatabaseOptions): Promise<Database> => {
  const { schema, logger } = options;
  let pglite: PGlite;
  let closeOwned: () => Promise<void>;
  if (options.pglite) {
    pglite = options.pglite;
    closeOwned = async () => {};
  } else if (isMemory(options.dataDir)) {
    pglite = await openPglite();
    closeOwned = () => pglite.close();
  } else {
    const handle = await openSharedPglite(options.dataDir!);
    pglite = handle.pglite;
    closeOwned = handle.release;
  }
  const db: Db = drizzle({ client: pglite, casing: 'snake_case' });
  logger?.debug({ db: isMemory(options.dataDir) && !options.pglite ? 'memory' : 'pglite', schema }, 'opened embedded database');

  let closed = false;
  return {
    db,
    driver: 'pglite',
    schema,
    ping: async () => {
      const started = performance.now();
      await pglite.query('select 1');
      return performance.now() - started;
    },
    migrate: (folder) =>
      serialized(pglite, async () => {
        const count = await applyMigrations(db._.session, folder, schema);
        logger?.info({ schema, migrations: count }, 'database migrations up to date');
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await closeOwned();
    },
  };
};
