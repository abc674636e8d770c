import { AuthEndpoints, ParleyError } from '@parley/contracts';
import type { Bus } from '@parley/kit';

/** Users are auth's: chat-notify only asks whether ids name real accounts. */
export const createUsers = (bus: Bus) => ({
  /** Throws USER_NOT_FOUND naming the ids that are not users (and nothing about the others). */
  async assertExist(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const { users } = await bus.request(AuthEndpoints.lookupUsers, { ids }, { retries: 2 });
    const known = new Set(users.map((u) => u.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new ParleyError('USER_NOT_FOUND', `No such user: ${unknown.join(', ')}`, { extra: { userIds: unknown } });
    }
  },
});
export type Users = ReturnType<typeof createUsers>;
