import type { Socket } from 'node:net';
import { MESSAGE_MAX_CHARS, WsCloseCodes } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, pollUntil, registerVerified, startMailStack } from './support/accounts.ts';
import { connect, connectReady, expectGapless, type Frame } from './support/ws.ts';

const CAP_BYTES = 64 * 1024;
// Three UTF-8 bytes a character: about the largest frame a message makes (12 KB).
const BIG = '€'.repeat(MESSAGE_MAX_CHARS - 8);
// Loopback kernel buffers absorb about 4 MB before the gateway's own buffer grows (measured: the cut came
// after ~330 of these): four times that bounds the loop.
const MAX_POSTS = 1_500;
const BATCH = 20;
const messageId = (f: Frame) => (f.message as { id: string }).id;
const pauseReading = (socket: unknown): Socket => (socket as { _socket: Socket })._socket.pause();

describe('a slow consumer', () => {
  let ms: MailStack;
  let a: Account;
  let reader: Account;
  let laggard: Account;
  beforeAll(async () => {
    ms = await startMailStack({ WS_MAX_BUFFERED_BYTES: String(CAP_BYTES) });
    [a, reader, laggard] = await Promise.all([
      registerVerified(ms, newUser('slowa')),
      registerVerified(ms, newUser('slowr')),
      registerVerified(ms, newUser('slowl')),
    ]);
  });
  afterAll(async () => {
    await ms?.close();
  });

  /** A sample from the gateway's /metrics. */
  const metric = async (series: string): Promise<number> => {
    const text = await (await fetch(`${ms.stack.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  const cutOff = () => metric('parley_ws_closes_total{reason="slow_consumer"}');
  /** Posts `count` big messages, `BATCH` at a time; their ids. */
  const postMany = async (roomId: string, count: number, until?: () => Promise<boolean>): Promise<string[]> => {
    const posted: string[] = [];
    while (posted.length < count && !(await until?.())) {
      const batch = await Promise.all(Array.from({ length: BATCH }, (_, i) => a.client.rooms.post(roomId, `${i} ${BIG}`)));
      posted.push(...batch.map((m) => m.id));
    }
    return posted;
  };

  it('is cut off with 4008 once its send buffer passes the cap, while a reading member gets every message', async () => {
    const room = await a.client.rooms.create({ name: 'firehose', memberIds: [reader.tokens.user.id, laggard.tokens.user.id] });
    const { client: fast } = await connectReady(ms.stack.url, reader.tokens.accessToken);
    const { client: slow } = await connectReady(ms.stack.url, laggard.tokens.accessToken);
    // Stop reading: what the gateway sends piles up in the kernel, then in the gateway's send buffer.
    const raw = pauseReading(slow.socket);
    const posted = await postMany(room.id, MAX_POSTS, async () => (await cutOff()) > 0);
    expect(await cutOff(), `not cut off after ${posted.length} messages`).toBe(1);

    // Reading again within the close grace, it gets what was buffered, then the close frame.
    raw.resume();
    const closed = await slow.closed;
    expect(closed).toEqual({ code: WsCloseCodes.SLOW_CONSUMER, reason: 'slow consumer' });
    expect(slow.events().length).toBeLessThan(posted.length);

    const after = await a.client.rooms.post(room.id, 'still flowing');
    await fast.next((f) => f.type === 'message.created' && messageId(f) === after.id, 30_000);
    const ids = fast.events().map(messageId);
    expect(new Set(ids)).toEqual(new Set([...posted, after.id]));
    await fast.close();
  }, 120_000);

  it('a resuming client is paced through a replay bigger than the cap, not cut off', async () => {
    const room = await a.client.rooms.create({ name: 'backlog', memberIds: [laggard.tokens.user.id] });
    const { client: before, hello } = await connectReady(ms.stack.url, laggard.tokens.accessToken);
    await before.close();
    const since = hello.seq as number;
    const posted = await postMany(room.id, 700);

    const resumed = await connect(ms.stack.url, laggard.tokens.accessToken, { since });
    const raw = pauseReading(resumed.socket);
    // Past the kernel's buffers the gateway holds the rest of the replay page and waits before the next.
    const backedUp = await pollUntil(async () => (await metric('parley_ws_buffered_bytes')) > 0, 30_000);
    expect(backedUp, 'the replay never filled the kernel’s buffers').toBeDefined();
    raw.resume();

    expect(await resumed.next((f) => f.type === 'replayed', 60_000)).toEqual({ type: 'replayed', seq: since + 700, count: 700 });
    expectGapless(resumed.events(), since);
    expect(new Set(resumed.events().map(messageId))).toEqual(new Set(posted));
    resumed.send({ type: 'ping', ref: 'after' });
    expect(await resumed.next((f) => f.type === 'pong')).toEqual({ type: 'pong', ref: 'after' });
    expect(await cutOff()).toBe(1);
    await resumed.close();
  }, 120_000);
});
