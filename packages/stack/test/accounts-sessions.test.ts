import { ParleyApiError } from '@parley/client';
import { extractCode } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, login, type MailStack, mailTo, newUser, registerVerified, startMailStack } from './support/accounts.ts';

describe('logging in, refreshing and ending sessions', () => {
  let ms: MailStack;
  beforeAll(async () => {
    ms = await startMailStack();
  });
  afterAll(async () => ms?.close());

  it('logs in with the name or the email and answers a token pair', async () => {
    const { user } = await registerVerified(ms, newUser('login'));
    for (const name of [user.name, user.email, user.email.toUpperCase()]) {
      const tokens = await ms.client.auth.login({ login: name, password: user.password });
      expect(tokens).toMatchObject({ tokenType: 'Bearer', user: { name: user.name, email: user.email } });
      expect(tokens.expiresIn).toBeGreaterThan(0);
      expect(tokens.refreshExpiresIn).toBeGreaterThan(tokens.expiresIn);
      expect(tokens.accessToken.split('.')).toHaveLength(3);
    }
  });

  it('answers a wrong password and an unknown login alike: 401 INVALID_CREDENTIALS', async () => {
    const { user } = await registerVerified(ms, newUser('creds'));
    const wrong = await failure(
      ms.client.auth.login({ login: user.name, password: `${user.password}x` }),
      401,
      'INVALID_CREDENTIALS',
    );
    const unknown = await failure(
      ms.client.auth.login({ login: newUser().name, password: user.password }),
      401,
      'INVALID_CREDENTIALS',
    );
    expect(unknown.problem.detail).toBe(wrong.problem.detail);
  });

  it('logs in with a mailed one-time code', async () => {
    const { user } = await registerVerified(ms, newUser('code'));
    const mark = ms.smtp.messages.length;
    expect(await ms.client.auth.requestLoginCode(user.email)).toEqual({ accepted: true });
    const code = extractCode(await mailTo(ms.smtp, user.email, mark));
    const wrong = code === '000000' ? '111111' : '000000';
    await failure(ms.client.auth.verifyLoginCode({ email: user.email, code: wrong }), 400, 'CODE_INVALID');
    const tokens = await ms.client.auth.verifyLoginCode({ email: user.email, code });
    expect(tokens.user.email).toBe(user.email);
    await failure(ms.client.auth.verifyLoginCode({ email: user.email, code }), 400, 'CODE_INVALID');
    // No enumeration: an address nobody has is accepted the same way.
    expect(await ms.client.auth.requestLoginCode(newUser('nobody').email)).toEqual({ accepted: true });
  });

  it('rotates refresh tokens; reusing a spent one revokes the session', async () => {
    const { user, tokens: first } = await registerVerified(ms, newUser('refresh'));
    const second = await ms.client.auth.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.sessionId).toBe(first.sessionId);
    expect((await ms.client.withToken(second.accessToken).users.me()).name).toBe(user.name);

    await failure(ms.client.auth.refresh(first.refreshToken), 401, 'REFRESH_INVALID');
    // The theft is assumed: the whole session ends, the rotated tokens included.
    await failure(ms.client.withToken(second.accessToken).users.me(), 401, 'SESSION_INVALID');
    await failure(ms.client.auth.refresh(second.refreshToken), 401, 'REFRESH_INVALID');
  });

  it('reports the current session', async () => {
    const account = await registerVerified(ms, newUser('session'));
    const session = await account.client.auth.session();
    expect(session).toMatchObject({ sessionId: account.tokens.sessionId, userId: account.tokens.user.id });
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('logout ends this session at once, and only this one', async () => {
    const account = await registerVerified(ms, newUser('logout'));
    const other = await login(ms, account.user);
    expect(await account.client.auth.logout()).toBeUndefined();
    await failure(account.client.users.me(), 401, 'SESSION_INVALID');
    await failure(account.client.auth.session(), 401, 'SESSION_INVALID');
    await failure(ms.client.auth.refresh(account.tokens.refreshToken), 401, 'REFRESH_INVALID');
    expect((await other.client.users.me()).id).toBe(account.tokens.user.id);
  });

  it('logout-all ends every session of the user', async () => {
    const account = await registerVerified(ms, newUser('logoutall'));
    const others = [await login(ms, account.user), await login(ms, account.user)];
    const bystander = await registerVerified(ms, newUser('bystander'));
    await account.client.auth.logoutAll();
    for (const a of [account, ...others]) await failure(a.client.users.me(), 401, 'SESSION_INVALID');
    await failure(ms.client.auth.refresh(others[0]!.tokens.refreshToken), 401, 'REFRESH_INVALID');
    expect((await bystander.client.users.me()).name).toBe(bystander.user.name);
  });

  it('lists my sessions and revokes one of them', async () => {
    const account = await registerVerified(ms, newUser('list'));
    const other = await login(ms, account.user);
    const { items } = await account.client.auth.sessions();
    expect(items.map((s) => s.id).sort()).toEqual([account.tokens.sessionId, other.tokens.sessionId].sort());
    expect(items.find((s) => s.current)?.id).toBe(account.tokens.sessionId);
    expect(items.every((s) => s.userAgent !== undefined && s.ip !== undefined)).toBe(true);

    expect(await account.client.auth.revokeSession(other.tokens.sessionId)).toBeUndefined();
    await failure(other.client.users.me(), 401, 'SESSION_INVALID');
    expect((await account.client.auth.sessions()).items.map((s) => s.id)).toEqual([account.tokens.sessionId]);

    // Someone else's session is not mine to see or end.
    const stranger = await registerVerified(ms, newUser('stranger'));
    await failure(account.client.auth.revokeSession(stranger.tokens.sessionId), 404, 'SESSION_NOT_FOUND');
    expect((await stranger.client.users.me()).name).toBe(stranger.user.name);
  });

  it('refuses every authenticated route without a token: 401 UNAUTHORIZED problem+json', async () => {
    for (const call of [ms.client.users.me(), ms.client.auth.session(), ms.client.auth.logout(), ms.client.auth.sessions()]) {
      const err = await failure(call, 401, 'UNAUTHORIZED');
      expect(err.headers.get('content-type')).toContain('application/problem+json');
    }
    const basic = await ms.client.raw('GET', '/api/v1/users/me', { headers: { authorization: 'Basic dXNlcjpwdw==' } });
    expect(basic.status).toBe(401);
  });
  // Last: whatever the throttle counts (account or address), nothing after it in this file logs in.
  it('limits password guesses: 429 TOO_MANY_ATTEMPTS with Retry-After', async () => {
    const { user } = await registerVerified(ms, newUser('guess'));
    let limited: ParleyApiError | undefined;
    for (let i = 0; i < 50 && !limited; i++) {
      const err = await ms.client.auth.login({ login: user.email, password: `guess-${i}-wrong` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ParleyApiError);
      if ((err as ParleyApiError).status === 429) limited = err as ParleyApiError;
      else expect((err as ParleyApiError).code).toBe('INVALID_CREDENTIALS');
    }
    expect(limited, 'no 429 after 50 wrong passwords').toBeDefined();
    const tooMany = limited as ParleyApiError;
    expect(tooMany.code).toBe('TOO_MANY_ATTEMPTS');
    expect(tooMany.headers.get('content-type')).toContain('application/problem+json');
    // The service's own wait passes through, in the header and the problem document alike.
    const retryAfter = Number(tooMany.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect((tooMany.problem as { retryAfter?: number }).retryAfter).toBe(retryAfter);
    expect(tooMany.problem.detail).toMatch(/try again/i);
    // Even the right password waits now.
    await failure(ms.client.auth.login({ login: user.email, password: user.password }), 429, 'TOO_MANY_ATTEMPTS');
  });
});
