/** One numbered feed event for one user, already serialized as the frame the socket sends. */
export interface Numbered {
  seq: number;
  text: string;
}

export interface FeedPage {
  events: Numbered[];
  latestSeq: number;
}

export type SequencerFailure =
  /** More events waited behind a gap than `pendingMax`: the socket cannot keep up. */
  | 'overflow'
  /** The feed could not be read (chat-notify down) after every retry. */
  | 'unavailable'
  /** The feed no longer holds the events after `lastSeq` (pruned), or never gave them. */
  | 'gap';

export interface SequencerOptions {
  /**
   * Sends one frame; false when the socket takes no more (it is being closed). `fromFeed`: read from
   * the feed in a page, paced by `drain` rather than refused when the socket's buffer is full.
   */
  send(item: Numbered, fromFeed: boolean): boolean;
  /** Resolves when the socket has room for another page of the feed; false when it never will. */
  drain?(): Promise<boolean>;
  /** The user's events after `after`, oldest first, at most `limit` (maybe fewer), and the user's latest seq. */
  read(after: number, limit: number): Promise<FeedPage>;
  /** Called once when the sequencer gives up; it is stopped by then. */
  fail(reason: SequencerFailure, err?: unknown): void;
  pageSize: number;
  pendingMax: number;
  /** Delay before retry n (1..) of a failed or fruitless read; undefined: give up. */
  retryDelayMs(attempt: number): number | undefined;
  sleep?: (ms: number) => Promise<void>;
}

export interface Sequencer {
  /** The seq of the last event sent; null before `start`. */
  readonly lastSeq: number | null;
  /** A live event: sent when it is the next one, else kept until the gap is filled from the feed. */
  offer(item: Numbered): void;
  /**
   * Sends events after `seq` from now on. `replay`: read the feed from `seq` first. Resolves with how
   * many events were sent by the time the sequencer caught up.
   */
  start(seq: number, options: { replay: boolean }): Promise<number>;
  stop(): void;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Keeps one socket's events gapless, ordered and unique. Live pushes are at most once, but
 * chat-notify commits a user's seq n only after every seq below it, so any gap seen live can be
 * filled from the feed: the sequencer reads it (in pages) until nothing waits behind a gap.
 */
export const createSequencer = (opts: SequencerOptions): Sequencer => {
  const sleep = opts.sleep ?? wait;
  // Keys are always > lastSeq: delivering an event removes it.
  const pending = new Map<number, Numbered>();
  let lastSeq: number | null = null;
  let backfilling = false;
  let stopped = false;
  let sent = 0;

  const stop = (): void => {
    stopped = true;
    pending.clear();
  };
  const fail = (reason: SequencerFailure, err?: unknown): void => {
    if (stopped) return;
    stop();
    opts.fail(reason, err);
  };

  const deliver = (item: Numbered, fromFeed: boolean): void => {
    if (stopped || lastSeq === null || item.seq !== lastSeq + 1) return;
    pending.delete(item.seq);
    lastSeq = item.seq;
    sent++;
    if (!opts.send(item, fromFeed)) stop();
  };

  const flush = (): void => {
    for (let next = pending.get((lastSeq ?? 0) + 1); next && !stopped; next = pending.get((lastSeq ?? 0) + 1)) {
      deliver(next, false);
    }
  };

  const readWithRetry = async (after: number): Promise<FeedPage> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await opts.read(after, opts.pageSize);
      } catch (err) {
        const delay = opts.retryDelayMs(attempt);
        if (delay === undefined || stopped) throw err;
        await sleep(delay);
      }
    }
  };

  const backfill = async (): Promise<void> => {
    if (backfilling || stopped || lastSeq === null) return;
    backfilling = true;
    try {
      for (let fruitless = 0; !stopped; ) {
        // A replay is a burst the gateway makes itself: it waits for the client to read, not cut it off.
        if (opts.drain && !(await opts.drain())) return stop();
        if (stopped || lastSeq === null) return;
        const from = lastSeq;
        let page: FeedPage;
        try {
          page = await readWithRetry(from);
        } catch (err) {
          return fail('unavailable', err);
        }
        if (stopped) return;
        const { events } = page;
        const first = events[0];
        if (first && first.seq > from + 1) return fail('gap', new Error(`the feed starts at ${first.seq}, after ${from}`));
        for (const item of events) deliver(item, true);
        flush();
        // Caught up by the feed's own count, not by a short page: a page may hold fewer than asked.
        if (pending.size === 0 && lastSeq >= page.latestSeq) return;
        // Something waits behind a gap the feed did not fill: its commit may not be visible yet.
        fruitless = lastSeq === from ? fruitless + 1 : 0;
        if (fruitless > 0) {
          const delay = opts.retryDelayMs(fruitless);
          if (delay === undefined) return fail('gap', new Error(`the feed does not hold seq ${from + 1}`));
          await sleep(delay);
        }
      }
    } finally {
      backfilling = false;
    }
  };

  return {
    get lastSeq() {
      return lastSeq;
    },
    offer(item) {
      if (stopped || (lastSeq !== null && item.seq <= lastSeq)) return;
      if (lastSeq !== null && !backfilling && item.seq === lastSeq + 1) {
        deliver(item, false);
        flush();
        return;
      }
      pending.set(item.seq, item);
      if (pending.size > opts.pendingMax) return fail('overflow');
      if (lastSeq !== null) void backfill();
    },
    async start(seq, { replay }) {
      const before = sent;
      lastSeq = seq;
      for (const key of pending.keys()) if (key <= seq) pending.delete(key);
      if (replay) await backfill();
      else {
        flush();
        if (pending.size > 0) await backfill();
      }
      return sent - before;
    },
    stop,
  };
};
