import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineEvent } from '@parley/contracts';
import { Type } from 'typebox';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeliveredEvent } from '../../src/bus/index.ts';
import { runWithContext } from '../../src/context.ts';
import { createWorld, transports, type World } from './harness.ts';

const registered = defineEvent('user.registered', 1, Type.Object({ userId: Type.String(), email: Type.String() }));
const loggedIn = defineEvent('user.logged_in', 1, Type.Object({ userId: Type.String() }));
type Registered = { userId: string; email: string };

const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 15_000, interval: 20 });
const user = (i: number): Registered => ({ userId: `u${i}`, email: `u${i}@example.test` });

describe.each(transports)('bus contract: durable events (%s)', (transport) => {
  let world: World;
  beforeEach(() => {
    world = createWorld(transport);
  });
  afterEach(() => world.cleanup());

  it('delivers an event with its envelope, and filters by subject', async () => {
    const bus = await world.open('auth');
    const got: DeliveredEvent<Registered>[] = [];
    await bus.consume<Registered>({ durable: 'mailer', subject: 'evt.user.registered' }, (e) => void got.push(e));
    await bus.emit(loggedIn, { userId: 'u0' });
    const id = await runWithContext({ requestId: 'req-1' }, () => bus.emit(registered, user(1), { actor: 'u1', ip: '10.0.0.1' }));
    await waitFor(() => expect(got).toHaveLength(1));
    expect(got[0]).toMatchObject({
      subject: 'evt.user.registered',
      deliveryCount: 1,
      envelope: { id, type: 'user.registered', version: 1, source: 'auth', actor: 'u1', ip: '10.0.0.1', requestId: 'req-1' },
    });
    expect(got[0]!.envelope.data).toEqual(user(1));
    await sleep(100);
    expect(got).toHaveLength(1);
  });

  it('refuses to emit data that does not match the event schema', async () => {
    const bus = await world.open();
    await expect(bus.emit(registered, { userId: 1 } as never)).rejects.toThrow(/invalid data/);
  });

  it('redelivers an unacknowledged event to a restarted consumer with the same durable name', async () => {
    const bus = await world.open();
    const first: DeliveredEvent[] = [];
    const sub = await bus.consume({ durable: 'worker', subject: 'evt.>', backoffMs: () => 100 }, (e) => {
      first.push(e);
      throw new Error('crashed before ack');
    });
    const id = await bus.emit(registered, user(1));
    await waitFor(() => expect(first.length).toBeGreaterThanOrEqual(1));
    await sub.stop();
    const restarted = await world.open();
    const second: DeliveredEvent[] = [];
    await restarted.consume({ durable: 'worker', subject: 'evt.>' }, (e) => void second.push(e));
    await waitFor(() => expect(second).toHaveLength(1));
    expect(second[0]!.envelope.id).toBe(id);
    expect(second[0]!.deliveryCount).toBe(first.length + 1);
  });

  it('delivers events emitted while no consumer was attached once one attaches', async () => {
    const emitter = await world.open('auth');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await emitter.emit(registered, user(i)));
    const consumer = await world.open('mailer');
    const got: string[] = [];
    await consumer.consume({ durable: 'mailer', subject: 'evt.user.*' }, (e) => void got.push(e.envelope.id));
    await waitFor(() => expect(got).toEqual(ids));
  });

  it('stores a duplicate emit with the same id once', async () => {
    const bus = await world.open();
    const id = randomUUID();
    expect(await bus.emit(registered, user(1), { id })).toBe(id);
    expect(await bus.emit(registered, user(1), { id })).toBe(id);
    const after = await bus.emit(registered, user(2));
    const got: string[] = [];
    await bus.consume({ durable: 'dedupe', subject: 'evt.>' }, (e) => void got.push(e.envelope.id));
    await waitFor(() => expect(got).toContain(after));
    expect(got).toEqual([id, after]);
  });

  it('dead-letters an event after maxDeliver failed deliveries and stops redelivering it', async () => {
    const bus = await world.open();
    let calls = 0;
    const okSeen: string[] = [];
    await bus.consume({ durable: 'fragile', subject: 'evt.>', maxDeliver: 3, backoffMs: () => 30, ackWaitMs: 2000 }, (e) => {
      if (e.envelope.type === loggedIn.type) return void okSeen.push(e.envelope.id);
      calls++;
      throw new Error(`boom ${e.deliveryCount}`);
    });
    const id = await bus.emit(registered, user(1));
    const okId = await bus.emit(loggedIn, { userId: 'u1' });
    await waitFor(async () => expect(await bus.deadLetters('fragile')).toHaveLength(1));
    const [letter] = await bus.deadLetters('fragile');
    expect(letter).toMatchObject({ durable: 'fragile', deliveries: 3, envelope: { id, data: user(1) } });
    expect(letter!.reason).toContain('boom 3');
    expect(await bus.deadLetters('other')).toEqual([]);
    await sleep(300);
    expect(calls).toBe(3);
    expect(okSeen).toEqual([okId]);
  });

  it("dead-letters at once when the handler says 'dead'", async () => {
    const bus = await world.open();
    let calls = 0;
    await bus.consume({ durable: 'strict', subject: 'evt.>' }, () => {
      calls++;
      return 'dead';
    });
    const id = await bus.emit(registered, user(1));
    await waitFor(async () => expect(await bus.deadLetters('strict')).toMatchObject([{ deliveries: 1, envelope: { id } }]));
    expect(calls).toBe(1);
  });

  it('redelivers after the ack wait when a handler neither acks nor fails in time', async () => {
    const bus = await world.open();
    const deliveries: number[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await bus.consume({ durable: 'slowpoke', subject: 'evt.>', ackWaitMs: 1000 }, async (e) => {
      deliveries.push(e.deliveryCount);
      if (e.deliveryCount === 1) await held;
      return 'ack' as const;
    });
    await bus.emit(registered, user(1));
    await waitFor(() => expect(deliveries).toEqual([1, 2]));
    release();
  });

  it('shares the events of one durable between two copies, each event handled once', async () => {
    const copies = [await world.open('mailer'), await world.open('mailer')];
    const handled = new Map<string, number>();
    const perCopy = [0, 0];
    for (const [i, bus] of copies.entries()) {
      await bus.consume({ durable: 'mailer', subject: 'evt.user.registered' }, async (e) => {
        perCopy[i]!++;
        handled.set(e.envelope.id, (handled.get(e.envelope.id) ?? 0) + 1);
        await sleep(2);
        return 'ack' as const;
      });
    }
    const emitter = await world.open('auth');
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await emitter.emit(registered, user(i)));
    await waitFor(() => expect(handled.size).toBe(40));
    await sleep(200);
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(perCopy[0]! + perCopy[1]!).toBe(40);
  });
});
