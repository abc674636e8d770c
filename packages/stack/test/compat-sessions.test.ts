import { extractLink } from '@parley/kit/testing';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectOptions } from '../../../services/gateway/src/compat/kit.ts';
import sessionsDialect from '../../../services/gateway/src/compat/sessions/index.ts';
import { failure, type MailStack, mailTo, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { type Answer, bearer, dialectBase, postForm, postJson, send } from './support/compat.ts';

/**
 * The `sessions` dialect, walked from its document (../shared/seeds/002): POST /api/v1/auth/{register, login,
 * logout, sessioncheck}, every answer `{value: "v1", method, status: "Success"|"Failed", data|error}`.
 */

const THIRTY_DAYS = 30 * 24 * 3600;

const ok = (data: unknown, method = 'POST') => ({ value: 'v1', method, status: 'Success', data });
const failed = (message: string, method = 'POST') => ({ value: 'v1', method, status: 'Failed', error: { message } });

/** A documented `Failed` answer: HTTP 200 (its clients read `status`), the envelope exactly. */
const expectFailed = (answer: Answer, message: string): void => {
  expect({ status: answer.status, body: answer.body }, answer.text).toEqual({ status: 200, body: failed(message) });
};

/** A documented `ok` answer with `{expired, sig}`: a canonical session token and the session's end (epoch seconds). */
const expectSigned = (answer: Answer): { sig: string; expired: number } => {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body).toEqual(ok({ expired: expect.any(Number), sig: expect.stringMatching(/^ps_[A-Za-z0-9_-]{20,}$/) }));
  const { expired, sig } = answer.body.data as { expired: number; sig: string };
  expect(Number.isInteger(expired)).toBe(true);
  const now = Math.floor(Date.now() / 1000);
  expect(expired).toBeGreaterThan(now + THIRTY_DAYS - 120);
  expect(expired).toBeLessThanOrEqual(now + THIRTY_DAYS + 5);
  return { sig, expired };
};

