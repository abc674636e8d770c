import { describe, expect, it } from 'vitest';
import { resumePoint } from '../../src/ws/feed.ts';

describe('where a connection starts', () => {
  // The user's feed holds seqs 41..60: 1..40 were pruned.
  const feed = { latestSeq: 60, oldestSeq: 41 };

  it('starts now without `since`', () => {
    expect(resumePoint(undefined, feed)).toEqual({ start: 60, replaying: false, reset: false });
  });

  it('replays from `since` anywhere in the kept window, its edges included', () => {
    for (const since of [40, 50, 60]) expect(resumePoint(since, feed)).toEqual({ start: since, replaying: true, reset: false });
  });

  it('resets to now when `since` is older than what is kept, or newer than the latest', () => {
    for (const since of [0, 39, 61]) expect(resumePoint(since, feed)).toEqual({ start: 60, replaying: false, reset: true });
  });

  it('replays everything for a new client of a user whose feed was never pruned', () => {
    expect(resumePoint(0, { latestSeq: 3, oldestSeq: 1 })).toEqual({ start: 0, replaying: true, reset: false });
    expect(resumePoint(0, { latestSeq: 0, oldestSeq: 1 })).toEqual({ start: 0, replaying: true, reset: false });
  });
});
