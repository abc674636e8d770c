import { index, text, timestamp } from 'drizzle-orm/pg-core';
import { authSchema } from './index.ts';
import { users } from './users.ts';

/** One-time verification links; the token has 256 random bits, so its sha256 is all that is kept. */
export const emailLinks = authSchema.table(
  'email_links',
  {
    hash: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('email_links_user_id_idx').on(t.userId)],
);
export type EmailLink = typeof emailLinks.$inferSelect;
