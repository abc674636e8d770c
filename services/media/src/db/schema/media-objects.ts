import { bigint, index, integer, text, timestamp } from 'drizzle-orm/pg-core';
import { mediaSchema } from './index.ts';

/**
 * One row per upload; the bytes are content-addressed by sha256 in the blob store and may be shared by
 * several rows (and thumbnails). Every sha256 here holds one reference in `blobs`. Deleting is a real
 * DELETE: deleted media is gone for everyone, so nothing is kept about it.
 */
export const mediaObjects = mediaSchema.table(
  'media_objects',
  {
    id: text().primaryKey(),
    ownerId: text().notNull(),
    kind: text().notNull(),
    contentType: text().notNull(),
    sizeBytes: bigint({ mode: 'number' }).notNull(),
    sha256: text().notNull(),
    // Set by the service's clock (millisecond precision), so list cursors compare exactly.
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    filename: text().notNull().default(''),
    roomId: text(),
    /** Pixels as displayed, i.e. after EXIF orientation; null for non-images. */
    width: integer(),
    height: integer(),
    thumbnailSha256: text(),
    thumbnailSize: bigint({ mode: 'number' }),
  },
  (t) => [
    index('media_objects_owner_idx').on(t.ownerId, t.createdAt),
    index('media_objects_owner_kind_idx').on(t.ownerId, t.kind, t.createdAt),
    index('media_objects_sha256_idx').on(t.sha256),
  ],
);
export type MediaRow = typeof mediaObjects.$inferSelect;
export type NewMediaRow = typeof mediaObjects.$inferInsert;
