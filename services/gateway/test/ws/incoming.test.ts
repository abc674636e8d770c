import { type ControlFrame, ParleyError } from '@parley/contracts';
import type { Bus } from '@parley/kit';
import { describe, expect, it } from 'vitest';
import { handleFrame, type IncomingContext } from '../../src/ws/incoming.ts';

const caller = { userId: 'u1', sessionId: 's1', ip: null, userAgent: null };
const frame = (value: unknown) => Buffer.from(JSON.stringify(value));
const send = (ref: string) => frame({ type: 'message.send', roomId: 'r1', text: `text ${ref}`, ref });
const message = (text: string) => ({
  id: 'm1',
  roomId: 'r1',
  senderId: 'u1',
  text,
  media: null,
  createdAt: new Date(0).toISOString(),
});

/** A context whose chat-notify answers each post when the test says so (or fails it). */
const setup = () => {
  const sent: ControlFrame[] = [];
  const calls: { text: string; resolve(v: unknown): void; reject(e: unknown): void }[] = [];
  const bus = {
    request: (_endpoint: unknown, payload: { text: string }) =>
      new Promise((resolve, reject) => calls.push({ text: payload.text, resolve, reject })),
  } as unknown as Bus;
  const ctx: IncomingContext = {
    bus,
    caller,
    send: (f) => sent.push(f) > 0,
    inFlight: { count: 0 },
    inFlightMax: 2,
    timeoutMs: 1_000,
  };
  return { ctx, sent, calls };
};

describe('answering a client frame', () => {
  it('answers a message.send with message.sent once chat-notify stored it', async () => {
    const { ctx, sent, calls } = setup();
    const done = handleFrame(send('a'), false, ctx);
    calls[0]?.resolve(message('text a'));
    await done;
    expect(sent).toEqual([{ type: 'message.sent', ref: 'a', message: message('text a') }]);
  });

  it('refuses a send past the in-flight bound, and accepts again once one is answered', async () => {
    const { ctx, sent, calls } = setup();
    const first = [handleFrame(send('a'), false, ctx), handleFrame(send('b'), false, ctx)];
    await handleFrame(send('c'), false, ctx);
    expect(sent).toEqual([{ type: 'error', ref: 'c', code: 'TOO_MANY_REQUESTS', detail: expect.any(String) }]);
    calls[0]?.resolve(message('text a'));
    await first[0];
    const again = handleFrame(send('d'), false, ctx);
    expect(calls.map((c) => c.text)).toEqual(['text a', 'text b', 'text d']);
    calls[1]?.resolve(message('text b'));
    calls[2]?.resolve(message('text d'));
    await Promise.all([first[1], again]);
    expect(ctx.inFlight.count).toBe(0);
  });

  it('passes on the service’s error code, and hides what an unexpected failure says', async () => {
    const { ctx, sent, calls } = setup();
    const refused = handleFrame(send('a'), false, ctx);
    calls[0]?.reject(new ParleyError('ROOM_NOT_FOUND', 'No such room'));
    await refused;
    const broken = handleFrame(send('b'), false, ctx);
    calls[1]?.reject(new Error('connection to 10.0.0.7 refused'));
    await broken;
    expect(sent).toEqual([
      { type: 'error', ref: 'a', code: 'ROOM_NOT_FOUND', detail: 'No such room' },
      { type: 'error', ref: 'b', code: 'INTERNAL', detail: 'The service failed to answer' },
    ]);
  });

  it('answers ping with pong, and a bad frame with an error frame', async () => {
    const { ctx, sent } = setup();
    await handleFrame(frame({ type: 'ping', ref: 'p' }), false, ctx);
    await handleFrame(Buffer.from('nope'), false, ctx);
    expect(sent).toEqual([
      { type: 'pong', ref: 'p' },
      { type: 'error', code: 'VALIDATION_FAILED', detail: 'The frame is not valid JSON' },
    ]);
  });
});
