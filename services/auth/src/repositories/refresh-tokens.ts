import type { Db } from '@parley/kit';
import { and, eq, isNull, lt } from 'drizzle-orm';
import { type RefreshToken, refreshTokens } from '../db/schema/refresh-tokens.ts';

export const createRefreshTokensRepository = (db: Db) => ({
  async insert(token: RefreshToken): Promise<void> {
    await db.insert(refreshTokens).values(token);
  },

  async find(hash: string): Promise<RefreshToken | undefined> {
    const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.hash, hash));
    return row;
  },

  /** Spent tokens are kept until they expire, so a reuse is still recognised until then. */
  async deleteExpired(before: Date): Promise<void> {
    await db.delete(refreshTokens).where(lt(refreshTokens.expiresAt, before));
  },

  /** True for exactly one caller, even when two present the same token at once. */
  async spend(hash: string, at: Date): Promise<boolean> {
    const rows = await db
      .update(refreshTokens)
      .set({ spentAt: at })
      .where(and(eq(refreshTokens.hash, hash), isNull(refreshTokens.spentAt)))
      .returning({ hash: refreshTokens.hash });
    return rows.length === 1;
  },
});
export type RefreshTokensRepository = ReturnType<typeof createRefreshTokensRepository>;
