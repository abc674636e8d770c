import { AuthEndpoints } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeMailedTo, register, registerVerified, STRONG_PASSWORD, uniqueName } from './helpers/accounts.ts';
import { type AuthWorld, client, startAuth } from './helpers/harness.ts';

describe('logging in', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await startAuth();
  });
  afterAll(() => world?.close());

  it('works with the name or the email, in any case', async () => {
    const account = await registerVerified(world);
    for (const login of [account.name, account.email, account.name.toUpperCase(), account.email.toUpperCase()]) {
      const tokens = await world.call(AuthEndpoints.login, { login, password: account.password, client: client() });
      expect(tokens.user).toMatchObject({ id: account.userId, name: account.name });
      expect(tokens.sessionId).not.toBe(account.tokens.sessionId);
    }
  });

  it('answers the same INVALID_CREDENTIALS for an unknown user and a wrong password', async () => {
    const account = await registerVerified(world);
    const wrong = await world.fail(AuthEndpoints.login, {
      login: account.name,
      password: 'Wrong but long enough 99',
      client: client(),
    });
    const unknown = await world.fail(AuthEndpoints.login, {
      login: uniqueName('ghost'),
      password: 'Wrong but long enough 99',
      client: client(),
    });
    const unknownEmail = await world.fail(AuthEndpoints.login, {
      login: `${uniqueName('ghost')}@example.test`,
      password: STRONG_PASSWORD,
      client: client(),
    });
    for (const err of [wrong, unknown, unknownEmail]) {
      expect(err.toWire()).toEqual(wrong.toWire());
      expect(err.status).toBe(401);
    }
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
  });

  it('logs in with a mailed one-time code', async () => {
    const account = await registerVerified(world);
    const ip = '192.0.2.10';
    expect(await world.call(AuthEndpoints.requestLoginCode, { email: account.email, client: client(ip) })).toEqual({
      accepted: true,
    });
    const code = await codeMailedTo(world, account.email, /login code/i);
    const tokens = await world.call(AuthEndpoints.verifyLoginCode, { email: account.email, code, client: client(ip) });
    expect(tokens.user.id).toBe(account.userId);
    const reused = await world.fail(AuthEndpoints.verifyLoginCode, { email: account.email, code, client: client(ip) });
    expect([reused.code, reused.status]).toEqual(['CODE_INVALID', 400]);
  });

  it('accepts a login-code request for an unknown or unverified address but mails nothing', async () => {
    const unverified = await register(world);
    await codeMailedTo(world, unverified.email, /verification code/i);
    const unknown = `${uniqueName('nobody')}@example.test`;
    for (const [i, email] of [unknown, unverified.email].entries()) {
      const res = await world.call(AuthEndpoints.requestLoginCode, { email, client: client(`192.0.2.${20 + i}`) });
      expect(res).toEqual({ accepted: true });
    }
    // A mail to a verified account sent after them arrives; none of theirs did.
    const verified = await registerVerified(world);
    await world.call(AuthEndpoints.requestLoginCode, { email: verified.email, client: client('192.0.2.30') });
    await codeMailedTo(world, verified.email, /login code/i);
    const toThem = world.smtp.messages.filter((m) => m.to.includes(unknown) || m.to.includes(unverified.email));
    expect(toThem).toEqual([]);
    const err = await world.fail(AuthEndpoints.verifyLoginCode, { email: unknown, code: '123456', client: client() });
    expect(err.code).toBe('CODE_INVALID');
  });
});
