import { type Db, queryRows } from '@parley/kit';
import { desc, gt, isNull, or, sql } from 'drizzle-orm';
import { type UrlKey, urlKeys } from '../db/schema/url-keys.ts';

export const createUrlKeysRepository = (db: Db) => ({
  /** Transaction-scoped: copies starting together create one key, not one each. */
  async lock(): Promise<void> {
    await queryRows(db, sql`select pg_advisory_xact_lock(hashtext('parley:media:url-keys'))`);
  },

  async insert(key: UrlKey): Promise<void> {
    await db.insert(urlKeys).values(key);
  },

  /** Keys that still verify at `now`, newest (the signing key) first. */
  async live(now: Date): Promise<UrlKey[]> {
    return db
      .select()
      .from(urlKeys)
      .where(or(isNull(urlKeys.retireAt), gt(urlKeys.retireAt, now)))
      .orderBy(desc(urlKeys.createdAt));
  },
});
export type UrlKeysRepository = ReturnType<typeof createUrlKeysRepository>;
