import { extractCode } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  failure,
  login,
  type MailStack,
  mailTo,
  newUser,
  registerVerified,
  startMailStack,
} from './support/accounts.ts';

describe('my account', () => {
  let ms: MailStack;
  beforeAll(async () => {
    ms = await startMailStack();
  });
  afterAll(async () => ms?.close());

  it('shows me myself', async () => {
    const { user, client, tokens } = await registerVerified(ms, newUser('me'));
    const me = await client.users.me();
    expect(me).toMatchObject({ id: tokens.user.id, name: user.name, email: user.email, emailVerified: true, avatarUrl: null });
    expect(Date.parse(me.createdAt)).toBeLessThanOrEqual(Date.now());
  });

  it('renames me, unless the name is someone else’s: 409 NAME_TAKEN', async () => {
    const account = await registerVerified(ms, newUser('rename'));
    const other = await registerVerified(ms, newUser('other'));
    const wanted = newUser('renamed').name;
    expect(await account.client.users.rename(wanted)).toMatchObject({ id: account.tokens.user.id, name: wanted });
    expect((await account.client.users.me()).name).toBe(wanted);
    await failure(account.client.users.rename(other.user.name.toUpperCase()), 409, 'NAME_TAKEN');
    await failure(account.client.users.rename('no spaces allowed'), 400, 'VALIDATION_FAILED');
  });

  it('changes my password: the current one is checked, other sessions end, this one goes on', async () => {
    const account = await registerVerified(ms, newUser('password'));
    const other = await login(ms, account.user);
    const newPassword = newUser().password;
    await failure(
      account.client.users.changePassword({ currentPassword: `${account.user.password}!`, newPassword }),
      401,
      'WRONG_PASSWORD',
    );
    const weak = await failure(
      account.client.users.changePassword({ currentPassword: account.user.password, newPassword: 'password' }),
      422,
      'WEAK_PASSWORD',
    );
    expect(typeof (weak.problem as { strength?: unknown }).strength).toBe('number');
    // A refused attempt changed nothing.
    expect((await other.client.users.me()).id).toBe(account.tokens.user.id);

    expect(await account.client.users.changePassword({ currentPassword: account.user.password, newPassword })).toBeUndefined();
    await failure(other.client.users.me(), 401, 'SESSION_INVALID');
    expect((await account.client.users.me()).id).toBe(account.tokens.user.id);
    await failure(
      ms.client.auth.login({ login: account.user.email, password: account.user.password }),
      401,
      'INVALID_CREDENTIALS',
    );
    expect((await ms.client.auth.login({ login: account.user.email, password: newPassword })).user.id).toBe(
      account.tokens.user.id,
    );
  });

  it('changes my email with a code sent to the new address, and tells the old one', async () => {
    const account = await registerVerified(ms, newUser('mover'));
    const taken = await registerVerified(ms, newUser('occupied'));
    await failure(account.client.users.requestEmailChange(taken.user.email), 409, 'EMAIL_TAKEN');

    const newEmail = newUser('moved').email;
    const mark = ms.smtp.messages.length;
    expect(await account.client.users.requestEmailChange(newEmail)).toEqual({ accepted: true });
    const code = extractCode(await mailTo(ms.smtp, newEmail, mark));
    const notice = await mailTo(ms.smtp, account.user.email, mark);
    expect(notice.text).not.toContain(code);

    const wrong = code === '000000' ? '111111' : '000000';
    await failure(account.client.users.confirmEmailChange(wrong), 400, 'CODE_INVALID');
    expect((await account.client.users.me()).email).toBe(account.user.email);

    const changed = await account.client.users.confirmEmailChange(code);
    expect(changed).toMatchObject({ id: account.tokens.user.id, email: newEmail, emailVerified: true });
    expect((await ms.client.auth.login({ login: newEmail, password: account.user.password })).user.email).toBe(newEmail);
    await failure(
      ms.client.auth.login({ login: account.user.email, password: account.user.password }),
      401,
      'INVALID_CREDENTIALS',
    );
  });
});

describe('other people', () => {
  let ms: MailStack;
  let me: Account;
  const tag = newUser().name.split('_')[1] as string;
  let marigold: Account;
  beforeAll(async () => {
    ms = await startMailStack();
    me = await registerVerified(ms, newUser('seeker'));
    marigold = await registerVerified(ms, { ...newUser(), name: `marigold_${tag}` });
    await registerVerified(ms, { ...newUser(), name: `marigolds_${tag}` });
    await registerVerified(ms, newUser('thistle'));
  });
  afterAll(async () => ms?.close());

  it('finds people by name, fuzzily, without their emails', async () => {
    for (const q of [`marigold_${tag}`, `MARIGOLD_${tag}`, `marigodl_${tag}`, 'marigold']) {
      const page = await me.client.users.search(q);
      const names = page.items.map((u) => u.name);
      if (q === 'marigold') expect(names, q).toEqual(expect.arrayContaining([`marigold_${tag}`, `marigolds_${tag}`]));
      else expect(names[0], q).toBe(`marigold_${tag}`);
      expect(
        names.some((n) => n.startsWith('thistle_')),
        q,
      ).toBe(false);
      for (const item of page.items) expect(Object.keys(item).sort()).toEqual(['avatarUrl', 'id', 'name']);
      expect(JSON.stringify(page)).not.toContain('@');
    }
  });

  it('finds someone by exact email, still without showing it', async () => {
    const page = await me.client.users.search(marigold.user.email);
    expect(page.items.map((u) => u.id)).toEqual([marigold.tokens.user.id]);
    expect(JSON.stringify(page)).not.toContain(marigold.user.email);
    // Not even that it matched by the address (the bus tells a dialect; the canonical answer does not).
    expect(Object.keys(page.items[0] ?? {}).sort()).toEqual(['avatarUrl', 'id', 'name']);
  });

  it('pages the results', async () => {
    const first = await me.client.users.search(`_${tag}`, { limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await me.client.users.search(`_${tag}`, { limit: 1, cursor: first.nextCursor as string });
    expect(second.items).toHaveLength(1);
    expect(second.items[0]?.id).not.toBe(first.items[0]?.id);
  });

  it('shows a public profile, and 404 for nobody', async () => {
    expect(await me.client.users.get(marigold.tokens.user.id)).toEqual({
      id: marigold.tokens.user.id,
      name: marigold.user.name,
      avatarUrl: null,
    });
    await failure(me.client.users.get('no-such-user'), 404, 'USER_NOT_FOUND');
    await failure(ms.client.users.get(marigold.tokens.user.id), 401, 'UNAUTHORIZED');
  });
});
