import { AuthEndpoints } from '@parley/contracts';
import { extractLink } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeMailedTo, login, mailTo, register, registerVerified, STRONG_PASSWORD, uniqueName } from './helpers/accounts.ts';
import { type AuthWorld, callerOf, client, startAuth } from './helpers/harness.ts';

/** What the seed dialects (gateway compat/) ask of the auth service beyond the canonical API. */
describe('auth for the seed dialects', () => {
  let world: AuthWorld;
  beforeAll(async () => {
    world = await startAuth({ PUBLIC_URL: 'https://chat.example.test' });
  });
  afterAll(() => world?.close());

  describe('session tokens', () => {
    it('stand for the session: resolve to its user while it lives, SESSION_EXPIRED once it is logged out', async () => {
      const account = await registerVerified(world);
      const caller = callerOf(account.tokens);
      const issued = await world.call(AuthEndpoints.issueSessionToken, { caller });
      expect(issued.token).toMatch(/^ps_[A-Za-z0-9_-]{43}$/);
      // It ends when the session does: 30 days after the login (REFRESH_TOKEN_TTL_SECONDS), not after 15 minutes.
      const left = Date.parse(issued.expiresAt) - Date.parse(issued.createdAt);
      expect(left).toBeGreaterThan(30 * 24 * 3600 * 1000 - 60_000);
      expect(left).toBeLessThanOrEqual(30 * 24 * 3600 * 1000);

      const resolved = await world.call(AuthEndpoints.resolveSessionToken, { token: issued.token });
      expect(resolved).toMatchObject({ userId: account.userId, sessionId: account.tokens.sessionId, role: 'user' });

      await world.call(AuthEndpoints.logout, { caller });
      expect((await world.fail(AuthEndpoints.resolveSessionToken, { token: issued.token })).code).toBe('SESSION_EXPIRED');
      // A token for an ended session is not issued.
      expect((await world.fail(AuthEndpoints.issueSessionToken, { caller })).code).toBe('SESSION_INVALID');
    });

    it('tell a token never issued (SESSION_INVALID) from an ended one, and end with the session’s lifetime', async () => {
      expect((await world.fail(AuthEndpoints.resolveSessionToken, { token: `ps_${'x'.repeat(43)}` })).code).toBe(
        'SESSION_INVALID',
      );
      const account = await registerVerified(world);
      const { token } = await world.call(AuthEndpoints.issueSessionToken, { caller: callerOf(account.tokens) });
      world.clock.advance(30 * 24 * 3600 + 1);
      expect((await world.fail(AuthEndpoints.resolveSessionToken, { token })).code).toBe('SESSION_EXPIRED');
    });
  });

  describe('signup codes (confirm the address, then create the account)', () => {
    it('mails a code to an address with no account; the code creates the account confirmed, with a session', async () => {
      const name = uniqueName('pre');
      const email = `${name}@example.test`;
      await world.call(AuthEndpoints.requestSignupCode, { email, client: client() });
      const code = await codeMailedTo(world, email, /verification code/i);
      const wrong = code === '000000' ? '111111' : '000000';
      const bad = { name, email, password: STRONG_PASSWORD, code: wrong, client: client() };
      expect((await world.fail(AuthEndpoints.registerWithCode, bad)).code).toBe('CODE_INVALID');

      const tokens = await world.call(AuthEndpoints.registerWithCode, { ...bad, code });
      expect(tokens.user).toMatchObject({ name, email, emailVerified: true });
      // Spent: the account exists, and a second use of the code is refused.
      expect((await world.fail(AuthEndpoints.registerWithCode, { ...bad, name: uniqueName(), code })).code).toBe('CODE_INVALID');
      expect((await login(world, { name, email, password: STRONG_PASSWORD, userId: tokens.user.id })).user.id).toBe(
        tokens.user.id,
      );
    });

    it('refuses an address that has an account (EMAIL_TAKEN) and mails nothing', async () => {
      const account = await register(world);
      await mailTo(world, account.email, /verification code/i);
      const before = world.smtp.messages.length;
      expect((await world.fail(AuthEndpoints.requestSignupCode, { email: account.email, client: client() })).code).toBe(
        'EMAIL_TAKEN',
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(world.smtp.messages.slice(before).filter((m) => m.to.includes(account.email))).toHaveLength(0);
    });

    it('gives up after 5 wrong codes, even for the right one', async () => {
      const name = uniqueName('pre');
      const email = `${name}@example.test`;
      await world.call(AuthEndpoints.requestSignupCode, { email, client: client() });
      const code = await codeMailedTo(world, email, /verification code/i);
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) {
        await world.fail(AuthEndpoints.registerWithCode, {
          name,
          email,
          password: STRONG_PASSWORD,
          code: wrong,
          client: client(),
        });
      }
      const last = await world.fail(AuthEndpoints.registerWithCode, {
        name,
        email,
        password: STRONG_PASSWORD,
        code,
        client: client(),
      });
      expect(last.code).toBe('CODE_INVALID');
    });
  });

  it('mails a 4-character code when asked, accepted in either case, valid 10 minutes', async () => {
    const name = uniqueName('four');
    const email = `${name}@example.test`;
    await world.call(AuthEndpoints.register, {
      name,
      email,
      password: STRONG_PASSWORD,
      codeFormat: 'alnum4',
      client: client(),
    });
    const mail = await mailTo(world, email, /verification code/i);
    const code = /^\s*([A-Z0-9]{4})\s*$/m.exec(mail.text)?.[1];
    expect(code, mail.text).toMatch(/^[A-HJ-NP-Z2-9]{4}$/);
    const tokens = await world.call(AuthEndpoints.verifyEmailCode, { email, code: code!.toLowerCase(), client: client() });
    expect(tokens.user.emailVerified).toBe(true);

    // Another account's code, ten minutes and a second later: expired.
    const late = uniqueName('late');
    await world.call(AuthEndpoints.register, {
      name: late,
      email: `${late}@example.test`,
      password: STRONG_PASSWORD,
      codeFormat: 'alnum4',
      client: client(),
    });
    const lateMail = await mailTo(world, `${late}@example.test`, /verification code/i);
    const lateCode = /^\s*([A-Z0-9]{4})\s*$/m.exec(lateMail.text)?.[1] as string;
    world.clock.advance(10 * 60 + 1);
    const expired = await world.fail(AuthEndpoints.verifyEmailCode, {
      email: `${late}@example.test`,
      code: lateCode,
      client: client(),
    });
    expect(expired.code).toBe('CODE_INVALID');
  });

  it('points the mailed link at a dialect’s own route under PUBLIC_URL, and refuses any other address', async () => {
    const name = uniqueName('link');
    const email = `${name}@example.test`;
    const linkTemplate = `https://chat.example.test/compat/xphoto/active_account?username=${name}&key={token}`;
    await world.call(AuthEndpoints.register, {
      name,
      email,
      password: STRONG_PASSWORD,
      verify: 'link',
      linkTemplate,
      client: client(),
    });
    const link = extractLink(await mailTo(world, email, /confirm/i), '/compat/xphoto/active_account');
    const key = new URL(link).searchParams.get('key') as string;
    expect(new URL(link).searchParams.get('username')).toBe(name);
    expect((await world.call(AuthEndpoints.verifyEmailLink, { token: key, client: client() })).user.emailVerified).toBe(true);

    const phishing = await world.fail(AuthEndpoints.register, {
      name: uniqueName('phish'),
      email: `${uniqueName('phish')}@example.test`,
      password: STRONG_PASSWORD,
      verify: 'link',
      linkTemplate: 'https://chat.example.test.evil.example/x?k={token}',
      client: client(),
    });
    expect(phishing.code).toBe('VALIDATION_FAILED');
  });

  it('answers what a dialect’s document promises only when asked: unknown login, already confirmed, unconfirmed login', async () => {
    const unknown = { login: uniqueName('nobody'), password: STRONG_PASSWORD, client: client('203.0.113.9') };
    expect((await world.fail(AuthEndpoints.login, unknown)).code).toBe('INVALID_CREDENTIALS');
    expect((await world.fail(AuthEndpoints.login, { ...unknown, revealUnknown: true })).code).toBe('USER_NOT_FOUND');

    const confirmed = await registerVerified(world);
    const again = { email: confirmed.email, code: '123456', client: client() };
    expect((await world.fail(AuthEndpoints.verifyEmailCode, again)).code).toBe('CODE_INVALID');
    expect((await world.fail(AuthEndpoints.verifyEmailCode, { ...again, revealVerified: true })).code).toBe(
      'EMAIL_ALREADY_VERIFIED',
    );

    const pending = await register(world);
    const attempt = { login: pending.name, password: pending.password, client: client() };
    const refused = await world.fail(AuthEndpoints.login, attempt);
    expect(refused).toMatchObject({ code: 'EMAIL_NOT_VERIFIED', extra: { email: pending.email } });
    const tokens = await world.call(AuthEndpoints.login, { ...attempt, allowUnverified: true });
    expect(tokens.user).toMatchObject({ id: pending.userId, emailVerified: false });
  });
});
