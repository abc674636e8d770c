import type { Db } from '@parley/kit';
import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { type CodePurpose, type OneTimeCode, oneTimeCodes } from '../db/schema/one-time-codes.ts';

export const createOneTimeCodesRepository = (db: Db) => ({
  /** A new code makes the earlier unused ones of the same purpose worthless. */
  async replace(code: OneTimeCode): Promise<void> {
    await db
      .delete(oneTimeCodes)
      .where(and(eq(oneTimeCodes.userId, code.userId), eq(oneTimeCodes.purpose, code.purpose), isNull(oneTimeCodes.consumedAt)));
    await db.insert(oneTimeCodes).values(code);
  },

  async findLive(userId: string, purpose: CodePurpose, now: Date): Promise<OneTimeCode | undefined> {
    const [row] = await db
      .select()
      .from(oneTimeCodes)
      .where(
        and(
          eq(oneTimeCodes.userId, userId),
          eq(oneTimeCodes.purpose, purpose),
          isNull(oneTimeCodes.consumedAt),
          gt(oneTimeCodes.expiresAt, now),
        ),
      )
      .orderBy(desc(oneTimeCodes.createdAt))
      .limit(1);
    return row;
  },

  async deleteExpired(before: Date): Promise<void> {
    await db.delete(oneTimeCodes).where(lt(oneTimeCodes.expiresAt, before));
  },

  /** Counts an attempt before the hash is compared, so parallel guesses cannot exceed `max`. */
  async reserveAttempt(id: string, max: number): Promise<boolean> {
    const rows = await db
      .update(oneTimeCodes)
      .set({ attempts: sql`${oneTimeCodes.attempts} + 1` })
      .where(and(eq(oneTimeCodes.id, id), isNull(oneTimeCodes.consumedAt), lt(oneTimeCodes.attempts, max)))
      .returning({ id: oneTimeCodes.id });
    return rows.length === 1;
  },

  async consume(id: string, at: Date): Promise<boolean> {
    const rows = await db
      .update(oneTimeCodes)
      .set({ consumedAt: at })
      .where(and(eq(oneTimeCodes.id, id), isNull(oneTimeCodes.consumedAt)))
      .returning({ id: oneTimeCodes.id });
    return rows.length === 1;
  },
});
export type OneTimeCodesRepository = ReturnType<typeof createOneTimeCodesRepository>;
