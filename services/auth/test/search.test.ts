import { AuthEndpoints, type Caller } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, registerVerified, uniqueName } from './helpers/accounts.ts';
import { type AuthWorld, callerOf, startAuth } from './helpers/harness.ts';

describe('finding people', () => {
  let world: AuthWorld;
  let caller: Caller;
  let alice: Awaited<ReturnType<typeof registerVerified>>;
  beforeAll(async () => {
    world = await startAuth();
    alice = await registerVerified(world, { name: 'alice', email: 'alice.private@example.test' });
    await registerVerified(world, { name: 'Alicia_K', email: 'ak@example.test' });
    await registerVerified(world, { name: 'bob', email: 'bob@example.test' });
    caller = callerOf((await registerVerified(world)).tokens);
  });
  afterAll(() => world?.close());

  const search = (q: string, limit?: number, cursor?: string) =>
    world.call(AuthEndpoints.searchUsers, { caller, q, ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) });

  it('finds "alice" for the misspelt "alise", with public fields only', async () => {
    const page = await search('alise');
    expect(page.items[0]).toEqual({ id: alice.userId, name: 'alice', avatarUrl: null, emailMatch: false });
    expect(page.items.map((u) => u.name)).not.toContain('bob');
    expect(JSON.stringify(page)).not.toContain('@');
  });

  it('finds a user by exact email, case-insensitively, without showing the email (only that it matched)', async () => {
    const page = await search('ALICE.private@example.test');
    expect(page.items).toEqual([{ id: alice.userId, name: 'alice', avatarUrl: null, emailMatch: true }]);
    expect((await search('alice.private@example')).items).toEqual([]);
  });

  it('pages with a cursor, without repeats', async () => {
    for (let i = 0; i < 4; i++) await registerVerified(world, { name: `carol${'abcd'[i]}_${uniqueName('x').slice(2, 6)}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search('carol', 2, cursor);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    const bad = await world.fail(AuthEndpoints.searchUsers, { caller, q: 'carol', cursor: 'bm9wZQ' });
    expect(bad.status).toBe(400);
  });

  it('leaves out accounts that never verified their address', async () => {
    const hidden = await register(world, { name: 'alicette' });
    const page = await search('alicette');
    expect(page.items.map((u) => u.id)).not.toContain(hidden.userId);
  });
});
