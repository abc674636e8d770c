import { PushSubject } from '@parley/contracts';
import type { Bus } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { connectReady, expectGapless, type Frame, type WsClient } from './support/ws.ts';

const textOf = (f: Frame) => (f.message as { text: string }).text;

describe('a live push lost on the way', () => {
  let ms: MailStack;
  let a: Account;
  let b: Account;
  let socket: WsClient | undefined;
  beforeAll(async () => {
    ms = await startMailStack();
    [a, b] = await Promise.all([registerVerified(ms, newUser('lpa')), registerVerified(ms, newUser('lpb'))]);
  });
  afterAll(async () => {
    await socket?.close();
    await ms?.close();
  });

  it('is read from the feed when the next one shows the gap: nothing missing, nothing twice, in order', async () => {
    const roomId = (await a.client.rooms.create({ name: 'lossy', memberIds: [b.tokens.user.id] })).id;
    const opened = await connectReady(ms.stack.url, b.tokens.accessToken);
    socket = opened.client;
    const start = opened.hello.seq as number;

    // chat-notify's pushes are core NATS (at most once): drop the next two, as a network blip would.
    const bus = ms.stack.services.get('chat-notify')!.parley.bus as Bus;
    const publish = bus.publish;
    let dropped = 0;
    bus.publish = (subject, data, headers) => {
      if (subject === PushSubject && dropped < 2) {
        dropped += 1;
        return;
      }
      publish(subject, data, headers);
    };
    try {
      await a.client.rooms.post(roomId, 'lost 1');
      await a.client.rooms.post(roomId, 'lost 2');
    } finally {
      bus.publish = publish;
    }
    expect(dropped).toBe(2);
    await a.client.rooms.post(roomId, 'arrives');

    await socket.next((f) => f.type === 'message.created' && textOf(f) === 'arrives');
    const events = socket.events();
    expect(events.map(textOf)).toEqual(['lost 1', 'lost 2', 'arrives']);
    expectGapless(events, start);
    const metrics = await ms.client.ops.metrics();
    expect(metrics).toMatch(/parley_ws_backfills_total\{outcome="ok"\} [1-9]/);
  });
});
