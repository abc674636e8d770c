import type { Db } from '@parley/kit';
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { type EmailLink, emailLinks } from '../db/schema/email-links.ts';

export const createEmailLinksRepository = (db: Db) => ({
  async insert(link: EmailLink): Promise<void> {
    await db.insert(emailLinks).values(link);
  },

  async findLive(hash: string, now: Date): Promise<EmailLink | undefined> {
    const [row] = await db
      .select()
      .from(emailLinks)
      .where(and(eq(emailLinks.hash, hash), isNull(emailLinks.usedAt), gt(emailLinks.expiresAt, now)));
    return row;
  },

  async deleteExpired(before: Date): Promise<void> {
    await db.delete(emailLinks).where(lt(emailLinks.expiresAt, before));
  },

  /** Whether the user chose link verification (so a resend sends a link again). */
  async hasAny(userId: string): Promise<boolean> {
    const rows = await db.select({ hash: emailLinks.hash }).from(emailLinks).where(eq(emailLinks.userId, userId)).limit(1);
    return rows.length > 0;
  },

  /** The link's owner, for exactly one caller. */
  async use(hash: string, now: Date): Promise<string | undefined> {
    const [row] = await db
      .update(emailLinks)
      .set({ usedAt: now })
      .where(and(eq(emailLinks.hash, hash), isNull(emailLinks.usedAt), gt(emailLinks.expiresAt, now)))
      .returning({ userId: emailLinks.userId });
    return row?.userId;
  },
});
export type EmailLinksRepository = ReturnType<typeof createEmailLinksRepository>;
