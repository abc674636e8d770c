import type { Db } from '@parley/kit';
import { eq } from 'drizzle-orm';
import { identities } from '../db/schema/identities.ts';
import { type Photo, photos } from '../db/schema/photos.ts';

export type NewPhoto = Pick<Photo, 'id' | 'identityId' | 'ownerId' | 'box' | 'descriptor'>;

export interface IndexRow {
  identityId: string;
  name: string;
  descriptor: Uint8Array;
}

export const createPhotosRepository = (db: Db) => ({
  async insertMany(rows: NewPhoto[]): Promise<void> {
    if (rows.length > 0) await db.insert(photos).values(rows);
  },

  /** Every descriptor of one owner, with its identity's name: what the in-memory index is built from. */
  forOwner: (ownerId: string): Promise<IndexRow[]> =>
    db
      .select({ identityId: photos.identityId, name: identities.name, descriptor: photos.descriptor })
      .from(photos)
      .innerJoin(identities, eq(identities.id, photos.identityId))
      .where(eq(photos.ownerId, ownerId)),

  async countForIdentity(identityId: string): Promise<number> {
    return db.$count(photos, eq(photos.identityId, identityId));
  },
});
