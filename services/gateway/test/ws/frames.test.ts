import { MESSAGE_MAX_CHARS } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../src/ws/frames.ts';

const text = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('reading a client frame', () => {
  it('accepts a ping and a message.send', () => {
    expect(parseFrame(text({ type: 'ping', ref: 'p1' }), false)).toEqual({ ok: true, frame: { type: 'ping', ref: 'p1' } });
    const send = { type: 'message.send', roomId: 'r1', text: 'hi' };
    expect(parseFrame(text(send), false)).toEqual({ ok: true, frame: send });
  });

  it('refuses what is not JSON text, saying why', () => {
    expect(parseFrame(text('{"type":'), false)).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', detail: /not valid JSON/ },
    });
    expect(parseFrame(text({ type: 'ping' }), true)).toMatchObject({ ok: false, error: { detail: /binary/ } });
  });

  it('refuses an unknown type and a bad message.send, keeping the ref so the client can match the error', () => {
    expect(parseFrame(text({ type: 'subscribe', ref: 'x' }), false)).toEqual({
      ok: false,
      error: {
        type: 'error',
        code: 'VALIDATION_FAILED',
        detail: expect.stringMatching(/Unknown frame type \("subscribe"\)/),
        ref: 'x',
      },
    });
    const long = { type: 'message.send', roomId: 'r1', text: 'a'.repeat(MESSAGE_MAX_CHARS + 1), ref: 'y' };
    expect(parseFrame(text(long), false)).toMatchObject({ ok: false, error: { ref: 'y', detail: /\/text/ } });
    expect(parseFrame(text({ type: 'message.send', roomId: 'r1', text: '   ' }), false)).toMatchObject({ ok: false });
    expect(parseFrame(text([1, 2]), false)).toMatchObject({ ok: false, error: { detail: /no type/ } });
  });
});
