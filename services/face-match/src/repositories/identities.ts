import type { Db } from '@parley/kit';
import { and, asc, count, eq } from 'drizzle-orm';
import { identities } from '../db/schema/identities.ts';
import { photos } from '../db/schema/photos.ts';

export interface IdentityRow {
  id: string;
  name: string;
  photoCount: number;
  createdAt: Date;
}

export const createIdentitiesRepository = (db: Db) => ({
  async insert(row: { id: string; ownerId: string; name: string }): Promise<IdentityRow> {
    const [created] = await db.insert(identities).values(row).returning();
    return { id: created!.id, name: created!.name, photoCount: 0, createdAt: created!.createdAt };
  },

  /** Someone else's identity is not found, exactly like a missing one. */
  async find(ownerId: string, id: string): Promise<IdentityRow | null> {
    const rows = await withCounts(db).where(and(eq(identities.ownerId, ownerId), eq(identities.id, id)));
    return rows[0] ?? null;
  },

  list: (ownerId: string): Promise<IdentityRow[]> =>
    withCounts(db).where(eq(identities.ownerId, ownerId)).orderBy(asc(identities.createdAt), asc(identities.id)),

  /** Its photos go by cascade. */
  async delete(ownerId: string, id: string): Promise<boolean> {
    const gone = await db
      .delete(identities)
      .where(and(eq(identities.ownerId, ownerId), eq(identities.id, id)))
      .returning({ id: identities.id });
    return gone.length > 0;
  },
});

const withCounts = (db: Db) =>
  db
    .select({ id: identities.id, name: identities.name, createdAt: identities.createdAt, photoCount: count(photos.id) })
    .from(identities)
    .leftJoin(photos, eq(photos.identityId, identities.id))
    .groupBy(identities.id)
    .$dynamic();
