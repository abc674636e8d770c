import type { Db } from '@parley/kit';
import { and, desc, gt, isNull, ne, or } from 'drizzle-orm';
import { type SigningKey, signingKeys } from '../db/schema/signing-keys.ts';

export const createSigningKeysRepository = (db: Db) => ({
  async insert(key: SigningKey): Promise<void> {
    await db.insert(signingKeys).values(key);
  },

  /** The key that signs: the newest one not retired. */
  async current(): Promise<SigningKey | undefined> {
    const [row] = await db
      .select()
      .from(signingKeys)
      .where(isNull(signingKeys.retireAt))
      .orderBy(desc(signingKeys.createdAt))
      .limit(1);
    return row;
  },

  /** Keys whose tokens may still be unexpired at `now`: what the JWKS publishes. */
  async published(now: Date): Promise<SigningKey[]> {
    return db
      .select()
      .from(signingKeys)
      .where(or(isNull(signingKeys.retireAt), gt(signingKeys.retireAt, now)))
      .orderBy(desc(signingKeys.createdAt));
  },

  async retireAllBut(kid: string, retireAt: Date): Promise<void> {
    await db
      .update(signingKeys)
      .set({ retireAt })
      .where(and(isNull(signingKeys.retireAt), ne(signingKeys.kid, kid)));
  },
});
export type SigningKeysRepository = ReturnType<typeof createSigningKeysRepository>;
