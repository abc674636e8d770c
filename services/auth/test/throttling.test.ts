import { AuthEndpoints, type ParleyError } from '@parley/contracts';
import { queryRows } from '@parley/kit';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories } from '../src/repositories/index.ts';
import { sweep } from '../src/services/housekeeping.ts';
import { login, registerVerified, uniqueName } from './helpers/accounts.ts';
import { type AuthWorld, client, startAuth } from './helpers/harness.ts';

const WRONG = 'certainly not the password';

describe('throttling of failed attempts, shared through the database', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await startAuth();
  });
  afterAll(() => world?.close());

  const wrongLogin = (name: string, ip: string) =>
    world.fail(AuthEndpoints.login, { login: name, password: WRONG, client: client(ip) });

  const expectThrottled = (err: ParleyError, maxSeconds: number) => {
    expect([err.code, err.status]).toEqual(['TOO_MANY_ATTEMPTS', 429]);
    expect(err.extra?.retryAfter).toBeGreaterThan(0);
    expect(err.extra?.retryAfter).toBeLessThanOrEqual(maxSeconds);
  };

  it('blocks an account+IP pair after 5 failures, even with the right password, while another IP still gets in', async () => {
    const account = await registerVerified(world);
    for (let i = 0; i < 5; i++) expect((await wrongLogin(account.name, '10.0.0.1')).code).toBe('INVALID_CREDENTIALS');
    const blocked = await world.fail(AuthEndpoints.login, {
      login: account.name,
      password: account.password,
      client: client('10.0.0.1'),
    });
    expectThrottled(blocked, 30);
    // Any copy of the service would say the same: the count lives in the database. Here, a second copy.
    await world.startCopy();
    expectThrottled(await wrongLogin(account.email, '10.0.0.1'), 30);

    const elsewhere = await login(world, account, '10.0.0.2');
    expect(elsewhere.user.id).toBe(account.userId);
  });

  it('doubles the delay with each failure after the block, and a success resets the pair', async () => {
    const account = await registerVerified(world);
    const ip = '10.0.1.1';
    for (let i = 0; i < 5; i++) await wrongLogin(account.name, ip);
    const first = (await wrongLogin(account.name, ip)).extra?.retryAfter as number;
    expect(first).toBeLessThanOrEqual(30);

    world.clock.advance(first);
    expect((await wrongLogin(account.name, ip)).code).toBe('INVALID_CREDENTIALS');
    const second = await wrongLogin(account.name, ip);
    expectThrottled(second, 60);
    expect(second.extra?.retryAfter).toBeGreaterThan(30);

    world.clock.advance(second.extra?.retryAfter as number);
    expect((await login(world, account, ip)).user.id).toBe(account.userId);
    // Reset: four more failures are not enough for a block.
    for (let i = 0; i < 4; i++) expect((await wrongLogin(account.name, ip)).code).toBe('INVALID_CREDENTIALS');
    expect((await login(world, account, ip)).user.id).toBe(account.userId);
  });

  it('caps one account at 20 failures across all IPs', async () => {
    const account = await registerVerified(world);
    for (let ip = 0; ip < 5; ip++) {
      for (let i = 0; i < 4; i++) expect((await wrongLogin(account.name, `10.0.2.${ip}`)).code).toBe('INVALID_CREDENTIALS');
    }
    const fresh = await world.fail(AuthEndpoints.login, {
      login: account.name,
      password: account.password,
      client: client('10.0.2.99'),
    });
    expectThrottled(fresh, 30);
  });

  it('caps one IP at 50 failures across accounts, known or not', async () => {
    const ip = '10.0.3.1';
    for (let i = 0; i < 50; i++) expect((await wrongLogin(uniqueName('spray'), ip)).code).toBe('INVALID_CREDENTIALS');
    const account = await registerVerified(world);
    expectThrottled(
      await world.fail(AuthEndpoints.login, { login: account.name, password: account.password, client: client(ip) }),
      30,
    );
    expect((await login(world, account, '10.0.3.2')).user.id).toBe(account.userId);
  });

  it('limits wrong codes per address, beyond the 5 tries of each code', async () => {
    const account = await registerVerified(world);
    const ask = (code: string) =>
      world.fail(AuthEndpoints.verifyLoginCode, { email: account.email, code, client: client('10.0.4.1') });
    for (let i = 0; i < 10; i++) expect((await ask('000000')).code).toBe('CODE_INVALID');
    expectThrottled(await ask('000000'), 30);
  });

  it('mails at most one login code a minute per address', async () => {
    const account = await registerVerified(world);
    const ask = (ip: string) => world.call(AuthEndpoints.requestLoginCode, { email: account.email, client: client(ip) });
    expect(await ask('10.0.5.1')).toEqual({ accepted: true });
    const again = await world.fail(AuthEndpoints.requestLoginCode, { email: account.email, client: client('10.0.5.2') });
    expectThrottled(again, 60);
    world.clock.advance(60);
    expect(await ask('10.0.5.3')).toEqual({ accepted: true });
    await expect
      .poll(() => world.smtp.messages.filter((m) => m.to.includes(account.email) && /login code/i.test(m.subject)).length)
      .toBe(2);
  });

  it('forgets counters, codes and links once they can no longer matter', async () => {
    const { db } = world.app.parley.database();
    const count = async (table: string) =>
      Number((await queryRows<{ n: number }>(db, sql.raw(`select count(*)::int as n from auth.${table}`)))[0]!.n);
    expect(await count('throttle')).toBeGreaterThan(0);
    expect(await count('one_time_codes')).toBeGreaterThan(0);

    await sweep({ repos: createRepositories(db), now: world.clock });
    expect(await count('throttle')).toBeGreaterThan(0);

    world.clock.advance(2 * 24 * 3600);
    await sweep({ repos: createRepositories(db), now: world.clock });
    expect(await count('throttle')).toBe(0);
    expect(await count('one_time_codes')).toBe(0);
  });
});
