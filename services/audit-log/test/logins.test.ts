import { AuditEndpoints, AuthEvents, type Caller, type LoginRecord } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditWorld, startAudit } from './helpers/harness.ts';

describe('my login history', () => {
  let world: AuditWorld;
  let me: Caller;
  let other: Caller;
  const sessions: string[] = [];
  beforeAll(async () => {
    world = await startAudit();
    [me, other] = [world.user(), world.user()];
    const succeeded = (user: Caller, sessionId: string, ip: string) =>
      world.envelope(
        AuthEvents.loginSucceeded,
        { userId: user.userId, sessionId, method: 'password' },
        { actor: user.userId, subject: user.userId, ip, userAgent: 'Safari/18' },
      );
    sessions.push('s_first', 's_second');
    // In order, one at a time: the history's order is the order the log stored them in.
    for (const envelope of [
      succeeded(me, 's_first', '198.51.100.1'),
      world.envelope(
        AuthEvents.loginFailed,
        { userId: me.userId, login: 'me@example.test', method: 'password', reason: 'wrong-password' },
        { subject: me.userId, ip: '192.0.2.66', userAgent: 'curl/8.5' },
      ),
      succeeded(other, 's_other', '198.51.100.2'),
      // Someone tried a name nobody has: it belongs to no account's history.
      world.envelope(
        AuthEvents.loginFailed,
        { userId: null, login: 'nobody', method: 'password', reason: 'unknown-login' },
        { subject: null, ip: '192.0.2.67' },
      ),
      world.envelope(AuthEvents.passwordChanged, { userId: me.userId }, { subject: me.userId }),
      succeeded(me, 's_second', '198.51.100.3'),
      world.envelope(
        AuthEvents.loginFailed,
        { userId: me.userId, login: 'me@example.test', method: 'email-code', reason: 'code-expired' },
        { subject: me.userId, ip: '192.0.2.68', userAgent: 'curl/8.5' },
      ),
    ]) {
      const before = (await world.rows()).length;
      await world.publish(envelope);
      await world.storedCount(before + 1);
    }
  });
  afterAll(() => world?.close());

  it('lists my successes and failures, newest first, with where they came from', async () => {
    const page = await world.call(AuditEndpoints.logins, { caller: me });
    expect(page.nextCursor).toBeNull();
    expect(page.items.map(({ id: _, at: __, ...rest }) => rest)).toEqual<Omit<LoginRecord, 'id' | 'at'>[]>([
      { ip: '192.0.2.68', userAgent: 'curl/8.5', method: 'email-code', success: false, reason: 'code-expired', sessionId: null },
      { ip: '198.51.100.3', userAgent: 'Safari/18', method: 'password', success: true, reason: null, sessionId: 's_second' },
      { ip: '192.0.2.66', userAgent: 'curl/8.5', method: 'password', success: false, reason: 'wrong-password', sessionId: null },
      { ip: '198.51.100.1', userAgent: 'Safari/18', method: 'password', success: true, reason: null, sessionId: 's_first' },
    ]);
    for (const item of page.items) expect(Date.parse(item.at)).not.toBeNaN();
  });

  it('never shows someone else’s logins', async () => {
    const page = await world.call(AuditEndpoints.logins, { caller: other });
    expect(page.items.map((i) => i.sessionId)).toEqual(['s_other']);
    const stranger = await world.call(AuditEndpoints.logins, { caller: world.user() });
    expect(stranger).toEqual({ items: [], nextCursor: null });
  });

  it('pages with a cursor, without repeating or skipping an attempt', async () => {
    const all = (await world.call(AuditEndpoints.logins, { caller: me })).items;
    const first = await world.call(AuditEndpoints.logins, { caller: me, limit: 3 });
    expect(first.items).toEqual(all.slice(0, 3));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await world.call(AuditEndpoints.logins, { caller: me, limit: 3, cursor: first.nextCursor! });
    expect(second).toEqual({ items: all.slice(3), nextCursor: null });
  });

  it('refuses a cursor it did not make', async () => {
    for (const cursor of [
      'not a cursor',
      Buffer.from('[1,2,3]').toString('base64url'),
      Buffer.from('["logins",-4]').toString('base64url'),
    ]) {
      expect(await world.fail(AuditEndpoints.logins, { caller: me, cursor })).toMatchObject({ code: 'BAD_RANGE', status: 400 });
    }
  });

  it('gives my latest successful login', async () => {
    expect(await world.call(AuditEndpoints.latestLogin, { caller: me })).toMatchObject({
      success: true,
      sessionId: 's_second',
      ip: '198.51.100.3',
      method: 'password',
    });
  });

  it('says when there is no successful login on record', async () => {
    const error = await world.fail(AuditEndpoints.latestLogin, { caller: world.user() });
    expect(error).toMatchObject({ code: 'NO_LOGIN_YET', status: 404 });
  });
});
