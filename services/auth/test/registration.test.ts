import { AuthEndpoints } from '@parley/contracts';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeMailedTo, mailTo, register, STRONG_PASSWORD, uniqueName } from './helpers/accounts.ts';
import { type AuthWorld, client, startAuth } from './helpers/harness.ts';

describe('registration with a mailed code', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await startAuth({ ADMIN_EMAILS: 'Boss@Example.test' });
  });
  afterAll(() => world?.close());

  it('mails a 6-digit code in text and HTML; the code gives tokens and an active account', async () => {
    const name = uniqueName('ann');
    const email = `${name}@example.test`;
    const res = await world.call(AuthEndpoints.register, { name, email, password: STRONG_PASSWORD, client: client() });
    expect(res.user).toMatchObject({ name, email, emailVerified: false, role: 'user', avatarUrl: null });
    expect(res.verification).toEqual({ method: 'code', sentTo: email, expiresInSeconds: 600 });

    const mail = await mailTo(world, email, /verification code/i);
    expect(mail.from).toBe('parley@example.test');
    expect(mail.html).toMatch(/<p[^>]*>\d{6}<\/p>/);
    const code = await codeMailedTo(world, email, /verification code/i);
    expect(mail.text).toContain(code);

    const tokens = await world.call(AuthEndpoints.verifyEmailCode, { email, code, client: client() });
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 30 * 24 * 3600 });
    expect(tokens.user).toMatchObject({ id: res.user.id, emailVerified: true });
    expect(tokens.refreshToken.startsWith(`${tokens.sessionId}.`)).toBe(true);

    const jwks = createLocalJWKSet(await world.call(AuthEndpoints.jwks, {}));
    const { payload, protectedHeader } = await jwtVerify(tokens.accessToken, jwks, {
      issuer: 'parley',
      audience: 'parley-api',
      currentDate: world.clock(),
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA' });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({ sub: res.user.id, sid: tokens.sessionId, role: 'user' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload.jti).toEqual(expect.any(String));

    // The code is spent.
    expect((await world.fail(AuthEndpoints.verifyEmailCode, { email, code, client: client() })).code).toBe('CODE_INVALID');
  });

  it('gives the admin role to ADMIN_EMAILS, whatever the case', async () => {
    const res = await world.call(AuthEndpoints.register, {
      name: uniqueName('boss'),
      email: 'boss@EXAMPLE.test',
      password: STRONG_PASSWORD,
      client: client(),
    });
    expect(res.user.role).toBe('admin');
  });

  it('refuses a taken name or email regardless of case', async () => {
    const taken = await register(world);
    const byName = await world.fail(AuthEndpoints.register, {
      name: taken.name.toUpperCase(),
      email: `${uniqueName()}@example.test`,
      password: STRONG_PASSWORD,
      client: client(),
    });
    expect([byName.code, byName.status]).toEqual(['NAME_TAKEN', 409]);
    const byEmail = await world.fail(AuthEndpoints.register, {
      name: uniqueName(),
      email: taken.email.toUpperCase(),
      password: STRONG_PASSWORD,
      client: client(),
    });
    expect([byEmail.code, byEmail.status]).toEqual(['EMAIL_TAKEN', 409]);
  });

  it('refuses a weak password with its score and feedback', async () => {
    const err = await world.fail(AuthEndpoints.register, {
      name: uniqueName(),
      email: `${uniqueName()}@example.test`,
      password: 'password1',
      client: client(),
    });
    expect([err.code, err.status]).toEqual(['WEAK_PASSWORD', 422]);
    expect(err.extra).toMatchObject({
      strength: expect.any(Number),
      feedback: { warning: expect.any(String), suggestions: expect.arrayContaining([expect.any(String)]) },
    });
    expect(err.extra?.strength).toBeLessThan(3);
  });

  it('accepts a 64-character password', async () => {
    const password = 'Quiet rivers carry 7 paper lanterns past the old mill at dusk, slowly';
    expect(password.length).toBeGreaterThanOrEqual(64);
    const account = await register(world, { password });
    expect(account.userId).toEqual(expect.any(String));
  });

  it('refuses login until the address is verified, but only once the password is right', async () => {
    const account = await register(world);
    const wrong = await world.fail(AuthEndpoints.login, { login: account.name, password: 'not it at all', client: client() });
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
    const right = await world.fail(AuthEndpoints.login, { login: account.email, password: account.password, client: client() });
    expect([right.code, right.status]).toEqual(['EMAIL_NOT_VERIFIED', 403]);
  });

  it('spends the code after 5 wrong tries: even the right one then fails', async () => {
    const account = await register(world);
    const code = await codeMailedTo(world, account.email, /verification code/i);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const err = await world.fail(AuthEndpoints.verifyEmailCode, { email: account.email, code: wrong, client: client() });
      expect(err.code).toBe('CODE_INVALID');
    }
    const err = await world.fail(AuthEndpoints.verifyEmailCode, { email: account.email, code, client: client() });
    expect([err.code, err.status]).toEqual(['CODE_INVALID', 400]);
  });

  it('refuses an expired code, and resend mails a new one', async () => {
    const account = await register(world);
    const code = await codeMailedTo(world, account.email, /verification code/i);
    world.clock.advance(10 * 60 + 1);
    const err = await world.fail(AuthEndpoints.verifyEmailCode, { email: account.email, code, client: client() });
    expect(err.code).toBe('CODE_INVALID');

    expect(await world.call(AuthEndpoints.resendVerification, { email: account.email, client: client() })).toEqual({
      accepted: true,
    });
    const fresh = await codeMailedTo(world, account.email, /verification code/i);
    const tokens = await world.call(AuthEndpoints.verifyEmailCode, { email: account.email, code: fresh, client: client() });
    expect(tokens.user.emailVerified).toBe(true);
  });

  it('answers resend for an unknown address exactly like for a known one, and throttles both', async () => {
    const known = await register(world);
    const unknown = `${uniqueName('nobody')}@example.test`;
    const ip = '192.0.2.50';
    for (const email of [known.email, unknown]) {
      expect(await world.call(AuthEndpoints.resendVerification, { email, client: client(ip) })).toEqual({ accepted: true });
      const again = await world.fail(AuthEndpoints.resendVerification, { email, client: client(ip) });
      expect([again.code, again.status]).toEqual(['TOO_MANY_ATTEMPTS', 429]);
      expect(again.extra?.retryAfter).toBeGreaterThan(0);
      expect(again.extra?.retryAfter).toBeLessThanOrEqual(60);
    }
    await mailTo(world, known.email, /verification code/i);
    expect(world.smtp.messages.some((m) => m.to.includes(unknown))).toBe(false);
  });
});
