import { index, integer, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import { authSchema } from './index.ts';
import { users } from './users.ts';

export const CodePurposes = { verifyEmail: 'verify_email', login: 'login', changeEmail: 'change_email' } as const;
export type CodePurpose = (typeof CodePurposes)[keyof typeof CodePurposes];

/**
 * Mailed 6-digit codes, stored as argon2id hashes: a million candidates is nothing for a fast hash,
 * so a leaked table must not hand out live codes. One live code per user and purpose.
 */
export const oneTimeCodes = authSchema.table(
  'one_time_codes',
  {
    id: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text().$type<CodePurpose>().notNull(),
    codeHash: text().notNull(),
    attempts: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    consumedAt: timestamp({ withTimezone: true }),
    /** What the code confirms beyond the user, e.g. `{ email }` for an email change. */
    data: jsonb().$type<{ email?: string }>(),
  },
  (t) => [index('one_time_codes_user_purpose_idx').on(t.userId, t.purpose)],
);
export type OneTimeCode = typeof oneTimeCodes.$inferSelect;
