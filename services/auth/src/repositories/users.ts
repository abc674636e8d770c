import type { Db } from '@parley/kit';
import { and, asc, desc, eq, inArray, isNotNull, or, type SQL, sql } from 'drizzle-orm';
import { type NewUser, type User, users } from '../db/schema/users.ts';

export interface SearchCursor {
  rank: number;
  id: string;
}

export interface SearchHit {
  id: string;
  name: string;
  avatarUrl: string | null;
  rank: number;
  /** Found by its address (the query was exactly it), not by its name. */
  emailMatch: boolean;
}

const lowerEq = (column: SQL | typeof users.name | typeof users.email, value: string): SQL =>
  sql`lower(${column}) = lower(${value})`;

const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

export const createUsersRepository = (db: Db) => ({
  async insert(user: NewUser): Promise<User> {
    const [row] = await db.insert(users).values(user).returning();
    return row!;
  },

  async findById(id: string): Promise<User | undefined> {
    const [row] = await db.select().from(users).where(eq(users.id, id));
    return row;
  },

  async findByIds(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return db
      .select()
      .from(users)
      .where(inArray(users.id, [...ids]));
  },

  async findByEmail(email: string): Promise<User | undefined> {
    const [row] = await db.select().from(users).where(lowerEq(users.email, email));
    return row;
  },

  /** Names cannot contain `@`, so a login with one is an email. */
  async findByLogin(login: string): Promise<User | undefined> {
    const [row] = await db
      .select()
      .from(users)
      .where(login.includes('@') ? lowerEq(users.email, login) : lowerEq(users.name, login));
    return row;
  },

  async update(id: string, changes: Partial<Omit<NewUser, 'id' | 'createdAt'>>): Promise<User | undefined> {
    const [row] = await db.update(users).set(changes).where(eq(users.id, id)).returning();
    return row;
  },

  async delete(id: string): Promise<void> {
    await db.delete(users).where(eq(users.id, id));
  },

  /**
   * Verified accounts whose lower(name) is trigram-similar to `q` (pg_trgm `%`) or starts with it,
   * plus the one whose email is exactly `q`; best first, then by id, keyset-paged on (rank, id).
   */
  async search(q: string, limit: number, after: SearchCursor | undefined): Promise<SearchHit[]> {
    const needle = q.toLowerCase();
    const rank = sql<number>`(case when lower(${users.email}) = ${needle} then 2
      else similarity(lower(${users.name}), ${needle}) + case when lower(${users.name}) like ${`${escapeLike(needle)}%`} then 1 else 0 end
    end)::real`;
    const ranked = db
      .select({
        id: users.id,
        name: users.name,
        avatarUrl: users.avatarUrl,
        rank: rank.as('rank'),
        emailMatch: sql<boolean>`lower(${users.email}) = ${needle}`.as('email_match'),
      })
      .from(users)
      .where(
        and(
          isNotNull(users.emailVerifiedAt),
          or(
            sql`lower(${users.name}) % ${needle}`,
            sql`lower(${users.name}) like ${`${escapeLike(needle)}%`}`,
            lowerEq(users.email, needle),
          ),
        ),
      )
      .as('ranked');
    const page = after
      ? sql`${ranked.rank} < ${after.rank}::real or (${ranked.rank} = ${after.rank}::real and ${ranked.id} > ${after.id})`
      : undefined;
    return db.select().from(ranked).where(page).orderBy(desc(ranked.rank), asc(ranked.id)).limit(limit);
  },
});
export type UsersRepository = ReturnType<typeof createUsersRepository>;
