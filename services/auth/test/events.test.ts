import { AuthEndpoints, AuthEvents, type EventEnvelope, ParleyError } from '@parley/contracts';
import type { Bus } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthDeps } from '../src/app.ts';
import { createAuthDomain } from '../src/services/index.ts';
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

  it('fails a login (503) whose record cannot be written, and leaves no session behind', async () => {
    const me = await registerVerified(world);
    const kit = world.app.parley;
    // The real bus, except that its event stream refuses writes.
    const bus: Bus = Object.create(kit.bus, {
      emit: { value: () => Promise.reject(new Error('event stream unavailable')) },
    });
    const deps = await createAuthDeps({ bus, log: kit.log, database: () => kit.database() }, world.config, {
      clock: world.clock,
    });
    const domain = createAuthDomain(deps);
    const err = await domain.login.login({ login: me.name, password: me.password, client: client() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParleyError);
    expect([(err as ParleyError).code, (err as ParleyError).status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    const sessions = await world.call(AuthEndpoints.listSessions, { caller: callerOf(me.tokens) });
    expect(sessions.items.map((s) => s.id)).toEqual([me.tokens.sessionId]);
  });
});
