import { sql } from 'drizzle-orm';
import { text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { authSchema } from './index.ts';

/**
 * Names and emails are unique regardless of case (the indexes are on lower()); code relies on
 * these indexes and maps their violations, never on a check before the write. A GIN trigram index
 * on lower(name) for fuzzy search lives in the custom `trgm` migration (drizzle-kit cannot express it).
 */
export const users = authSchema.table(
  'users',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    email: text().notNull(),
    passwordHash: text(),
    emailVerifiedAt: timestamp({ withTimezone: true }),
    avatarUrl: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_name_lower_key').on(sql`lower(${t.name})`),
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
  ],
);
export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
