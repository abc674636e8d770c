import type { Db } from '@parley/kit';
import { and, desc, eq, gt, isNull, ne, type SQL } from 'drizzle-orm';
import { type NewSession, type Session, sessions } from '../db/schema/sessions.ts';

export interface Revoked {
  id: string;
  userId: string;
}

export const createSessionsRepository = (db: Db) => {
  const revokeWhere = async (where: SQL | undefined, at: Date, reason: string): Promise<Revoked[]> =>
    db
      .update(sessions)
      .set({ revokedAt: at, revokeReason: reason })
      .where(and(where, isNull(sessions.revokedAt)))
      .returning({ id: sessions.id, userId: sessions.userId });

  return {
    async insert(session: NewSession): Promise<Session> {
      const [row] = await db.insert(sessions).values(session).returning();
      return row!;
    },

    async findById(id: string): Promise<Session | undefined> {
      const [row] = await db.select().from(sessions).where(eq(sessions.id, id));
      return row;
    },

    async touch(id: string, lastUsedAt: Date, expiresAt: Date): Promise<void> {
      await db.update(sessions).set({ lastUsedAt, expiresAt }).where(eq(sessions.id, id));
    },

    async listLive(userId: string, now: Date): Promise<Session[]> {
      return db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
        .orderBy(desc(sessions.lastUsedAt));
    },

    /** Only sessions not revoked yet: the result is what this call revoked. */
    revoke: (id: string, at: Date, reason: string) => revokeWhere(eq(sessions.id, id), at, reason),

    revokeAllOfUser: (userId: string, at: Date, reason: string, except?: string) =>
      revokeWhere(and(eq(sessions.userId, userId), except ? ne(sessions.id, except) : undefined), at, reason),

    async revokedSince(since: Date): Promise<{ id: string; revokedAt: Date }[]> {
      const rows = await db
        .select({ id: sessions.id, revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(gt(sessions.revokedAt, since));
      return rows.map((r) => ({ id: r.id, revokedAt: r.revokedAt! }));
    },
  };
};
export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
