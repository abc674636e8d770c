import { describe, expect, it } from 'vitest';
import {
  createSequencer,
  type FeedPage,
  type Numbered,
  type SequencerFailure,
  type SequencerOptions,
} from '../../src/ws/sequencer.ts';

const ev = (seq: number): Numbered => ({ seq, text: `{"seq":${seq}}` });
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A sequencer over a feed holding seqs 1..`committed`, recording what it sends and every read. */
const setup = (committed: number, overrides: Partial<SequencerOptions> = {}) => {
  const sent: number[] = [];
  const reads: number[] = [];
  const failures: SequencerFailure[] = [];
  const feed = { committed };
  const sequencer = createSequencer({
    send: (item) => {
      sent.push(item.seq);
      return true;
    },
    read: async (after, limit) => {
      reads.push(after);
      return { events: range(after + 1, Math.min(feed.committed, after + limit)).map(ev), latestSeq: feed.committed };
    },
    fail: (reason) => failures.push(reason),
    pageSize: 3,
    pendingMax: 10,
    retryDelayMs: (attempt) => (attempt <= 2 ? 0 : undefined),
    sleep: async () => {},
    ...overrides,
  });
  return { sequencer, sent, reads, failures, feed };
};

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the per-socket sequencer', () => {
  it('sends live events in order without reading the feed', async () => {
    const { sequencer, sent, reads } = setup(0);
    await sequencer.start(0, { replay: false });
    for (const seq of [1, 2, 3]) sequencer.offer(ev(seq));
    expect(sent).toEqual([1, 2, 3]);
    expect(reads).toEqual([]);
  });

  it('drops an event it already sent', async () => {
    const { sequencer, sent } = setup(0);
    await sequencer.start(0, { replay: false });
    for (const seq of [1, 1, 2, 1, 2, 3]) sequencer.offer(ev(seq));
    expect(sent).toEqual([1, 2, 3]);
  });

  it('fills a gap from the feed, reading after the last seq it sent', async () => {
    const { sequencer, sent, reads } = setup(6);
    await sequencer.start(2, { replay: false });
    sequencer.offer(ev(3));
    sequencer.offer(ev(6));
    await settle();
    expect(reads[0]).toBe(3);
    expect(sent).toEqual([3, 4, 5, 6]);
  });

  it('does not send twice an event that arrives live while the gap is being read', async () => {
    let answer: (page: FeedPage) => void = () => {};
    const { sequencer, sent } = setup(0, {
      read: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    });
    await sequencer.start(0, { replay: false });
    sequencer.offer(ev(3));
    sequencer.offer(ev(1));
    sequencer.offer(ev(2));
    sequencer.offer(ev(5));
    expect(sent).toEqual([]);
    answer({ events: [1, 2, 3, 4].map(ev), latestSeq: 4 });
    await settle();
    expect(sent).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps reading while something still waits behind a gap', async () => {
    let wake = () => {};
    const sleep = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      });
    const { sequencer, sent, failures, feed } = setup(2, { sleep });
    await sequencer.start(0, { replay: false });
    // Seq 4 is pushed before seq 3's commit is visible: reads stop at 2 and it waits before the next.
    sequencer.offer(ev(4));
    await settle();
    expect(sent).toEqual([1, 2]);
    feed.committed = 4;
    wake();
    await settle();
    expect(sent).toEqual([1, 2, 3, 4]);
    expect(failures).toEqual([]);
  });

  it('replays the feed in pages from the seq it starts at, until it reaches the latest', async () => {
    const { sequencer, sent, reads } = setup(7);
    const count = await sequencer.start(1, { replay: true });
    expect(sent).toEqual(range(2, 7));
    expect(count).toBe(6);
    expect(reads).toEqual([1, 4]);
  });

  it('keeps reading after a page shorter than asked while the feed says there is more', async () => {
    const reads: number[] = [];
    const { sequencer, sent } = setup(0, {
      // The service sends one event a page, whatever it was asked for.
      read: async (after) => {
        reads.push(after);
        return { events: after < 5 ? [ev(after + 1)] : [], latestSeq: 5 };
      },
    });
    await sequencer.start(0, { replay: true });
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    expect(reads).toEqual([0, 1, 2, 3, 4]);
  });

  it('waits for the socket to drain before each page of a replay, and sends feed events without the cap', async () => {
    const log: string[] = [];
    const { sequencer } = setup(7, {
      send: (item, fromFeed) => {
        log.push(`${item.seq}${fromFeed ? 'f' : ''}`);
        return true;
      },
      drain: async () => {
        log.push('drain');
        return true;
      },
    });
    await sequencer.start(0, { replay: true });
    expect(log).toEqual(['drain', '1f', '2f', '3f', 'drain', '4f', '5f', '6f', 'drain', '7f']);
  });

  it('stops a replay when the socket will never drain', async () => {
    const { sequencer, sent, reads } = setup(7, { drain: async () => false });
    await sequencer.start(0, { replay: true });
    sequencer.offer(ev(8));
    expect(sent).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('holds live events until it starts, then sends only those after the start', async () => {
    const { sequencer, sent } = setup(3);
    sequencer.offer(ev(2));
    sequencer.offer(ev(4));
    sequencer.offer(ev(3));
    expect(sent).toEqual([]);
    await sequencer.start(3, { replay: false });
    expect(sent).toEqual([4]);
  });

  it('gives up as a slow consumer when too many events wait behind a gap', async () => {
    const { sequencer, sent, failures } = setup(0, { read: () => new Promise(() => {}), pendingMax: 3 });
    await sequencer.start(0, { replay: false });
    for (const seq of [2, 3, 4, 5, 6]) sequencer.offer(ev(seq));
    sequencer.offer(ev(1));
    expect(failures).toEqual(['overflow']);
    expect(sent).toEqual([]);
  });

  it('gives up when the feed cannot be read after its retries', async () => {
    let reads = 0;
    const { sequencer, failures } = setup(0, {
      read: async () => {
        reads++;
        throw new Error('no responders');
      },
    });
    await sequencer.start(0, { replay: true });
    expect(failures).toEqual(['unavailable']);
    expect(reads).toBe(3);
  });

  it('gives up when the feed no longer holds the events after its last seq', async () => {
    const { sequencer, sent, failures } = setup(0, { read: async () => ({ events: [5, 6].map(ev), latestSeq: 6 }) });
    await sequencer.start(2, { replay: true });
    expect(failures).toEqual(['gap']);
    expect(sent).toEqual([]);
  });

  it('stops sending once the socket takes no more', async () => {
    const sent: number[] = [];
    const { sequencer } = setup(0, {
      send: (item) => {
        sent.push(item.seq);
        return item.seq < 2;
      },
    });
    await sequencer.start(0, { replay: false });
    for (const seq of [1, 2, 3, 4]) sequencer.offer(ev(seq));
    expect(sent).toEqual([1, 2]);
  });
});
