import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRevocationList, type LiveRevocation } from '../../src/lib/revocations.ts';

describe('the revocations a gateway holds', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('loads the live ones at start and adds what it is told', async () => {
    const list = createRevocationList({ loadLive: async () => ({ items: [{ sessionId: 's1', until: 2e9 }] }) });
    await list.start();
    expect(list.loaded).toBe(true);
    list.add(['s2', 's3'], 2e9);
    expect(['s1', 's2', 's3', 's4'].map((s) => list.has(s))).toEqual([true, true, true, false]);
    list.stop();
  });

  it('keeps retrying the first load in the background when the auth service does not answer yet', async () => {
    let answer = false;
    const list = createRevocationList({
      loadLive: async () => {
        if (!answer) throw new Error('no responders');
        return { items: [{ sessionId: 'old', until: 2e9 }] };
      },
      retryDelayMs: () => 10,
    });
    await list.start();
    expect(list.loaded).toBe(false);
    answer = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(list.loaded).toBe(true);
    expect(list.has('old')).toBe(true);
    list.stop();
  });

  it('resyncs periodically and forgets sessions whose tokens have all expired', async () => {
    let now = 1_000;
    const live: LiveRevocation[] = [];
    const list = createRevocationList({ loadLive: async () => ({ items: live }), resyncMs: 20, nowSeconds: () => now });
    await list.start();
    list.add(['short'], 1_010);
    live.push({ sessionId: 'missed-message', until: 5_000 });
    now = 1_500;
    await vi.advanceTimersByTimeAsync(20);
    expect(list.has('missed-message')).toBe(true);
    expect(list.has('short')).toBe(false);
    list.stop();
  });
});
