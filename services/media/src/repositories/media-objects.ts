import type { Db } from '@parley/kit';
import { and, desc, eq, isNull, lt, or, type SQL } from 'drizzle-orm';
import { type MediaRow, mediaObjects, type NewMediaRow } from '../db/schema/media-objects.ts';

/** Where a page of the owner's list ends: newest first, ties broken by id. */
export interface ListCursor {
  createdAt: Date;
  id: string;
}

export const createMediaObjectsRepository = (db: Db) => ({
  async insert(row: NewMediaRow): Promise<MediaRow> {
    const [created] = await db.insert(mediaObjects).values(row).returning();
    return created!;
  },

  async find(id: string): Promise<MediaRow | undefined> {
    const [row] = await db.select().from(mediaObjects).where(eq(mediaObjects.id, id));
    return row;
  },

  /** The row, locked until the transaction ends: deletes and thumbnails of one row take turns. */
  async lock(id: string): Promise<MediaRow | undefined> {
    const [row] = await db.select().from(mediaObjects).where(eq(mediaObjects.id, id)).for('update');
    return row;
  },

  async listByOwner(ownerId: string, options: { kind?: string; limit: number; after?: ListCursor }): Promise<MediaRow[]> {
    const conditions: SQL[] = [eq(mediaObjects.ownerId, ownerId)];
    if (options.kind) conditions.push(eq(mediaObjects.kind, options.kind));
    if (options.after) {
      const { createdAt, id } = options.after;
      conditions.push(
        or(lt(mediaObjects.createdAt, createdAt), and(eq(mediaObjects.createdAt, createdAt), lt(mediaObjects.id, id)))!,
      );
    }
    return db
      .select()
      .from(mediaObjects)
      .where(and(...conditions))
      .orderBy(desc(mediaObjects.createdAt), desc(mediaObjects.id))
      .limit(options.limit);
  },

  /** Sets the thumbnail only if the row has none yet; false when another delivery got there first. */
  async setThumbnail(id: string, sha256: string, size: number): Promise<boolean> {
    const updated = await db
      .update(mediaObjects)
      .set({ thumbnailSha256: sha256, thumbnailSize: size })
      .where(and(eq(mediaObjects.id, id), isNull(mediaObjects.thumbnailSha256)))
      .returning({ id: mediaObjects.id });
    return updated.length > 0;
  },

  async delete(id: string): Promise<void> {
    await db.delete(mediaObjects).where(eq(mediaObjects.id, id));
  },
});
export type MediaObjectsRepository = ReturnType<typeof createMediaObjectsRepository>;
