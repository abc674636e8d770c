import { index, text, timestamp } from 'drizzle-orm/pg-core';
import { authSchema } from './index.ts';
import { users } from './users.ts';

/** A login. Access tokens carry its id (`sid`); revoking it is how their tokens stop working. */
export const sessions = authSchema.table(
  'sessions',
  {
    id: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    lastUsedAt: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    revokeReason: text(),
    ip: text(),
    userAgent: text(),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_revoked_at_idx').on(t.revokedAt)],
);
export type Session = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
