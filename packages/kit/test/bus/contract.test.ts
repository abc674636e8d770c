import { setTimeout as sleep } from 'node:timers/promises';
import { endpoint, ParleyError } from '@parley/contracts';
import { Type } from 'typebox';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentRequestId, runWithContext } from '../../src/context.ts';
import { caught, createWorld, transports, type World } from './harness.ts';

const Greeting = Type.Object({ name: Type.String({ minLength: 1 }), tags: Type.Optional(Type.Array(Type.String())) });
const greet = endpoint('greet.hello', Greeting, Type.Object({ text: Type.String(), by: Type.String() }), { idempotent: true });
const register = endpoint('users.register', Type.Object({ name: Type.String() }), Type.Object({ id: Type.String() }));
const slowRead = endpoint('slow.read', Type.Object({}), Type.Object({ ok: Type.Boolean() }), { idempotent: true });
const slowWrite = endpoint('slow.write', Type.Object({}), Type.Object({ ok: Type.Boolean() }));

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

describe.each(transports)('bus contract: request/reply and pub/sub (%s)', (transport) => {
  let world: World;
  beforeEach(() => {
    world = createWorld(transport);
  });
  afterEach(() => world.cleanup());

  it('answers a request with a validated payload, without sharing objects with the caller', async () => {
    const server = await world.open('greeter');
    const client = await world.open('client');
    let received: unknown;
    server.serve(greet, (req) => {
      received = req;
      req.tags?.push('mutated');
      return { text: `hello ${req.name}`, by: 'greeter' };
    });
    await server.ping();
    const payload = { name: 'ada', tags: ['a'] };
    await expect(client.request(greet, payload)).resolves.toEqual({ text: 'hello ada', by: 'greeter' });
    expect(received).toEqual({ name: 'ada', tags: ['a', 'mutated'] });
    expect(received).not.toBe(payload);
    expect(payload.tags).toEqual(['a']);
  });

  it('runs handlers on a later tick, never inside request()', async () => {
    const bus = await world.open();
    let requesting = false;
    let handledWhileRequesting: boolean | undefined;
    bus.serve(greet, (req) => {
      handledWhileRequesting = requesting;
      return { text: req.name, by: 'x' };
    });
    requesting = true;
    const reply = bus.request(greet, { name: 'x' });
    requesting = false;
    await reply;
    expect(handledWhileRequesting).toBe(false);
  });

  it('rejects a payload that does not match the schema with 400 VALIDATION_FAILED at the caller', async () => {
    const bus = await world.open();
    const handler = vi.fn(() => ({ text: 'x', by: 'y' }));
    bus.serve(greet, handler);
    const err = await caught(bus.request(greet, { name: 42 } as never));
    expect(err).toBeInstanceOf(ParleyError);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((err as ParleyError).extra?.errors).toEqual([expect.objectContaining({ path: '/name' })]);
    expect(handler).not.toHaveBeenCalled();
  });

  it('times out a request after the per-call deadline with 504 UPSTREAM_TIMEOUT', async () => {
    const bus = await world.open();
    bus.serve(slowRead, async () => {
      await sleep(400);
      return { ok: true };
    });
    const err = await caught(bus.request(slowRead, {}, { timeoutMs: 50 }));
    expect(err).toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: 504 });
  });

  it('answers 503 SERVICE_UNAVAILABLE when nobody serves the subject', async () => {
    const bus = await world.open();
    const err = await caught(bus.request(greet, { name: 'x' }, { timeoutMs: 10_000 }));
    expect(err).toBeInstanceOf(ParleyError);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });

  it("carries a handler's coded error to the caller intact", async () => {
    const bus = await world.open();
    bus.serve(register, () => {
      throw new ParleyError('NAME_TAKEN', 'That name is taken', { status: 409, extra: { x: 1 } });
    });
    const err = await caught(bus.request(register, { name: 'ada' }));
    expect(err).toBeInstanceOf(ParleyError);
    expect(err).toMatchObject({ code: 'NAME_TAKEN', status: 409, message: 'That name is taken', extra: { x: 1 } });
  });

  it('turns any other throw into 500 INTERNAL without the original message', async () => {
    const bus = await world.open();
    bus.serve(register, () => {
      throw new Error('db password is hunter2');
    });
    const err = await caught(bus.request(register, { name: 'ada' }));
    expect(err).toMatchObject({ code: 'INTERNAL', status: 500 });
    expect(JSON.stringify({ message: (err as Error).message, extra: (err as ParleyError).extra })).not.toContain('hunter2');
  });

  it('splits requests between two copies of a service in one queue group', async () => {
    const copies = [await world.open('greeter'), await world.open('greeter')];
    const client = await world.open('client');
    const counts = [0, 0];
    copies.forEach((bus, i) => {
      bus.serve(greet, (req) => {
        counts[i]!++;
        return { text: req.name, by: String(i) };
      });
    });
    await Promise.all(copies.map((b) => b.ping()));
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => client.request(greet, { name: `n${i}` })));
    expect(replies.map((r) => r.text)).toEqual(Array.from({ length: 200 }, (_, i) => `n${i}`));
    expect(counts[0]! + counts[1]!).toBe(200);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(40);
  });

  it('fans a publish out to every plain subscriber and to one member per queue group', async () => {
    const a = await world.open('a');
    const b = await world.open('b');
    const plain = [0, 0];
    const workers = [0, 0];
    const seen: unknown[] = [];
    a.subscribe('news.>', (data, ctx) => {
      plain[0]!++;
      seen.push({ data, subject: ctx.subject });
    });
    b.subscribe('news.*', () => void plain[1]!++);
    a.subscribe('news.posted', () => void workers[0]!++, { queue: 'workers' });
    b.subscribe('news.posted', () => void workers[1]!++, { queue: 'workers' });
    await Promise.all([a.ping(), b.ping()]);
    for (let i = 0; i < 20; i++) a.publish('news.posted', { i });
    await waitFor(() => expect([...plain, workers[0]! + workers[1]!]).toEqual([20, 20, 20]));
    await sleep(100);
    expect([...plain, workers[0]! + workers[1]!]).toEqual([20, 20, 20]);
    expect(seen[0]).toEqual({ data: { i: 0 }, subject: 'news.posted' });
  });

  it("passes the caller's request id to the handler's ctx and context", async () => {
    const server = await world.open('greeter');
    const client = await world.open('client');
    const seen: { ctx?: string | undefined; current?: string | undefined } = {};
    server.serve(greet, (req, ctx) => {
      seen.ctx = ctx.requestId;
      seen.current = currentRequestId();
      return { text: req.name, by: 'x' };
    });
    await server.ping();
    await runWithContext({ requestId: 'req-abc-123' }, () => client.request(greet, { name: 'x' }));
    expect(seen).toEqual({ ctx: 'req-abc-123', current: 'req-abc-123' });
  });

  it('keeps answering every request while one copy of an idempotent endpoint closes mid-stream', async () => {
    const copies = [await world.open('greeter'), await world.open('greeter')];
    const client = await world.open('client');
    const served = [0, 0];
    copies.forEach((bus, i) => {
      bus.serve(greet, async (req) => {
        served[i]!++;
        await sleep(5);
        return { text: req.name, by: String(i) };
      });
    });
    await Promise.all(copies.map((b) => b.ping()));
    const calls: Promise<unknown>[] = [];
    let closed: Promise<void> | undefined;
    for (let i = 0; i < 150; i++) {
      calls.push(client.request(greet, { name: `n${i}` }, { retries: 2, timeoutMs: 2000 }));
      if (i === 50) closed = copies[0]!.close();
      await sleep(2);
    }
    const results = await Promise.allSettled(calls);
    await closed;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(served[0]).toBeGreaterThan(0);
    expect(served[1]).toBeGreaterThan(0);
  });

  it('retries an idempotent endpoint after a timeout, and never a non-idempotent one', async () => {
    const bus = await world.open();
    let reads = 0;
    let writes = 0;
    bus.serve(slowRead, async () => {
      reads++;
      await sleep(300);
      return { ok: true };
    });
    bus.serve(slowWrite, async () => {
      writes++;
      await sleep(300);
      return { ok: true };
    });
    const [readErr, writeErr] = await Promise.all([
      caught(bus.request(slowRead, {}, { timeoutMs: 50, retries: 2 })),
      caught(bus.request(slowWrite, {}, { timeoutMs: 50, retries: 2 })),
    ]);
    expect(readErr).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(writeErr).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    await sleep(100);
    expect({ reads, writes }).toEqual({ reads: 3, writes: 1 });
  });

  it('reports a round-trip time on ping', async () => {
    const bus = await world.open();
    expect(await bus.ping()).toBeGreaterThanOrEqual(0);
  });
});
