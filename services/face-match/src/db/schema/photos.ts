import { customType, index, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import { identities } from './identities.ts';
import { faceMatchSchema } from './index.ts';

/** 128 little-endian float32s: 512 bytes, read straight into the in-memory index. */
const descriptorBytes = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
});

/**
 * One enrolled face. The photo itself is never kept: only where the face was and its descriptor.
 * Deleting the identity deletes its photos (cascade).
 */
export const photos = faceMatchSchema.table(
  'photos',
  {
    id: text().primaryKey(),
    identityId: text()
      .notNull()
      .references(() => identities.id, { onDelete: 'cascade' }),
    /** Copied from the identity so an owner's whole index loads without a join. */
    ownerId: text().notNull(),
    box: jsonb().$type<{ x: number; y: number; width: number; height: number }>().notNull(),
    descriptor: descriptorBytes().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('photos_owner_idx').on(t.ownerId), index('photos_identity_idx').on(t.identityId)],
);
export type Photo = typeof photos.$inferSelect;
