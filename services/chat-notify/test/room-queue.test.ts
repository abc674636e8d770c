import { ParleyError } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { createRoomQueue } from '../src/services/room-queue.ts';

const later = <T>(value: T, ms = 5): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('the per-room queue', () => {
  it('runs one change of a room at a time, in arrival order, and rooms side by side', async () => {
    const inRoom = createRoomQueue();
    const log: string[] = [];
    const change = (room: string, n: number) =>
      inRoom(room, async () => {
        log.push(`${room}${n}+`);
        await later(null, 10 - n);
        log.push(`${room}${n}-`);
        return n;
      });
    const results = await Promise.all([change('a', 1), change('a', 2), change('b', 1), change('a', 3)]);
    expect(results).toEqual([1, 2, 1, 3]);
    const a = log.filter((e) => e.startsWith('a'));
    expect(a).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    // Room b did not wait for room a.
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'));
  });

  it('goes on after a failed change, which fails only its own caller', async () => {
    const inRoom = createRoomQueue();
    const failed = inRoom('a', async () => {
      throw new Error('boom');
    });
    const next = inRoom('a', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  it('answers 503 with Retry-After when too many changes of one room already wait', async () => {
    const inRoom = createRoomQueue(2);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = inRoom('a', () => gate);
    const second = inRoom('a', async () => 'second');
    const refused = await inRoom('a', async () => 'third').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ParleyError);
    expect(refused).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, extra: { retryAfter: 1 } });
    // Another room is not affected, and the line moves again once the first change is done.
    await expect(inRoom('b', async () => 'b')).resolves.toBe('b');
    release();
    await first;
    await expect(second).resolves.toBe('second');
    await expect(inRoom('a', async () => 'again')).resolves.toBe('again');
  });
});
