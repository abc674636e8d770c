import { bigint, index, text, timestamp } from 'drizzle-orm/pg-core';
import { mediaSchema } from './index.ts';

/** One row per upload; the bytes are content-addressed by sha256 in the blob store and may be shared by several rows. */
export const mediaObjects = mediaSchema.table(
  'media_objects',
  {
    id: text().primaryKey(),
    ownerId: text().notNull(),
    kind: text().notNull(),
    contentType: text().notNull(),
    sizeBytes: bigint({ mode: 'number' }).notNull(),
    sha256: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('media_objects_owner_idx').on(t.ownerId, t.createdAt), index('media_objects_sha256_idx').on(t.sha256)],
);
export type MediaObject = typeof mediaObjects.$inferSelect;
