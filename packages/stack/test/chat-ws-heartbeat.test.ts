import { WsCloseCodes } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { connectReady } from './support/ws.ts';

describe('the heartbeat', () => {
  let ms: MailStack;
  let a: Account;
  beforeAll(async () => {
    ms = await startMailStack({ WS_PING_INTERVAL_MS: '500' });
    a = await registerVerified(ms, newUser('beat'));
  });
  afterAll(async () => {
    await ms?.close();
  });

  it('drops a socket that stops answering pings, and keeps one that answers', async () => {
    const { client: dead } = await connectReady(ms.stack.url, a.tokens.accessToken, { autoPong: false });
    const { client: alive } = await connectReady(ms.stack.url, a.tokens.accessToken);
    let pings = 0;
    alive.socket.on('ping', () => pings++);

    const closed = await dead.closed;
    expect(closed.code).toBe(WsCloseCodes.HEARTBEAT_TIMEOUT);
    // The live one was pinged meanwhile, answered, and still works.
    expect(pings).toBeGreaterThan(0);
    alive.send({ type: 'ping', ref: 'still' });
    expect(await alive.next((f) => f.type === 'pong')).toEqual({ type: 'pong', ref: 'still' });
    await alive.close();
  });
});
