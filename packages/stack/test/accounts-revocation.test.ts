import { authApp, loadAuthConfig } from '@parley/auth';
import { createLogger, fastifyOptions } from '@parley/kit';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  failure,
  login,
  type MailStack,
  newUser,
  pollUntil,
  registerVerified,
  startMailStack,
  statusOfMe,
} from './support/accounts.ts';
import { type ExtraGateway, startGateway } from './support/gateway.ts';

// A correctness bound: a revoked session must stop working on every gateway within this, not a benchmark.
const WITHIN_MS = 1_000;

describe('a revoked session on two gateways sharing one bus', () => {
  let ms: MailStack;
  let b: ExtraGateway;
  const later: ExtraGateway[] = [];
  beforeAll(async () => {
    ms = await startMailStack();
    b = await startGateway(ms.stack);
  });
  afterAll(async () => {
    await Promise.all([b, ...later].map((g) => g?.close()));
    await ms?.close();
  });

  /** The account's token as seen through gateway B. */
  const onB = (account: Account) => b.client.withToken(account.tokens.accessToken);

  /** Polls B every 50 ms; the time until B answered 401, or undefined when it still accepted the token after WITHIN_MS. */
  const refusedOnB = async (account: Account) => pollUntil(async () => (await statusOfMe(onB(account))) === 401, WITHIN_MS);

  it('logout through gateway A: the token fails on gateway B within 1 s', async () => {
    const account = await registerVerified(ms, newUser('cross'));
    expect(await statusOfMe(onB(account))).toBe(200);
    await account.client.auth.logout();
    expect(await refusedOnB(account), 'B still accepted the token 1 s after the logout').toBeDefined();
    await failure(onB(account).users.me(), 401, 'SESSION_INVALID');
  });

  it('logout-all, a revoked session, a password change and a reused refresh token all reach gateway B', async () => {
    const account = await registerVerified(ms, newUser('many'));
    const second = await login(ms, account.user);
    const third = await login(ms, account.user);
    for (const a of [account, second, third]) expect(await statusOfMe(onB(a))).toBe(200);

    await account.client.auth.revokeSession(second.tokens.sessionId);
    expect(await refusedOnB(second), 'revoked session').toBeDefined();
    expect(await statusOfMe(onB(account))).toBe(200);

    const newPassword = `${account.user.password}-Renewed`;
    await account.client.users.changePassword({ currentPassword: account.user.password, newPassword });
    expect(await refusedOnB(third), 'session ended by the password change').toBeDefined();
    expect(await statusOfMe(onB(account))).toBe(200);

    const fourth = await login(ms, { ...account.user, password: newPassword });
    await account.client.auth.logoutAll();
    for (const a of [account, fourth]) expect(await refusedOnB(a), 'logout-all').toBeDefined();

    const fifth = await login(ms, { ...account.user, password: newPassword });
    await ms.client.auth.refresh(fifth.tokens.refreshToken);
    await ms.client.auth.refresh(fifth.tokens.refreshToken).catch(() => {});
    expect(await refusedOnB(fifth), 'refresh token reused').toBeDefined();
  });

  it('a gateway started after the logout refuses the token from its first request', async () => {
    const account = await registerVerified(ms, newUser('late'));
    await account.client.auth.logout();
    const c = await startGateway(ms.stack);
    later.push(c);
    await failure(c.client.withToken(account.tokens.accessToken).users.me(), 401, 'SESSION_INVALID');
    const live = await registerVerified(ms, newUser('alive'));
    expect(await statusOfMe(c.client.withToken(live.tokens.accessToken))).toBe(200);
  });
});

describe('a gateway that starts before the auth service answers', () => {
  let ms: MailStack;
  let early: ExtraGateway | undefined;
  beforeAll(async () => {
    ms = await startMailStack();
  });
  afterAll(async () => {
    await early?.close();
    await ms?.close();
  });

  it('asks about each session until it has loaded the revocations, so a revoked token never passes', async () => {
    const revoked = await registerVerified(ms, newUser('gone'));
    const live = await registerVerified(ms, newUser('here'));
    await revoked.client.auth.logout();

    // Auth goes away; a new gateway starts without it (as in distributed mode, where the gateway may come up first).
    await ms.stack.services.get('auth')?.close();
    early = await startGateway(ms.stack, { BUS_TIMEOUT_MS: '1000' });
    expect(early.app.tokenGuard.revocations.loaded).toBe(false);
    await failure(early.client.withToken(live.tokens.accessToken).users.me(), 503, 'SERVICE_UNAVAILABLE');

    const auth = Fastify(fastifyOptions(createLogger({ service: 'auth', level: 'silent' })));
    await auth.register(authApp, { config: loadAuthConfig(ms.stack.env), shared: ms.stack.shared });
    await auth.ready();
    try {
      // The keys are refetched at most once a second: until then it answers 503, as while auth was away.
      expect(
        await pollUntil(async () => (await statusOfMe(early!.client.withToken(live.tokens.accessToken))) !== 503, 5_000),
      ).toBeDefined();
      // Whether it already reloaded or still asks the auth service, the revoked session is refused.
      await failure(early.client.withToken(revoked.tokens.accessToken).users.me(), 401, 'SESSION_INVALID');
      expect(await statusOfMe(early.client.withToken(live.tokens.accessToken))).toBe(200);
      // And it does load them in the background.
      expect(await pollUntil(async () => early?.app.tokenGuard.revocations.loaded === true, 15_000, 100)).toBeDefined();
      await failure(early.client.withToken(revoked.tokens.accessToken).users.me(), 401, 'SESSION_INVALID');
    } finally {
      await auth.close();
    }
  });
});
