import { extractLink } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailStack, mailTo, newUser, startMailStack } from './support/accounts.ts';
import { get, postJson } from './support/compat.ts';

/** COMPAT_DIALECTS moves dialects and turns them off; the canonical API is where it always is. */
describe('dialects mounted where COMPAT_DIALECTS says', () => {
  let ms: MailStack;
  beforeAll(async () => {
    ms = await startMailStack({ COMPAT_DIALECTS: 'none,xphoto=/,sessions=/legacy' });
  });
  afterAll(async () => ms?.close());

  it('serves xphoto at the root (its mails link to the root too) and sessions under /legacy', async () => {
    const user = newUser('root');
    const mark = ms.smtp.messages.length;
    const signup = await postJson(`${ms.stack.url}/signup`, {
      username: user.name,
      email: user.email,
      password: user.password,
      repeat_password: user.password,
    });
    expect(signup.status, signup.text).toBe(200);
    expect(signup.body).toHaveProperty('success');
    const link = extractLink(await mailTo(ms.smtp, user.email, mark), '/active_account');
    expect(new URL(link).pathname).toBe('/active_account');
    expect((await get(link)).body).toEqual({ success: '帐号已被激活，请登录' });

    const check = await postJson(`${ms.stack.url}/legacy/api/v1/auth/sessioncheck`, {});
    expect(check.body).toMatchObject({
      value: 'v1',
      status: 'Failed',
      error: { message: 'name or token is empty, please check again' },
    });
  });

  it('does not serve the dialects turned off, nor the moved ones at their default place', async () => {
    for (const path of ['/compat/xphoto/signup', '/compat/captcha/auth/login', '/compat/sessions/api/v1/auth/login']) {
      const res = await postJson(`${ms.stack.url}${path}`, {});
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    expect((await get(`${ms.stack.url}/Login?id=a@b.c&password=x`)).status).toBe(404);
  });

  it('leaves the canonical API and its problem+json answers as they are', async () => {
    const res = await postJson(`${ms.stack.url}/api/v1/auth/login`, { login: 'nobody' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await get(`${ms.stack.url}/nowhere`)).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    // The OpenAPI document describes the canonical API only; the dialects' pages in docs/compat are theirs.
    const paths = Object.keys((await get(`${ms.stack.url}/openapi.json`)).body.paths);
    expect(paths).toContain('/api/v1/auth/login');
    for (const dialectPath of ['/signup', '/signin', '/images-db', '/legacy/api/v1/auth/login']) {
      expect(paths).not.toContain(dialectPath);
    }
  });
});
