import { integer, text, timestamp } from 'drizzle-orm/pg-core';
import { authSchema } from './index.ts';

/** Counters shared by every copy of the service (so never in memory); updated only by atomic upserts. */
export const throttle = authSchema.table('throttle', {
  key: text().primaryKey(),
  failures: integer().notNull(),
  windowStartedAt: timestamp({ withTimezone: true }).notNull(),
  blockedUntil: timestamp({ withTimezone: true }),
});
export type ThrottleRow = typeof throttle.$inferSelect;
