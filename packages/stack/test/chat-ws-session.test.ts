import { WsCloseCodes } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { connectReady, type WsClient } from './support/ws.ts';

/** The socket still answers: a ping gets its pong. */
const answers = async (client: WsClient, ref: string) => {
  client.send({ type: 'ping', ref });
  expect(await client.next((f) => f.type === 'pong' && f.ref === ref)).toEqual({ type: 'pong', ref });
};

describe('a socket lives as long as its session', () => {
  let ms: MailStack;
  let secondGateway: string;
  const sockets: WsClient[] = [];
  beforeAll(async () => {
    ms = await startMailStack();
    secondGateway = (await ms.stack.addGateway()).url;
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await ms?.close();
  });

  const open = async (url: string, token: string) => {
    const { client } = await connectReady(url, token);
    sockets.push(client);
    return client;
  };

  it('logout closes the session’s sockets on every gateway with 4001; another session’s socket stays', async () => {
    const first = await registerVerified(ms, newUser('sess'));
    const other = await login(ms, first.user);
    const here = await open(ms.stack.url, first.tokens.accessToken);
    const there = await open(secondGateway, first.tokens.accessToken);
    const kept = await open(secondGateway, other.tokens.accessToken);

    await first.client.auth.logout();
    for (const s of [here, there]) {
      const closed = await s.closed;
      expect(closed.code).toBe(WsCloseCodes.SESSION_ENDED);
      expect(closed.reason).toMatch(/session/);
    }
    await answers(kept, 'still-here');
  });

  it('a session revoked from another one, and logout-all, close the sockets of the sessions they end', async () => {
    const main = await registerVerified(ms, newUser('revk'));
    const victim = await login(ms, main.user);
    const bystander = await login(ms, main.user);
    const mainSocket = await open(ms.stack.url, main.tokens.accessToken);
    const victimSocket = await open(secondGateway, victim.tokens.accessToken);
    const bystanderSocket = await open(ms.stack.url, bystander.tokens.accessToken);

    await main.client.auth.revokeSession(victim.tokens.sessionId);
    expect((await victimSocket.closed).code).toBe(WsCloseCodes.SESSION_ENDED);
    await answers(mainSocket, 'main');
    await answers(bystanderSocket, 'bystander');

    await bystander.client.auth.logoutAll();
    for (const s of [mainSocket, bystanderSocket]) expect((await s.closed).code).toBe(WsCloseCodes.SESSION_ENDED);
  });
});
