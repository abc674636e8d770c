import { AuthEndpoints, RevocationSubject } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, registerVerified } from './helpers/accounts.ts';
import { type AuthWorld, callerOf, client, startAuth } from './helpers/harness.ts';

interface Revocation {
  sessionIds: string[];
  until: number;
}

describe('sessions, refresh tokens and revocation', () => {
  let world: AuthWorld;
  const published: Revocation[] = [];
  beforeAll(async () => {
    world = await startAuth();
    world.bus.subscribe(RevocationSubject, (data) => {
      published.push(data as Revocation);
    });
    await world.bus.ping();
  });
  afterAll(() => world?.close());

  const revocationOf = async (sessionId: string): Promise<Revocation> => {
    await expect.poll(() => published.find((r) => r.sessionIds.includes(sessionId))).toBeDefined();
    return published.find((r) => r.sessionIds.includes(sessionId))!;
  };

  it('rotates refresh tokens: each use spends the old one and gives a new pair', async () => {
    const { tokens } = await registerVerified(world);
    const next = await world.call(AuthEndpoints.refresh, { refreshToken: tokens.refreshToken, client: client() });
    expect(next.sessionId).toBe(tokens.sessionId);
    expect(next.refreshToken).not.toBe(tokens.refreshToken);
    expect(next.accessToken).not.toBe(tokens.accessToken);
    const third = await world.call(AuthEndpoints.refresh, { refreshToken: next.refreshToken, client: client() });
    expect(third.sessionId).toBe(tokens.sessionId);
  });

  it('revokes the whole session when a spent refresh token comes back, and publishes it', async () => {
    const { tokens } = await registerVerified(world);
    const next = await world.call(AuthEndpoints.refresh, { refreshToken: tokens.refreshToken, client: client() });
    const reuse = await world.fail(AuthEndpoints.refresh, { refreshToken: tokens.refreshToken, client: client() });
    expect([reuse.code, reuse.status]).toEqual(['REFRESH_INVALID', 401]);
    // The thief's copy is dead, and so is the legitimate newer token of the same session.
    const after = await world.fail(AuthEndpoints.refresh, { refreshToken: next.refreshToken, client: client() });
    expect(after.code).toBe('REFRESH_INVALID');
    const session = await world.fail(AuthEndpoints.session, { caller: callerOf(tokens) });
    expect([session.code, session.status]).toEqual(['SESSION_INVALID', 401]);
    const revocation = await revocationOf(tokens.sessionId);
    const now = Math.floor(world.clock().getTime() / 1000);
    expect(revocation.until).toBeGreaterThanOrEqual(now + 900 - 5);
    expect(revocation.until).toBeLessThanOrEqual(now + 900);
  });

  it('refuses unknown and expired refresh tokens', async () => {
    const { tokens } = await registerVerified(world);
    for (const refreshToken of ['garbage', `${tokens.sessionId}.AAAA`]) {
      const err = await world.fail(AuthEndpoints.refresh, { refreshToken, client: client() });
      expect(err.code).toBe('REFRESH_INVALID');
    }
    world.clock.advance(30 * 24 * 3600 + 1);
    const err = await world.fail(AuthEndpoints.refresh, { refreshToken: tokens.refreshToken, client: client() });
    expect(err.code).toBe('REFRESH_INVALID');
    expect((await world.fail(AuthEndpoints.session, { caller: callerOf(tokens) })).code).toBe('SESSION_INVALID');
  });

  it('describes, lists and logs out the current session', async () => {
    const account = await registerVerified(world);
    const second = await login(world, account, '203.0.113.99');
    const caller = callerOf(account.tokens);

    const info = await world.call(AuthEndpoints.session, { caller });
    expect(info).toMatchObject({ sessionId: account.tokens.sessionId, userId: account.userId });
    expect(Date.parse(info.expiresAt)).toBeGreaterThan(world.clock().getTime());

    const list = await world.call(AuthEndpoints.listSessions, { caller });
    expect(list.items.map((s) => s.id).sort()).toEqual([account.tokens.sessionId, second.sessionId].sort());
    expect(list.items.find((s) => s.current)?.id).toBe(account.tokens.sessionId);
    expect(list.items.find((s) => !s.current)).toMatchObject({ ip: '203.0.113.99', userAgent: 'vitest' });

    expect(await world.call(AuthEndpoints.logout, { caller })).toEqual({ done: true });
    expect((await world.fail(AuthEndpoints.session, { caller })).code).toBe('SESSION_INVALID');
    await revocationOf(account.tokens.sessionId);
    const refresh = await world.fail(AuthEndpoints.refresh, { refreshToken: account.tokens.refreshToken, client: client() });
    expect(refresh.code).toBe('REFRESH_INVALID');
    // The other session lives on.
    expect(await world.call(AuthEndpoints.session, { caller: callerOf(second) })).toMatchObject({ sessionId: second.sessionId });
  });

  it('logs out every session at once', async () => {
    const account = await registerVerified(world);
    const others = [await login(world, account), await login(world, account)];
    await world.call(AuthEndpoints.logoutAll, { caller: callerOf(others[0]!) });
    for (const tokens of [account.tokens, ...others]) {
      expect((await world.fail(AuthEndpoints.session, { caller: callerOf(tokens) })).code).toBe('SESSION_INVALID');
    }
    const revocation = await revocationOf(account.tokens.sessionId);
    expect(revocation.sessionIds.sort()).toEqual([account.tokens.sessionId, ...others.map((t) => t.sessionId)].sort());
  });

  it("revokes one of the caller's own sessions, and answers 404 for someone else's", async () => {
    const alice = await registerVerified(world);
    const aliceLaptop = await login(world, alice);
    const bob = await registerVerified(world);

    const foreign = await world.fail(AuthEndpoints.revokeSession, {
      caller: callerOf(alice.tokens),
      sessionId: bob.tokens.sessionId,
    });
    expect([foreign.code, foreign.status]).toEqual(['SESSION_NOT_FOUND', 404]);
    const missing = await world.fail(AuthEndpoints.revokeSession, { caller: callerOf(alice.tokens), sessionId: 'no-such' });
    expect(missing.toWire()).toEqual(foreign.toWire());
    expect(await world.call(AuthEndpoints.session, { caller: callerOf(bob.tokens) })).toMatchObject({
      sessionId: bob.tokens.sessionId,
    });

    await world.call(AuthEndpoints.revokeSession, { caller: callerOf(alice.tokens), sessionId: aliceLaptop.sessionId });
    expect((await world.fail(AuthEndpoints.session, { caller: callerOf(aliceLaptop) })).code).toBe('SESSION_INVALID');
    await revocationOf(aliceLaptop.sessionId);
    const list = await world.call(AuthEndpoints.listSessions, { caller: callerOf(alice.tokens) });
    expect(list.items.map((s) => s.id)).toEqual([alice.tokens.sessionId]);
  });

  it('lists the revocations whose tokens may still be alive, until they are not', async () => {
    const account = await registerVerified(world);
    await world.call(AuthEndpoints.logout, { caller: callerOf(account.tokens) });
    const live = await world.call(AuthEndpoints.liveRevocations, {});
    const entry = live.items.find((r) => r.sessionId === account.tokens.sessionId);
    expect(entry?.until).toBe((await revocationOf(account.tokens.sessionId)).until);

    world.clock.advance(901);
    const later = await world.call(AuthEndpoints.liveRevocations, {});
    expect(later.items.find((r) => r.sessionId === account.tokens.sessionId)).toBeUndefined();
  });
});
