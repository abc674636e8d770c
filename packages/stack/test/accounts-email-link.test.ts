import { extractLink } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type MailStack, mailTo, newUser, startMailStack } from './support/accounts.ts';

const LINK_PATH = '/api/v1/auth/verify-email?token=';

const stateOf = (html: string): string | undefined => /data-state="([a-z]+)"/.exec(html)?.[1];

describe('verifying the email with the mailed link', () => {
  let ms: MailStack;
  beforeAll(async () => {
    ms = await startMailStack();
  });
  afterAll(async () => ms?.close());

  const registerWithLink = async (prefix: string) => {
    const user = newUser(prefix);
    const mark = ms.smtp.messages.length;
    const created = await ms.client.auth.register({ ...user, verify: 'link' });
    expect(created.verification).toMatchObject({ method: 'link', sentTo: user.email });
    const link = extractLink(await mailTo(ms.smtp, user.email, mark), LINK_PATH);
    return { user, link, token: new URL(link).searchParams.get('token') as string };
  };

  it('mails a link to this very gateway (PUBLIC_URL names the real port)', async () => {
    const { link } = await registerWithLink('public');
    expect(link.startsWith(`${ms.stack.url}${LINK_PATH}`)).toBe(true);
  });

  it('opens a self-contained confirm page that spends nothing; the button’s POST does, once', async () => {
    const { user, link, token } = await registerWithLink('link');

    for (const visit of [1, 2]) {
      const page = await fetch(link);
      expect(page.status, `visit ${visit}`).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers.get('cache-control')).toContain('no-store');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      expect(stateOf(html), `visit ${visit}`).toBe('valid');
      expect(html).toContain(user.email);
      expect(html).toMatch(/<form method="post" action="verify-email">/);
      expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i);
    }
    // Opening the page (twice) changed nothing.
    await failure(ms.client.auth.login({ login: user.email, password: user.password }), 403, 'EMAIL_NOT_VERIFIED');

    const tokens = await ms.client.auth.verifyEmail({ token });
    expect(tokens.user).toMatchObject({ email: user.email, emailVerified: true });
    expect((await ms.client.withToken(tokens.accessToken).users.me()).emailVerified).toBe(true);

    await failure(ms.client.auth.verifyEmail({ token }), 400, 'LINK_INVALID');
    const spent = await fetch(link);
    expect(spent.status).toBe(400);
    expect(stateOf(await spent.text())).toBe('invalid');
  });

  it('works as a plain HTML form: the button posts the token and gets a result page', async () => {
    const { user, link } = await registerWithLink('form');
    const html = await (await fetch(link)).text();
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(html)?.[1] as string, link);
    const hidden = /<input type="hidden" name="token" value="([^"]+)"/.exec(html)?.[1] as string;
    const post = () =>
      fetch(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: hidden }).toString(),
      });

    const done = await post();
    expect(done.status).toBe(200);
    expect(done.headers.get('content-type')).toContain('text/html');
    const result = await done.text();
    expect(stateOf(result)).toBe('verified');
    expect(result).not.toContain('accessToken');
    expect((await ms.client.auth.login({ login: user.name, password: user.password })).user.emailVerified).toBe(true);

    const again = await post();
    expect(again.status).toBe(400);
    expect(stateOf(await again.text())).toBe('invalid');
  });

  it('shows an unknown or hostile token as invalid, reflecting nothing of it', async () => {
    const hostile = '"><script>alert(1)</script>';
    const res = await fetch(`${ms.stack.url}${LINK_PATH}${encodeURIComponent(hostile)}`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(stateOf(html)).toBe('invalid');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('alert(1)');

    const missing = await fetch(`${ms.stack.url}/api/v1/auth/verify-email`);
    expect(stateOf(await missing.text())).toBe('invalid');
    await failure(ms.client.auth.verifyEmail({ token: 'no-such-token' }), 400, 'LINK_INVALID');
  });
});
