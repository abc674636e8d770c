import { AuthEndpoints, RevocationSubject } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeMailedTo, login, mailTo, registerVerified, STRONG_PASSWORD, uniqueName } from './helpers/accounts.ts';
import { type AuthWorld, callerOf, client, startAuth } from './helpers/harness.ts';

describe('my account', () => {
  let world: AuthWorld;
  const revoked: string[] = [];
  beforeAll(async () => {
    world = await startAuth();
    world.bus.subscribe(RevocationSubject, (data) => {
      revoked.push(...(data as { sessionIds: string[] }).sessionIds);
    });
    await world.bus.ping();
  });
  afterAll(() => world?.close());

  it('shows me, renames me (NAME_TAKEN for a name in use) and stores my avatar URL', async () => {
    const me = await registerVerified(world);
    const other = await registerVerified(world);
    const caller = callerOf(me.tokens);
    expect(await world.call(AuthEndpoints.me, { caller })).toMatchObject({
      id: me.userId,
      name: me.name,
      email: me.email,
      emailVerified: true,
      avatarUrl: null,
      role: 'user',
    });

    const taken = await world.fail(AuthEndpoints.rename, { caller, name: other.name.toUpperCase() });
    expect([taken.code, taken.status]).toEqual(['NAME_TAKEN', 409]);
    const newName = uniqueName('renamed');
    expect(await world.call(AuthEndpoints.rename, { caller, name: newName })).toMatchObject({ name: newName });
    // The new name logs in; the old one is free.
    expect((await world.call(AuthEndpoints.login, { login: newName, password: me.password, client: client() })).user.id).toBe(
      me.userId,
    );

    const url = 'https://parley.example.test/api/v1/media/abc';
    expect(await world.call(AuthEndpoints.setAvatar, { caller, avatarUrl: url })).toEqual({ avatarUrl: url });
    expect(await world.call(AuthEndpoints.getUser, { caller: callerOf(other.tokens), id: me.userId })).toEqual({
      id: me.userId,
      name: newName,
      avatarUrl: url,
    });
    expect(await world.call(AuthEndpoints.setAvatar, { caller, avatarUrl: null })).toEqual({ avatarUrl: null });
  });

  it('changes the password: the current one must be right, the new one strong; every other session ends', async () => {
    const me = await registerVerified(world);
    const phone = await login(world, me);
    const caller = callerOf(me.tokens);

    const wrong = await world.fail(AuthEndpoints.changePassword, {
      caller,
      currentPassword: 'not my password at all',
      newPassword: 'A brand new passphrase 2024 ok',
    });
    expect([wrong.code, wrong.status]).toEqual(['WRONG_PASSWORD', 401]);
    const weak = await world.fail(AuthEndpoints.changePassword, {
      caller,
      currentPassword: me.password,
      newPassword: 'qwerty123',
    });
    expect([weak.code, weak.status]).toEqual(['WEAK_PASSWORD', 422]);
    expect(weak.extra?.strength).toBeLessThan(3);

    const newPassword = 'A brand new passphrase, seventy two ok';
    expect(await world.call(AuthEndpoints.changePassword, { caller, currentPassword: me.password, newPassword })).toEqual({
      done: true,
    });
    expect((await world.fail(AuthEndpoints.session, { caller: callerOf(phone) })).code).toBe('SESSION_INVALID');
    await expect.poll(() => revoked).toContain(phone.sessionId);
    expect(revoked).not.toContain(me.tokens.sessionId);
    expect(await world.call(AuthEndpoints.session, { caller })).toMatchObject({ sessionId: me.tokens.sessionId });

    const old = await world.fail(AuthEndpoints.login, { login: me.name, password: me.password, client: client() });
    expect(old.code).toBe('INVALID_CREDENTIALS');
    expect((await login(world, { ...me, password: newPassword })).user.id).toBe(me.userId);
  });

  it('changes the email: code to the new address, a notice to the old one', async () => {
    const me = await registerVerified(world);
    const other = await registerVerified(world);
    const caller = callerOf(me.tokens);

    const taken = await world.fail(AuthEndpoints.requestEmailChange, { caller, newEmail: other.email.toUpperCase() });
    expect([taken.code, taken.status]).toEqual(['EMAIL_TAKEN', 409]);

    const newEmail = `${uniqueName('moved')}@example.test`;
    expect(await world.call(AuthEndpoints.requestEmailChange, { caller, newEmail })).toEqual({ accepted: true });
    const notice = await mailTo(world, me.email, /being changed/i);
    expect(notice.text).toContain(newEmail);
    expect(notice.text).not.toMatch(/\d{6}/);
    const code = await codeMailedTo(world, newEmail, /new parley email/i);

    // Nothing changes before the code comes back.
    expect((await world.call(AuthEndpoints.me, { caller })).email).toBe(me.email);
    const wrong = await world.fail(AuthEndpoints.confirmEmailChange, { caller, code: code === '000000' ? '111111' : '000000' });
    expect(wrong.code).toBe('CODE_INVALID');
    expect(await world.call(AuthEndpoints.confirmEmailChange, { caller, code })).toMatchObject({
      email: newEmail,
      emailVerified: true,
    });
    expect((await world.call(AuthEndpoints.login, { login: newEmail, password: me.password, client: client() })).user.id).toBe(
      me.userId,
    );
    const old = await world.fail(AuthEndpoints.login, { login: me.email, password: me.password, client: client() });
    expect(old.code).toBe('INVALID_CREDENTIALS');
    // Another code for someone else's address would now be refused too.
    const again = await world.fail(AuthEndpoints.confirmEmailChange, { caller, code });
    expect(again.code).toBe('CODE_INVALID');
  });

  it('refuses account changes from a session that has ended', async () => {
    const me = await registerVerified(world);
    const caller = callerOf(me.tokens);
    await world.call(AuthEndpoints.logout, { caller });
    const err = await world.fail(AuthEndpoints.changePassword, {
      caller,
      currentPassword: me.password,
      newPassword: STRONG_PASSWORD,
    });
    expect(err.code).toBe('SESSION_INVALID');
  });

  it('answers USER_NOT_FOUND for an unknown user id', async () => {
    const me = await registerVerified(world);
    const err = await world.fail(AuthEndpoints.getUser, { caller: callerOf(me.tokens), id: 'nobody' });
    expect([err.code, err.status]).toEqual(['USER_NOT_FOUND', 404]);
  });
});
