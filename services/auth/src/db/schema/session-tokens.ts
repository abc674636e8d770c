import { index, text, timestamp } from 'drizzle-orm/pg-core';
import { authSchema } from './index.ts';
import { sessions } from './sessions.ts';

/**
 * Long-lived opaque tokens for the seed dialects, whose clients cannot refresh: each stands for one session
 * and works exactly as long as it does. Only the sha256 is kept.
 */
export const sessionTokens = authSchema.table(
  'session_tokens',
  {
    hash: text().primaryKey(),
    sessionId: text()
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [index('session_tokens_session_id_idx').on(t.sessionId)],
);
export type SessionToken = typeof sessionTokens.$inferSelect;
