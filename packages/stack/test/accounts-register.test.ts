import { extractCode } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type MailStack, mailTo, newUser, registerVerified, startMailStack } from './support/accounts.ts';

describe('registering and verifying the email with a code', () => {
  let ms: MailStack;
  beforeAll(async () => {
    ms = await startMailStack();
  });
  afterAll(async () => ms?.close());

  it('scores passwords with the rule registration applies', async () => {
    const weak = await ms.client.auth.passwordStrength({ password: 'password1' });
    expect(weak.acceptable).toBe(false);
    expect(weak.score).toBeLessThan(3);
    const strong = await ms.client.auth.passwordStrength({ password: newUser().password });
    expect(strong).toMatchObject({ acceptable: true });
    expect(strong.score).toBeGreaterThanOrEqual(3);
  });

  it('creates an unverified account, mails a 6-digit code, and the code logs the person in', async () => {
    const user = newUser('reg');
    const mark = ms.smtp.messages.length;
    const created = await ms.client.auth.register(user);
    expect(created.user).toMatchObject({ name: user.name, email: user.email, emailVerified: false, avatarUrl: null });
    expect(created.verification).toMatchObject({ method: 'code', sentTo: user.email });
    expect(created.verification.expiresInSeconds).toBeGreaterThan(0);
    expect(created.verification.expiresInSeconds).toBeLessThanOrEqual(600);

    const code = extractCode(await mailTo(ms.smtp, user.email, mark));
    const wrong = code === '000000' ? '111111' : '000000';
    await failure(ms.client.auth.verifyEmail({ email: user.email, code: wrong }), 400, 'CODE_INVALID');

    const tokens = await ms.client.auth.verifyEmail({ email: user.email, code });
    expect(tokens).toMatchObject({ tokenType: 'Bearer', user: { email: user.email, emailVerified: true } });
    expect(tokens.expiresIn).toBeGreaterThan(0);
    expect(await ms.client.withToken(tokens.accessToken).users.me()).toMatchObject({ id: created.user.id, emailVerified: true });

    // Spent: the same code does not work twice.
    await failure(ms.client.auth.verifyEmail({ email: user.email, code }), 400, 'CODE_INVALID');
  });

  it('refuses a taken name (whatever its case) with 409 NAME_TAKEN and a taken email with 409 EMAIL_TAKEN', async () => {
    const { user } = await registerVerified(ms, newUser('taken'));
    await failure(ms.client.auth.register({ ...newUser(), name: user.name.toUpperCase() }), 409, 'NAME_TAKEN');
    await failure(ms.client.auth.register({ ...newUser(), email: user.email }), 409, 'EMAIL_TAKEN');
  });

  it('refuses a weak password with 422 WEAK_PASSWORD and its strength', async () => {
    const err = await failure(ms.client.auth.register({ ...newUser(), password: 'password' }), 422, 'WEAK_PASSWORD');
    const strength = (err.problem as { strength?: unknown }).strength;
    expect(typeof strength).toBe('number');
    expect(strength).toBeGreaterThanOrEqual(0);
    expect(strength).toBeLessThanOrEqual(4);
  });

  it('refuses malformed input with 400 VALIDATION_FAILED', async () => {
    const err = await failure(ms.client.auth.register({ ...newUser(), email: 'not-an-email' }), 400, 'VALIDATION_FAILED');
    expect(err.problem.detail).toContain('email');
    await failure(ms.client.auth.register({ ...newUser(), name: 'x' }), 400, 'VALIDATION_FAILED');
  });

  it('keeps an unverified account from logging in: 403 EMAIL_NOT_VERIFIED', async () => {
    const user = newUser('unverified');
    await ms.client.auth.register(user);
    await failure(ms.client.auth.login({ login: user.name, password: user.password }), 403, 'EMAIL_NOT_VERIFIED');
  });

  it('resends a working code, and answers 202 for an address nobody has (no enumeration)', async () => {
    const user = newUser('resend');
    const before = ms.smtp.messages.length;
    await ms.client.auth.register(user);
    // Mail is sent from chat-notify's queue after the answer: the first one must be in before the resend is told apart.
    await mailTo(ms.smtp, user.email, before);
    const mark = ms.smtp.messages.length;
    expect(await ms.client.auth.resendVerification(user.email)).toEqual({ accepted: true });
    const code = extractCode(await mailTo(ms.smtp, user.email, mark));
    const tokens = await ms.client.auth.verifyEmail({ email: user.email, code });
    expect(tokens.user.emailVerified).toBe(true);

    expect(await ms.client.auth.resendVerification(newUser('nobody').email)).toEqual({ accepted: true });
  });
});