describe('sessions dialect (seed 002): /api/v1/auth/register, login, logout, sessioncheck', () => {
  let ms: MailStack;
  let base: string;
  const url = (name: 'register' | 'login' | 'logout' | 'sessioncheck') => `${base}/api/v1/auth/${name}`;
  const register = (fields: Record<string, unknown>) => postJson(url('register'), fields);
  const login = (fields: Record<string, unknown>) => postJson(url('login'), fields);
  const logout = (fields: Record<string, unknown>) => postJson(url('logout'), fields);
  const sessioncheck = (fields: Record<string, unknown>) => postJson(url('sessioncheck'), fields);
  const registered = async (prefix: string) => {
    const user = newUser(prefix);
    const answer = await register({ ...user, repeat_password: user.password });
    return { user, ...expectSigned(answer) };
  };
  /** GET /api/v1/auth/session of the canonical API with the dialect's token. */
  const canonicalSession = (token: string) => send(`${ms.stack.url}/api/v1/auth/session`, { headers: bearer(token) });

  beforeAll(async () => {
    ms = await startMailStack();
    base = dialectBase(ms.stack, 'sessions');
  });
  afterAll(async () => ms?.close());

  describe('register', () => {
    it('answers ok with {expired, sig}: a session at once, the confirmation link mailed, and the canonical API sees the account', async () => {
      const user = newUser('sreg');
      const mark = ms.smtp.messages.length;
      const answer = await register({
        name: user.name,
        password: user.password,
        repeat_password: user.password,
        email: user.email,
      });
      const { sig } = expectSigned(answer);

      // The same account and session for a canonical client holding the dialect's token.
      const me = await send(`${ms.stack.url}/api/v1/users/me`, { headers: bearer(sig) });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ name: user.name, email: user.email, emailVerified: false });
      expect((await canonicalSession(sig)).status).toBe(200);
      const check = await sessioncheck({ name: user.name, token: sig });
      expect(check.body.status).toBe('Success');

      // The dialect lets the unconfirmed account in (its system never confirmed); the canonical API does not yet.
      expectSigned(await login({ name: user.name, password: user.password }));
      await failure(ms.client.auth.login({ login: user.name, password: user.password }), 403, 'EMAIL_NOT_VERIFIED');
      const link = extractLink(await mailTo(ms.smtp, user.email, mark), '/api/v1/auth/verify-email?token=');
      const token = new URL(link).searchParams.get('token') as string;
      const verified = await ms.client.auth.verifyEmail({ token });
      expect(verified.user).toMatchObject({ name: user.name, emailVerified: true });
      expect((await ms.client.auth.login({ login: user.name, password: user.password })).user.email).toBe(user.email);
    });

    it('takes the params as a form or in the query string too', async () => {
      const byForm = newUser('sform');
      expectSigned(await postForm(url('register'), { ...byForm, repeat_password: byForm.password }));
      const byQuery = newUser('squery');
      const query = new URLSearchParams({ ...byQuery, repeat_password: byQuery.password });
      expectSigned(await send(`${url('register')}?${query}`, { method: 'POST' }));
      expectSigned(await login({ name: byQuery.name, password: byQuery.password }));
    });

    it('answers failed "name is already existent" for a taken name (any case), and names a taken email', async () => {
      const { user } = await registered('staken');
      const other = newUser('sother');
      expectFailed(
        await register({ ...other, name: user.name.toUpperCase(), repeat_password: other.password }),
        'name is already existent',
      );
      expectFailed(await register({ ...other, email: user.email, repeat_password: other.password }), 'email is already existent');
      // Nothing was created: the other person can still register under their own name and address.
      expectSigned(await register({ ...other, repeat_password: other.password }));
    });

    it('names every missing param, refuses a repeat_password that differs, and creates nothing', async () => {
      const user = newUser('smiss');
      const all = { ...user, repeat_password: user.password };
      for (const field of ['name', 'password', 'repeat_password', 'email'] as const) {
        const { [field]: _, ...rest } = all;
        expectFailed(await register(rest), `${field} is empty, please check again`);
      }
      expectFailed(await register({ ...all, name: '   ' }), 'name is empty, please check again');
      expectFailed(
        await register({ name: user.name, password: user.password }),
        'repeat_password and email are empty, please check again',
      );
      expectFailed(
        await send(url('register'), { method: 'POST' }),
        'name, password, repeat_password and email are empty, please check again',
      );
      expectFailed(
        await send(url('register'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }),
        'name, password, repeat_password and email are empty, please check again',
      );
      expectFailed(
        await register({ ...all, repeat_password: `${user.password}!` }),
        'password and repeat_password are not the same',
      );
      expectFailed(await register({ ...all, name: { first: 'x' } }), 'name must be a string');
      expectFailed(await login({ name: user.name, password: user.password }), 'password error');
    });

    it('refuses a weak password, naming its strength, and an invalid name or email', async () => {
      const user = newUser('sweak');
      const weak = await register({ ...user, password: 'password', repeat_password: 'password' });
      expect(weak.status).toBe(200);
      expect(weak.body).toMatchObject({ value: 'v1', method: 'POST', status: 'Failed' });
      expect(weak.body.error.message).toMatch(
        /^password is too weak \(strength [0-2] of 4, at least 3 and 8 characters needed\)/,
      );
      expect(Object.keys(weak.body).sort()).toEqual(['error', 'method', 'status', 'value']);

      const all = { ...user, repeat_password: user.password };
      expectFailed(await register({ ...all, name: 'x' }), 'name is invalid, use 2 to 32 letters, digits, _ . or -');
      expectFailed(await register({ ...all, name: 'has space' }), 'name is invalid, use 2 to 32 letters, digits, _ . or -');
      expectFailed(await register({ ...all, email: 'not-an-email' }), 'email is invalid');
      const long = `${user.password}-${'x'.repeat(300)}`;
      expectFailed(
        await register({ ...all, password: long, repeat_password: long }),
        'password is too long, use at most 256 characters',
      );
      expectFailed(await login({ name: user.name, password: user.password }), 'password error');
    });
  });

  describe('login', () => {
    it('answers ok with {expired, sig} by name (or email, or a form); two logins are two sessions', async () => {
      const { user, sig: first } = await registered('slogin');
      const byName = expectSigned(await login({ name: user.name, password: user.password }));
      const byEmail = expectSigned(await login({ name: user.email, password: user.password }));
      const byForm = expectSigned(await postForm(url('login'), { name: user.name, password: user.password }));
      expect(new Set([first, byName.sig, byEmail.sig, byForm.sig]).size).toBe(4);

      const sessions = await ms.client.withToken(byName.sig).auth.sessions();
      expect(sessions.items.length).toBeGreaterThanOrEqual(4);

      // Logging one out leaves the others.
      expect((await logout({ name: user.name, token: byName.sig })).body).toEqual(ok({ message: 'Session is deleted.' }));
      expectFailed(await sessioncheck({ name: user.name, token: byName.sig }), 'can not find this kind of session');
      expect((await sessioncheck({ name: user.name, token: byEmail.sig })).body.status).toBe('Success');
      expect((await canonicalSession(byForm.sig)).status).toBe(200);
    });

    it('answers failed "password error" for a wrong password and for an unknown name alike', async () => {
      const { user } = await registered('swrong');
      expectFailed(await login({ name: user.name, password: `${user.password}x` }), 'password error');
      expectFailed(await login({ name: newUser('nobody').name, password: user.password }), 'password error');
      expectFailed(await login({ name: user.name }), 'password is empty, please check again');
      expectFailed(await login({ password: user.password }), 'name is empty, please check again');
      expectFailed(await login({}), 'name and password are empty, please check again');
      // The right password still works after a wrong one.
      expectSigned(await login({ name: user.name, password: user.password }));
    });

    it('answers 429 with Retry-After, in the envelope, once wrong passwords pile up — even for the right one', async () => {
      const { user } = await registered('sthrottle');
      for (let i = 0; i < 5; i++) {
        expectFailed(await login({ name: user.name, password: `wrong-${i}` }), 'password error');
      }
      const blocked = await login({ name: user.name, password: user.password });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(blocked.body).toEqual(failed(expect.stringMatching(/^too many attempts, please try again in \d+ seconds$/)));
    });
  });

  describe('sessioncheck', () => {
    it('answers ok with {expired, message, token} for a live token of that name', async () => {
      const { user, sig, expired } = await registered('scheck');
      const answer = await sessioncheck({ name: user.name, token: sig });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(ok({ expired, message: 'this token is works!', token: sig }));
      // The name in any case, by form, by query string.
      expect((await sessioncheck({ name: user.name.toUpperCase(), token: sig })).body.status).toBe('Success');
      expect((await postForm(url('sessioncheck'), { name: user.name, token: sig })).body).toEqual(answer.body);
      const query = new URLSearchParams({ name: user.name, token: sig });
      expect((await send(`${url('sessioncheck')}?${query}`, { method: 'POST' })).body).toEqual(answer.body);
    });

    it('answers failed "can not find this kind of session" for another name, a made-up token, or an old-system sig', async () => {
      const { user, sig } = await registered('scheckbad');
      const other = await registered('scheckother');
      expectFailed(await sessioncheck({ name: other.user.name, token: sig }), 'can not find this kind of session');
      expectFailed(await sessioncheck({ name: 'nobody_here', token: sig }), 'can not find this kind of session');
      expectFailed(
        await sessioncheck({ name: user.name, token: '5dda5bacdac511e5b83b001500c6ca5a' }),
        'can not find this kind of session',
      );
      expectFailed(await sessioncheck({ name: user.name, token: `ps_${'A'.repeat(40)}` }), 'can not find this kind of session');
      expectFailed(await sessioncheck({ name: user.name, token: other.sig }), 'can not find this kind of session');
    });

    it('answers failed "name or token is empty, please check again" when either is missing', async () => {
      const { user, sig } = await registered('scheckempty');
      expectFailed(await sessioncheck({ name: user.name }), 'name or token is empty, please check again');
      expectFailed(await sessioncheck({ token: sig }), 'name or token is empty, please check again');
      expectFailed(await sessioncheck({ name: '', token: '' }), 'name or token is empty, please check again');
      expectFailed(await send(url('sessioncheck'), { method: 'POST' }), 'name or token is empty, please check again');
    });

    it('accepts a canonical access token too: it stands for the same kind of session', async () => {
      const account = await registerVerified(ms, newUser('scanon'));
      const answer = await sessioncheck({ name: account.user.name, token: account.tokens.accessToken });
      expect(answer.body).toEqual(
        ok({ expired: expect.any(Number), message: 'this token is works!', token: account.tokens.accessToken }),
      );
      const now = Math.floor(Date.now() / 1000);
      expect(answer.body.data.expired).toBeGreaterThan(now);
      expect(answer.body.data.expired).toBeLessThanOrEqual(now + account.tokens.expiresIn + 5);
    });
  });

  describe('logout', () => {
    it('answers ok "Session is deleted." and the session is over everywhere: here and in the canonical API', async () => {
      const { user, sig } = await registered('sout');
      const answer = await logout({ name: user.name, token: sig });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(ok({ message: 'Session is deleted.' }));

      expectFailed(await sessioncheck({ name: user.name, token: sig }), 'can not find this kind of session');
      const canonical = await canonicalSession(sig);
      expect(canonical.status).toBe(401);
      expect((await send(`${ms.stack.url}/api/v1/users/me`, { headers: bearer(sig) })).status).toBe(401);
      // Twice: there is nothing left to delete.
      expectFailed(await logout({ name: user.name, token: sig }), 'can not find this kind of session');
      // The account itself is fine: a new login is a new session.
      const again = expectSigned(await login({ name: user.name, password: user.password }));
      expect(again.sig).not.toBe(sig);
    });

    it('answers failed "name or token is empty, please check again" when either is missing', async () => {
      const { user, sig } = await registered('soutempty');
      expectFailed(await logout({ name: user.name }), 'name or token is empty, please check again');
      expectFailed(await logout({ token: sig }), 'name or token is empty, please check again');
      expectFailed(await logout({}), 'name or token is empty, please check again');
      expectFailed(await postForm(url('logout'), { name: '', token: sig }), 'name or token is empty, please check again');
      expect((await sessioncheck({ name: user.name, token: sig })).body.status).toBe('Success');
    });

    it('answers failed "can not find this kind of session" for another name or a made-up token, ending nothing', async () => {
      const { user, sig } = await registered('soutbad');
      const other = await registered('soutother');
      expectFailed(await logout({ name: other.user.name, token: sig }), 'can not find this kind of session');
      expectFailed(
        await logout({ name: user.name, token: 'a9de7114da1811e5adb7001500c6ca5a' }),
        'can not find this kind of session',
      );
      expect((await sessioncheck({ name: user.name, token: sig })).body.status).toBe('Success');
      expect((await canonicalSession(sig)).status).toBe(200);
    });

    it('a canonical logout with the sig ends the dialect session too', async () => {
      const { user, sig } = await registered('scanout');
      const out = await send(`${ms.stack.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(sig) });
      expect(out.status).toBe(204);
      expectFailed(await sessioncheck({ name: user.name, token: sig }), 'can not find this kind of session');
      expectFailed(await logout({ name: user.name, token: sig }), 'can not find this kind of session');
    });
  });

  describe('what a client may get wrong', () => {
    it('answers another method with 405 in the envelope, naming that method', async () => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const answer = await send(url('login'), { method });
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: 405,
          body: failed(`method ${method} is not allowed, use POST`, method),
        });
        expect(answer.headers.get('allow')).toBe('POST');
      }
    });

    it('answers a malformed, unsupported or oversized body in the envelope, and an unknown path with 404', async () => {
      expectFailed(
        await send(url('login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' }),
        'request body is not valid JSON',
      );
      expectFailed(
        await send(url('login'), { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<name/>' }),
        'unsupported content type, send JSON or a form (application/x-www-form-urlencoded)',
      );
      expectFailed(
        await postJson(url('register'), { name: 'x'.repeat(2_000_000), password: 'p', repeat_password: 'p', email: 'e' }),
        'request body is too large',
      );
      const unknown = await postJson(`${base}/api/v1/auth/signup`, {});
      expect({ status: unknown.status, body: unknown.body }).toEqual({
        status: 404,
        body: failed('no such api: POST /compat/sessions/api/v1/auth/signup'),
      });
    });
  });
});

describe('sessions dialect: where it is mounted (COMPAT_DIALECTS)', () => {
  it('moves under another prefix (sessions=/legacy)', async () => {
    const moved = await startMailStack({ COMPAT_DIALECTS: 'none,sessions=/legacy' });
    try {
      const user = newUser('smoved');
      const answer = await postJson(`${moved.stack.url}/legacy/api/v1/auth/register`, {
        ...user,
        repeat_password: user.password,
      });
      expect(answer.body).toMatchObject({ value: 'v1', method: 'POST', status: 'Success' });
      const check = await postJson(`${moved.stack.url}/legacy/api/v1/auth/sessioncheck`, {
        name: user.name,
        token: answer.body.data.sig,
      });
      expect(check.body).toMatchObject({ status: 'Success', data: { message: 'this token is works!' } });
      expect((await postJson(`${dialectBase(moved.stack, 'sessions')}/api/v1/auth/login`, user)).status).toBe(404);
    } finally {
      await moved.close();
    }
  }, 60_000);

  it('refuses the root, where its paths would be the canonical API’s, with a message naming the fix', async () => {
    // The plugin refuses before it touches anything: a bare Fastify shows what the gateway's boot would fail with.
    const app = Fastify();
    try {
      await expect(app.register(sessionsDialect, { mount: '/' } as DialectOptions).ready()).rejects.toThrow(
        'COMPAT_DIALECTS: the sessions dialect cannot be mounted at / (its paths /api/v1/auth/* are the canonical API’s); choose another prefix, e.g. sessions=/legacy',
      );
    } finally {
      await app.close();
    }
  });
});
