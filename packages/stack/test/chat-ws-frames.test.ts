import { MESSAGE_MAX_CHARS, WsCloseCodes } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { connectReady, type WsClient } from './support/ws.ts';

describe('what a client may send on the socket', () => {
  let ms: MailStack;
  let a: Account;
  let outsider: Account;
  let roomId: string;
  const sockets: WsClient[] = [];
  const open = async (account: Account) => {
    const { client } = await connectReady(ms.stack.url, account.tokens.accessToken);
    sockets.push(client);
    return client;
  };
  beforeAll(async () => {
    ms = await startMailStack();
    [a, outsider] = await Promise.all([registerVerified(ms, newUser('fra')), registerVerified(ms, newUser('fro'))]);
    roomId = (await a.client.rooms.create({ name: 'frames' })).id;
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await ms?.close();
  });

  it('a frame over 64 KiB closes the socket with 1009', async () => {
    const client = await open(a);
    client.send(JSON.stringify({ type: 'ping', ref: 'x'.repeat(64 * 1024) }));
    expect((await client.closed).code).toBe(WsCloseCodes.TOO_BIG);
  });

  it('bad frames get an error frame saying why, and the socket keeps answering', async () => {
    const client = await open(a);
    const refused = async (frame: unknown) => {
      client.send(frame);
      return client.next((f) => f.type === 'error');
    };
    expect(await refused('{"type": "ping"')).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringMatching(/JSON/) });
    expect(await refused({ type: 'subscribe', ref: 's1' })).toMatchObject({ code: 'VALIDATION_FAILED', ref: 's1' });
    const long = { type: 'message.send', roomId, text: 'a'.repeat(MESSAGE_MAX_CHARS + 1), ref: 'long' };
    expect(await refused(long)).toMatchObject({ code: 'VALIDATION_FAILED', ref: 'long', detail: expect.stringMatching(/text/) });
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.next((f) => f.type === 'error')).toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: expect.stringMatching(/binary/),
    });

    client.send({ type: 'ping', ref: 'alive' });
    expect(await client.next((f) => f.type === 'pong')).toEqual({ type: 'pong', ref: 'alive' });
    // Nothing bad was stored.
    expect((await a.client.rooms.history(roomId)).items).toEqual([]);
  });

  it('message.send is answered with message.sent, or with the service’s error code for a room I am not in', async () => {
    const mine = await open(a);
    mine.send({ type: 'message.send', roomId, text: 'over the socket', ref: 'ok' });
    const sent = await mine.next((f) => f.type === 'message.sent');
    expect(sent).toMatchObject({ ref: 'ok', message: { roomId, text: 'over the socket', senderId: a.tokens.user.id } });

    const theirs = await open(outsider);
    theirs.send({ type: 'message.send', roomId, text: 'let me in', ref: 'no' });
    expect(await theirs.next((f) => f.type === 'error')).toMatchObject({ ref: 'no', code: 'ROOM_NOT_FOUND' });
    const history = await a.client.rooms.history(roomId);
    expect(history.items.map((m) => m.text)).toEqual(['over the socket']);
  });
});
