import type { Db } from '@parley/kit';
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { type SignupCode, signupCodes } from '../db/schema/signup-codes.ts';

export const createSignupCodesRepository = (db: Db) => ({
  /** A new code for the address replaces any earlier one. */
  async replace(row: SignupCode): Promise<void> {
    await db
      .insert(signupCodes)
      .values(row)
      .onConflictDoUpdate({
        target: signupCodes.email,
        set: { codeHash: row.codeHash, attempts: 0, createdAt: row.createdAt, expiresAt: row.expiresAt },
      });
  },

  async findLive(email: string, now: Date): Promise<SignupCode | undefined> {
    const [row] = await db
      .select()
      .from(signupCodes)
      .where(and(eq(signupCodes.email, email), gt(signupCodes.expiresAt, now)));
    return row;
  },

  /** Counts an attempt before the hash is compared, so parallel guesses cannot exceed `max`. */
  async reserveAttempt(email: string, max: number): Promise<boolean> {
    const rows = await db
      .update(signupCodes)
      .set({ attempts: sql`${signupCodes.attempts} + 1` })
      .where(and(eq(signupCodes.email, email), lt(signupCodes.attempts, max)))
      .returning({ email: signupCodes.email });
    return rows.length === 1;
  },

  async delete(email: string): Promise<void> {
    await db.delete(signupCodes).where(eq(signupCodes.email, email));
  },

  async deleteExpired(before: Date): Promise<void> {
    await db.delete(signupCodes).where(lt(signupCodes.expiresAt, before));
  },
});
export type SignupCodesRepository = ReturnType<typeof createSignupCodesRepository>;
