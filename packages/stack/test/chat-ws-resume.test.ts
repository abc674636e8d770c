import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { connectReady, expectGapless, type Frame, type WsClient } from './support/ws.ts';

const messageId = (f: Frame) => (f.message as { id: string }).id;
const lastSeq = (client: WsClient, from: number) => client.events().at(-1)?.seq ?? from;

describe('resuming with ?since= after a disconnect', () => {
  let ms: MailStack;
  let a: Account;
  let b: Account;
  const sockets: WsClient[] = [];
  const room = async (name: string) => (await a.client.rooms.create({ name, memberIds: [b.tokens.user.id] })).id;
  const open = async (since?: number) => {
    const opened = await connectReady(ms.stack.url, b.tokens.accessToken, since === undefined ? {} : { since });
    sockets.push(opened.client);
    return opened;
  };
  beforeAll(async () => {
    ms = await startMailStack();
    [a, b] = await Promise.all([registerVerified(ms, newUser('rsa')), registerVerified(ms, newUser('rsb'))]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await ms?.close();
  });

  it('replays exactly what was missed, in order, says so, then continues live', async () => {
    const roomId = await room('resume');
    const { client: first, hello } = await open();
    const seen: string[] = [];
    for (const text of ['one', 'two', 'three']) seen.push((await a.client.rooms.post(roomId, text)).id);
    await first.next((f) => f.type === 'message.created' && messageId(f) === seen[2]);
    const k = lastSeq(first, hello.seq as number);
    await first.close();

    const missed: string[] = [];
    for (let i = 1; i <= 5; i++) missed.push((await a.client.rooms.post(roomId, `missed ${i}`)).id);

    const { client: second, hello: again } = await open(k);
    expect(again).toMatchObject({ type: 'hello', seq: k, replaying: true, reset: false });
    const replayed = await second.next((f) => f.type === 'replayed');
    expect(replayed).toEqual({ type: 'replayed', seq: k + 5, count: 5 });
    const events = second.events();
    expect(events.map(messageId)).toEqual(missed);
    expectGapless(events, k);
    // The replay came before its `replayed`, and the live one after.
    const live = await a.client.rooms.post(roomId, 'live');
    expect(await second.next((f) => f.type === 'message.created')).toMatchObject({ seq: k + 6, message: { id: live.id } });
    expect(second.frames.map((f) => f.type)).toEqual([
      'hello',
      ...missed.map(() => 'message.created'),
      'replayed',
      'message.created',
    ]);
  });

  it('loses and repeats nothing while messages keep coming during several reconnects', async () => {
    const roomId = await room('stream');
    const { client: first, hello } = await open();
    const start = hello.seq as number;
    // One chain of posts, so the order they were posted in is the order they are numbered in.
    const posted: string[] = [];
    let chain = Promise.resolve();
    const post = (text: string) => {
      chain = chain.then(async () => {
        posted.push((await a.client.rooms.post(roomId, text)).id);
      });
    };

    // Each round releases 10 posts and reconnects once a few arrived, while the rest are still coming:
    // sometimes a clean close, sometimes a cut connection.
    const received: Frame[] = [];
    let client = first;
    let since = start;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 10; i++) post(`r${round} m${i}`);
      await client.next((f) => f.type === 'message.created' && (f.seq as number) >= since + 3);
      if (round % 2 === 0) await client.close();
      else {
        client.socket.terminate();
        await client.closed;
      }
      received.push(...client.events());
      since = lastSeq(client, since);
      ({ client } = await open(since));
    }
    await chain;
    await client.next((f) => f.type === 'message.created' && messageId(f) === posted.at(-1));
    received.push(...client.events());

    expect(posted).toHaveLength(60);
    expectGapless(received, start);
    expect(received.map(messageId)).toEqual(posted);
  });

  it('a `since` newer than the latest, or older than what is kept, resets to now and replays nothing', async () => {
    const roomId = await room('reset');
    const { client, hello } = await open();
    await client.close();
    const latest = hello.seq as number;

    const { client: ahead, hello: reset } = await open(latest + 100);
    expect(reset).toEqual({ type: 'hello', userId: b.tokens.user.id, seq: latest, replaying: false, reset: true });
    const message = await a.client.rooms.post(roomId, 'after the reset');
    expect(await ahead.next((f) => f.type === 'message.created')).toMatchObject({ seq: latest + 1, message: { id: message.id } });
    expect(ahead.frames.some((f) => f.type === 'replayed')).toBe(false);
  });
});
