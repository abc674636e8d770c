import { index, text, timestamp } from 'drizzle-orm/pg-core';
import { faceMatchSchema } from './index.ts';

/** A named person in one user's private face library; never visible to another owner. */
export const identities = faceMatchSchema.table(
  'identities',
  {
    id: text().primaryKey(),
    ownerId: text().notNull(),
    name: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('identities_owner_idx').on(t.ownerId)],
);
export type Identity = typeof identities.$inferSelect;
