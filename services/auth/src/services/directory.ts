import { ParleyError, type PublicUser } from '@parley/contracts';
import { authError } from '../errors.ts';
import type { SearchCursor } from '../repositories/users.ts';
import type { AuthDeps } from './deps.ts';
import { toPublicUser } from './views.ts';

const DEFAULT_LIMIT = 20;

const encodeCursor = (c: SearchCursor): string => Buffer.from(JSON.stringify([c.rank, c.id])).toString('base64url');

const decodeCursor = (cursor: string): SearchCursor => {
  try {
    const [rank, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof rank === 'number' && typeof id === 'string') return { rank, id };
  } catch {
    // falls through to the error below
  }
  throw new ParleyError('BAD_REQUEST', 'Invalid cursor');
};

/** Other people as anyone may see them: never their email, not even when it was the search term. */
export const createDirectory = ({ repos }: Pick<AuthDeps, 'repos'>) => ({
  /** `emailMatch` says which hit the query named by its exact address (for a dialect; the canonical route drops it). */
  async search(
    q: string,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<{ items: (PublicUser & { emailMatch: boolean })[]; nextCursor: string | null }> {
    const hits = await repos.users.search(q.trim() || q, limit + 1, cursor ? decodeCursor(cursor) : undefined);
    const page = hits.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((hit) => ({ ...toPublicUser(hit), emailMatch: hit.emailMatch })),
      nextCursor: hits.length > limit && last ? encodeCursor({ rank: last.rank, id: last.id }) : null,
    };
  },

  async get(id: string): Promise<PublicUser> {
    const user = await repos.users.findById(id);
    if (!user) throw authError('USER_NOT_FOUND', 'No such user');
    return toPublicUser(user);
  },

  async lookup(ids: readonly string[]): Promise<{ users: PublicUser[] }> {
    const found = await repos.users.findByIds([...new Set(ids)]);
    return { users: found.map(toPublicUser) };
  },
});
