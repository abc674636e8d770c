import { type Db, queryRows } from '@parley/kit';
import { and, asc, eq, lt, sql } from 'drizzle-orm';
import { type BlobRow, blobs } from '../db/schema/blobs.ts';

const LOCK_PREFIX = 'parley:media:blob:';

/** Reference counts; every change is one atomic statement, and byte deletion waits for `lock`. */
export const createBlobsRepository = (db: Db) => ({
  /**
   * Takes the blob's transaction-scoped advisory lock. Registering a reference and deleting the bytes
   * both hold it, so a blob is never deleted between a registration's check and its new reference.
   */
  async lock(sha256: string): Promise<void> {
    await queryRows(db, sql`select pg_advisory_xact_lock(hashtextextended(${LOCK_PREFIX + sha256}, 0))`);
  },

  async find(sha256: string): Promise<BlobRow | undefined> {
    const [row] = await db.select().from(blobs).where(eq(blobs.sha256, sha256));
    return row;
  },

  /** One more reference (the first creates the row). */
  async reference(sha256: string, size: number, now: Date): Promise<void> {
    await db
      .insert(blobs)
      .values({ sha256, size, refs: 1, updatedAt: now })
      .onConflictDoUpdate({ target: blobs.sha256, set: { refs: sql`${blobs.refs} + 1`, updatedAt: now } });
  },

  /** One reference fewer; the count left (0: the bytes may go). */
  async release(sha256: string, now: Date): Promise<number> {
    const [row] = await db
      .update(blobs)
      .set({ refs: sql`greatest(${blobs.refs} - 1, 0)`, updatedAt: now })
      .where(eq(blobs.sha256, sha256))
      .returning({ refs: blobs.refs });
    return row?.refs ?? 0;
  },

  async remove(sha256: string): Promise<void> {
    await db.delete(blobs).where(eq(blobs.sha256, sha256));
  },

  /** Blobs at zero refs since before `before`: left behind by a copy that stopped before deleting them. */
  async unreferenced(before: Date, limit: number): Promise<string[]> {
    const rows = await db
      .select({ sha256: blobs.sha256 })
      .from(blobs)
      .where(and(eq(blobs.refs, 0), lt(blobs.updatedAt, before)))
      .orderBy(asc(blobs.updatedAt))
      .limit(limit);
    return rows.map((r) => r.sha256);
  },
});
export type BlobsRepository = ReturnType<typeof createBlobsRepository>;
