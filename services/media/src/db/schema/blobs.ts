import { sql } from 'drizzle-orm';
import { bigint, index, integer, text, timestamp } from 'drizzle-orm/pg-core';
import { mediaSchema } from './index.ts';

/**
 * Reference counts of the bytes in the blob store: one per media row using the sha256 as its original,
 * one per row using it as its thumbnail. A row at zero refs is bytes waiting to be deleted; they are
 * deleted (and the row with them) only under the blob's advisory lock, which registration also holds.
 */
export const blobs = mediaSchema.table(
  'blobs',
  {
    sha256: text().primaryKey(),
    size: bigint({ mode: 'number' }).notNull(),
    refs: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  // The sweeper looks only for blobs left at zero (a copy that stopped between release and delete).
  (t) => [index('blobs_unreferenced_idx').on(t.updatedAt).where(sql`${t.refs} = 0`)],
);
export type BlobRow = typeof blobs.$inferSelect;
