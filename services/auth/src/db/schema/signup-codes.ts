import { integer, text, timestamp } from 'drizzle-orm/pg-core';
import { authSchema } from './index.ts';

/**
 * Codes mailed to an address that has no account yet (the `groupchat` dialect confirms the address first,
 * then creates the account). One live code per address (lower-cased); argon2id hashes like every code.
 */
export const signupCodes = authSchema.table('signup_codes', {
  email: text().primaryKey(),
  codeHash: text().notNull(),
  attempts: integer().notNull().default(0),
  createdAt: timestamp({ withTimezone: true }).notNull(),
  expiresAt: timestamp({ withTimezone: true }).notNull(),
});
export type SignupCode = typeof signupCodes.$inferSelect;
