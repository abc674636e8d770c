import { index, text, timestamp } from 'drizzle-orm/pg-core';
import { authSchema } from './index.ts';
import { sessions } from './sessions.ts';

/** Only the sha256 of a token is kept. A spent token stays, so presenting it again is recognised as theft. */
export const refreshTokens = authSchema.table(
  'refresh_tokens',
  {
    hash: text().primaryKey(),
    sessionId: text()
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    spentAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('refresh_tokens_session_id_idx').on(t.sessionId)],
);
export type RefreshToken = typeof refreshTokens.$inferSelect;
