import { AuthEndpoints } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTokenMailedTo, mailTo, register } from './helpers/accounts.ts';
import { type AuthWorld, client, startAuth } from './helpers/harness.ts';

describe('registration with a one-time link', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await startAuth();
  });
  afterAll(() => world?.close());

  it('mails a link to the gateway confirm page; inspecting does not spend it, verifying does', async () => {
    const account = await register(world, { verify: 'link' });
    const mail = await mailTo(world, account.email, /confirm/i);
    expect(mail.text).toContain('https://parley.example.test/api/v1/auth/verify-email?token=');
    expect(mail.html).toContain('href="https://parley.example.test/api/v1/auth/verify-email?token=');
    const token = await linkTokenMailedTo(world, account.email);

    for (let i = 0; i < 2; i++) {
      expect(await world.call(AuthEndpoints.inspectEmailLink, { token })).toEqual({
        valid: true,
        email: account.email,
        name: account.name,
        verified: false,
      });
    }
    const tokens = await world.call(AuthEndpoints.verifyEmailLink, { token, client: client() });
    expect(tokens.user).toMatchObject({ id: account.userId, emailVerified: true });

    const again = await world.fail(AuthEndpoints.verifyEmailLink, { token, client: client() });
    expect([again.code, again.status]).toEqual(['LINK_INVALID', 400]);
    expect(await world.call(AuthEndpoints.inspectEmailLink, { token })).toEqual({ valid: false, email: null, name: null });

    const login = await world.call(AuthEndpoints.login, { login: account.email, password: account.password, client: client() });
    expect(login.user.id).toBe(account.userId);
  });

  it('says an unknown or expired link is invalid', async () => {
    expect(await world.call(AuthEndpoints.inspectEmailLink, { token: 'nope' })).toEqual({
      valid: false,
      email: null,
      name: null,
    });
    expect((await world.fail(AuthEndpoints.verifyEmailLink, { token: 'nope', client: client() })).code).toBe('LINK_INVALID');

    const account = await register(world, { verify: 'link' });
    const token = await linkTokenMailedTo(world, account.email);
    world.clock.advance(24 * 3600 + 1);
    expect(await world.call(AuthEndpoints.inspectEmailLink, { token })).toEqual({ valid: false, email: null, name: null });
    expect((await world.fail(AuthEndpoints.verifyEmailLink, { token, client: client() })).code).toBe('LINK_INVALID');
  });
});
