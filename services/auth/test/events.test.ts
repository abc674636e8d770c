import { AuthEndpoints, AuthEvents, type EventEnvelope } from '@parley/contracts';
import { refusePublishes, withoutOutbox } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeMailedTo, login, registerVerified, uniqueName } from './helpers/accounts.ts';
import { type AuthWorld, callerOf, client, startAuth } from './helpers/harness.ts';

describe('auth events on the durable stream', () => {
  let world: AuthWorld;
  const events: EventEnvelope[] = [];
  beforeAll(async () => {
    world = await startAuth();
    await world.bus.consume({ durable: 'auth-events-test', subject: 'evt.auth.>' }, (event) => {
      events.push(event.envelope);
      return 'ack';
    });
  });
  afterAll(() => world?.close());

  it('records every account action with actor, ip and user agent, and never a secret', async () => {
    const secrets: string[] = [];
    const me = await registerVerified(world);
    secrets.push(me.password, me.tokens.accessToken, me.tokens.refreshToken);
    const ua = { ip: '192.0.2.77', userAgent: 'events-test/1.0' };
    const caller = callerOf(me.tokens, ua);

    await world.fail(AuthEndpoints.login, { login: me.name, password: 'a wrong guess, friend', client: ua });
    const second = await login(world, me, ua.ip);
    secrets.push(second.accessToken, second.refreshToken);
    await world.call(AuthEndpoints.requestLoginCode, { email: me.email, client: ua });
    const loginCode = await codeMailedTo(world, me.email, /login code/i);
    secrets.push(loginCode);
    await world.call(AuthEndpoints.verifyLoginCode, { email: me.email, code: loginCode, client: ua });

    await world.call(AuthEndpoints.rename, { caller, name: uniqueName('renamed') });
    const newPassword = 'Another quite long passphrase 1989';
    secrets.push(newPassword);
    await world.call(AuthEndpoints.changePassword, { caller, currentPassword: me.password, newPassword });
    const newEmail = `${uniqueName('moved')}@example.test`;
    await world.call(AuthEndpoints.requestEmailChange, { caller, newEmail });
    const emailCode = await codeMailedTo(world, newEmail, /new parley email/i);
    secrets.push(emailCode);
    await world.call(AuthEndpoints.confirmEmailChange, { caller, code: emailCode });
    await world.call(AuthEndpoints.logout, { caller });

    const mine = () => events.filter((e) => e.subject === me.userId);
    const expected = [
      AuthEvents.registered,
      AuthEvents.emailVerified,
      AuthEvents.loginSucceeded,
      AuthEvents.loginFailed,
      AuthEvents.nameChanged,
      AuthEvents.passwordChanged,
      AuthEvents.sessionRevoked,
      AuthEvents.emailChanged,
      AuthEvents.loggedOut,
    ].map((e) => e.type);
    await expect.poll(() => new Set(mine().map((e) => e.type)), { timeout: 5000 }).toEqual(new Set(expected));

    const failed = mine().find((e) => e.type === AuthEvents.loginFailed.type)!;
    expect(failed).toMatchObject({ source: 'auth', actor: me.userId, ip: ua.ip, userAgent: ua.userAgent });
    expect(failed.data).toEqual({ userId: me.userId, login: me.name, method: 'password', reason: 'wrong-password' });
    const methods = mine()
      .filter((e) => e.type === AuthEvents.loginSucceeded.type)
      .map((e) => (e.data as { method: string }).method);
    expect(methods.sort()).toEqual(['email-code', 'email-verification', 'password']);
    const loggedOut = mine().find((e) => e.type === AuthEvents.loggedOut.type)!;
    expect(loggedOut).toMatchObject({ actor: me.userId, ip: ua.ip, userAgent: ua.userAgent });
    expect(loggedOut.data).toEqual({ userId: me.userId, sessionIds: [me.tokens.sessionId], all: false });

    const text = JSON.stringify(events);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('records a login naming nobody without a user id', async () => {
    const login = `${uniqueName('ghost')}@example.test`;
    await world.fail(AuthEndpoints.login, { login, password: 'whatever it is 123', client: client() });
    await expect
      .poll(() => events.find((e) => (e.data as { login?: string }).login === login))
      .toMatchObject({ type: AuthEvents.loginFailed.type, actor: null, data: { userId: null, reason: 'unknown-login' } });
  });

  const loginsOf = (sessionId: string) =>
    events.filter((e) => e.type === AuthEvents.loginSucceeded.type && (e.data as { sessionId: string }).sessionId === sessionId);

  it('grants a login while the event stream is down, and publishes it once the stream is back', async () => {
    const me = await registerVerified(world);
    const stream = refusePublishes(world.app);
    let pair: Awaited<ReturnType<typeof login>>;
    try {
      pair = await login(world, me);
      await expect.poll(stream.refused).toBeGreaterThan(0);
      expect(await world.app.parley.outbox().pending()).toBeGreaterThan(0);
      expect(loginsOf(pair.sessionId)).toEqual([]);
    } finally {
      stream.restore();
    }
    await expect.poll(() => loginsOf(pair.sessionId).length, { timeout: 15_000 }).toBe(1);
    expect(loginsOf(pair.sessionId)[0]).toMatchObject({ actor: me.userId, subject: me.userId, data: { method: 'password' } });
  });

  it('answers 503 to a login, failed or not, that cannot be recorded, and starts no session', async () => {
    const me = await registerVerified(world);
    const [wrong, right] = await withoutOutbox(
      world.app,
      async () =>
        [
          await world.fail(AuthEndpoints.login, { login: me.name, password: 'a wrong guess, friend', client: client() }),
          await world.fail(AuthEndpoints.login, { login: me.name, password: me.password, client: client() }),
        ] as const,
    );
    expect([wrong.code, wrong.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    expect([right.code, right.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    const sessions = await world.call(AuthEndpoints.listSessions, { caller: callerOf(me.tokens) });
    expect(sessions.items.map((s) => s.id)).toEqual([me.tokens.sessionId]);
    // Recording works again: so does logging in.
    await login(world, me);
  });

  it('publishes nothing of a change rolled back: a rename to a name already taken', async () => {
    const [me, other] = [await registerVerified(world), await registerVerified(world)];
    const caller = callerOf(me.tokens);
    const taken = await world.fail(AuthEndpoints.rename, { caller, name: other.name.toUpperCase() });
    expect(taken.code).toBe('NAME_TAKEN');
    const name = uniqueName('renamed');
    await world.call(AuthEndpoints.rename, { caller, name });
    const renames = () => events.filter((e) => e.type === AuthEvents.nameChanged.type && e.subject === me.userId);
    await expect.poll(() => renames().length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(renames().map((e) => e.data)).toEqual([{ userId: me.userId, from: me.name, to: name }]);
  });
});
