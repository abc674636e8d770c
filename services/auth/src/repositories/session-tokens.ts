import type { Db } from '@parley/kit';
import { eq } from 'drizzle-orm';
import { type SessionToken, sessionTokens } from '../db/schema/session-tokens.ts';
import { type Session, sessions } from '../db/schema/sessions.ts';
import { type User, users } from '../db/schema/users.ts';

export const createSessionTokensRepository = (db: Db) => ({
  async insert(row: SessionToken): Promise<void> {
    await db.insert(sessionTokens).values(row);
  },

  /** The token's session and account, whatever state the session is in; undefined if never issued. */
  async find(hash: string): Promise<{ session: Session; user: User } | undefined> {
    const [row] = await db
      .select({ session: sessions, user: users })
      .from(sessionTokens)
      .innerJoin(sessions, eq(sessions.id, sessionTokens.sessionId))
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessionTokens.hash, hash));
    return row;
  },
});
export type SessionTokensRepository = ReturnType<typeof createSessionTokensRepository>;
