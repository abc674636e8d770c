import { type EventDef, type EventEnvelope, ParleyError } from '@parley/contracts';
import { asc, count, inArray, lte, sql } from 'drizzle-orm';
import { pgSchema } from 'drizzle-orm/pg-core';
import type { Registry } from 'prom-client';
import type { Static } from 'typebox';
import { buildEnvelope } from '../bus/shared.ts';
import type { Bus, EmitOptions } from '../bus/types.ts';
import type { Db, Tx } from '../db/types.ts';
import { databaseUnavailable, isDatabaseUnavailable, unavailableReason } from '../db/unavailable.ts';
import type { Logger } from '../logger.ts';
import { counterOf, gaugeOf } from '../metrics.ts';
import { type OutboxTable, outboxTable } from './table.ts';

export interface OutboxOptions {
  db: Db;
  /** The Postgres schema holding the `outbox` table (the service's own). */
  schema: string;
  bus: Bus;
  /** The envelope's `source`: the service name. */
  source: string;
  logger: Logger;
  registry?: Registry;
  /** Safety net: the relay also looks every this often (a commit whose wake was missed, another copy's crash). Default 1000. */
  pollMs?: number;
  /** Rows claimed and published at once. Default 256. */
  batch?: number;
  /** A claimed row is not offered to another copy for this long (a copy that died mid-publish). Default 30 s. */
  leaseMs?: number;
  /** Wait for the stream's acknowledgement of one publish. Default 5 s. */
  publishTimeoutMs?: number;
  /** Backoff after a failed publish of a row, by its attempts so far. Default 200 ms · 2^(n-1), at most 5 s. */
  backoffMs?: (attempts: number) => number;
}

/** Events written in one transaction: published if and only if it commits. */
export interface StagedEvents {
  /**
   * Writes the event in the transaction. Invalid data throws (a programming error), like `bus.emit`;
   * a database that refuses the row is a 503 and the whole change rolls back.
   */
  stage<E extends EventDef>(event: E, data: Static<E['data']>, options?: EmitOptions): Promise<string>;
}

export interface Outbox {
  /**
   * `db.transaction(fn)` with `events` bound to it: what is staged is published straight after the
   * commit, from memory (the relay retries whatever that could not publish).
   */
  transaction<T>(fn: (tx: Tx, events: StagedEvents) => Promise<T>): Promise<T>;
  /**
   * An event with no change of its own (a failed login, a search): stored in its own transaction
   * before the caller goes on. 503 SERVICE_UNAVAILABLE when it cannot be stored.
   */
  record<E extends EventDef>(event: E, data: Static<E['data']>, options?: EmitOptions): Promise<string>;
  /** Publish what is waiting now. */
  wake(): void;
  /** Rows not yet published. */
  pending(): Promise<number>;
  /** Resolves once nothing is waiting (tests, benchmarks); rejects after `timeoutMs`. */
  drained(timeoutMs?: number): Promise<void>;
  start(): void;
  /** Stops the relay after the batch in hand; what is left waits for the next start (or another copy). */
  stop(): Promise<void>;
}

/** How long a row published by the fast path is left to it before the relay may take it. */
export const FAST_PATH_GRACE_MS = 2_000;

interface Staged {
  seq: number;
  envelope: EventEnvelope;
}

export const defaultOutboxBackoffMs = (attempts: number): number => Math.min(200 * 2 ** Math.max(0, attempts - 1), 5_000);

export const createOutbox = (options: OutboxOptions): Outbox => {
  const { db, bus, source, logger } = options;
  const table: OutboxTable = outboxTable(pgSchema(options.schema));
  const pollMs = options.pollMs ?? 1_000;
  const batch = options.batch ?? 256;
  const leaseMs = options.leaseMs ?? 30_000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const backoffMs = options.backoffMs ?? defaultOutboxBackoffMs;
  const labels = { service: source };
  const metrics = options.registry
    ? {
        published: counterOf(options.registry, {
          name: 'parley_outbox_published_total',
          help: 'Events the outbox relay published to the event stream',
          labelNames: ['service'],
        }),
        failures: counterOf(options.registry, {
          name: 'parley_outbox_publish_failures_total',
          help: 'Outbox publishes that failed and will be retried',
          labelNames: ['service'],
        }),
        backlog: gaugeOf(options.registry, {
          name: 'parley_outbox_backlog',
          help: 'Events left in the outbox after the relay’s last pass (0 when it emptied it)',
          labelNames: ['service'],
        }),
      }
    : undefined;

  let started = false;
  let stopped = false;
  let pumping: Promise<void> | null = null;
  let again = false;
  let poll: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  /** When the relay first found the database unavailable, while it still is: one warning per outage. */
  let outageSince: number | null = null;

  const relayFailed = (err: unknown): void => {
    if (!isDatabaseUnavailable(err)) {
      logger.warn({ err }, 'outbox: relay pass failed; retrying');
      return;
    }
    if (outageSince !== null) return;
    outageSince = Date.now();
    logger.warn({ reason: unavailableReason(err) }, 'outbox: database unavailable; the relay retries until it is back');
  };

  const relayWorked = (): void => {
    if (outageSince === null) return;
    logger.info({ downMs: Date.now() - outageSince }, 'outbox: database back; the relay goes on');
    outageSince = null;
  };

  /** Takes due rows in order, leased so another copy skips them. */
  const claim = async () => {
    const due = db
      .select({ seq: table.seq })
      .from(table)
      .where(lte(table.availableAt, sql`now()`))
      .orderBy(asc(table.seq))
      .limit(batch)
      .for('update', { skipLocked: true });
    const rows = await db
      .update(table)
      .set({
        availableAt: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
        attempts: sql`${table.attempts} + 1`,
      })
      .where(inArray(table.seq, due))
      .returning({ seq: table.seq, envelope: table.envelope, attempts: table.attempts });
    return rows.sort((a, b) => a.seq - b.seq);
  };

  /** One pass: publish what is due until nothing is, or the stream refuses. Returns ms to wait before retrying, or 0. */
  const pass = async (): Promise<number> => {
    for (;;) {
      again = false;
      const rows = await claim();
      if (rows.length === 0) {
        if (again) continue;
        metrics?.backlog.set(labels, 0);
        return 0;
      }
      // Sent side by side (pipelined on one connection, so the stream stores them in this order).
      const results = await Promise.allSettled(
        rows.map((row) => bus.publishEnvelope(row.envelope, { timeoutMs: publishTimeoutMs })),
      );
      const done: number[] = [];
      const failed: { seq: number; attempts: number; error: string }[] = [];
      results.forEach((r, i) => {
        const row = rows[i]!;
        if (r.status === 'fulfilled') done.push(row.seq);
        else failed.push({ seq: row.seq, attempts: row.attempts, error: String((r.reason as Error)?.message ?? r.reason) });
      });
      if (done.length > 0) {
        await db.delete(table).where(inArray(table.seq, done));
        metrics?.published.inc(labels, done.length);
      }
      if (failed.length > 0) {
        const wait = backoffMs(Math.min(...failed.map((f) => f.attempts)));
        await db
          .update(table)
          .set({ availableAt: sql`now() + make_interval(secs => ${wait / 1000})`, lastError: failed[0]!.error.slice(0, 500) })
          .where(
            inArray(
              table.seq,
              failed.map((f) => f.seq),
            ),
          );
        metrics?.failures.inc(labels, failed.length);
        metrics?.backlog.set(labels, await pending());
        logger.warn(
          { failed: failed.length, published: done.length, retryInMs: wait, reason: failed[0]!.error },
          'outbox: the event stream refused events; they stay in the outbox and are retried',
        );
        return wait;
      }
    }
  };

  const wake = (): void => {
    if (!started || stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pass()
      .then((waitMs) => {
        relayWorked();
        if (waitMs > 0) scheduleRetry(waitMs);
      })
      .catch((err) => {
        relayFailed(err);
        scheduleRetry(pollMs);
      })
      .finally(() => {
        pumping = null;
        if (again && !retryTimer) wake();
      });
  };

  const scheduleRetry = (ms: number): void => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      wake();
    }, ms);
    retryTimer.unref();
  };

  const pending = async (): Promise<number> => {
    const [row] = await db.select({ n: count() }).from(table);
    return Number(row?.n ?? 0);
  };

  const publishing = new Set<Promise<void>>();
  const published: number[] = [];
  let deleting: Promise<void> | null = null;

  /** Deletes published rows in batches (one statement for many requests' events). */
  const flushDeletes = (): void => {
    if (deleting || published.length === 0) return;
    deleting = (async () => {
      while (published.length > 0) await db.delete(table).where(inArray(table.seq, published.splice(0, 1000)));
    })()
      .catch((err) => {
        const message = 'outbox: could not delete published rows; they are published again (the stream drops repeats)';
        if (isDatabaseUnavailable(err)) logger.warn({ reason: unavailableReason(err) }, message);
        else logger.warn({ err }, message);
      })
      .finally(() => {
        deleting = null;
        flushDeletes();
      });
  };

  /**
   * The fast path: publish what a transaction staged as soon as it committed, from memory. Its rows
   * were written due only after `FAST_PATH_GRACE_MS`, so the relay leaves them alone meanwhile and
   * takes over only what this could not publish (the stream down, the process gone).
   */
  const publishNow = (items: Staged[]): void => {
    if (!started || stopped) {
      wake();
      return;
    }
    const run = Promise.allSettled(items.map((i) => bus.publishEnvelope(i.envelope, { timeoutMs: publishTimeoutMs }))).then(
      (results) => {
        let failed = 0;
        results.forEach((r, n) => {
          if (r.status === 'fulfilled') published.push(items[n]!.seq);
          else failed++;
        });
        if (published.length > 0) flushDeletes();
        metrics?.published.inc(labels, items.length - failed);
        if (failed > 0) {
          metrics?.failures.inc(labels, failed);
          logger.warn({ failed }, 'outbox: events not published after their commit; the relay retries them');
        }
      },
    );
    publishing.add(run);
    void run.finally(() => publishing.delete(run));
  };

  /**
   * Builds (invalid data throws as the bug it is) and stores one event. Rows the fast path will
   * publish are due for the relay only after the grace; before start or after stop, at once.
   * A database that refuses the row is a 503.
   */
  const store = async (tx: Tx | Db, event: EventDef, data: unknown, emitOptions: EmitOptions): Promise<Staged> => {
    const envelope = buildEnvelope(event, data, emitOptions, source);
    const fast = started && !stopped;
    try {
      const [row] = await tx
        .insert(table)
        .values({ envelope, ...(fast ? { availableAt: sql`now() + make_interval(secs => ${FAST_PATH_GRACE_MS / 1000})` } : {}) })
        .returning({ seq: table.seq });
      return { seq: row!.seq, envelope };
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw databaseUnavailable(err);
      throw new ParleyError('SERVICE_UNAVAILABLE', 'The event could not be recorded; try again', { cause: err });
    }
  };

  return {
    async transaction(fn) {
      let staged: Staged[] = [];
      const result = await db.transaction((tx) => {
        staged = [];
        return fn(tx, {
          async stage(event, data, emitOptions = {}) {
            const item = await store(tx, event, data, emitOptions);
            staged.push(item);
            return item.envelope.id;
          },
        });
      });
      if (staged.length > 0) publishNow(staged);
      return result;
    },

    async record(event, data, emitOptions = {}) {
      const item = await store(db, event, data, emitOptions);
      publishNow([item]);
      return item.envelope.id;
    },

    wake,
    pending,

    async drained(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await pending()) > 0) {
        if (Date.now() > deadline) throw new Error(`outbox of ${source}: not drained after ${timeoutMs} ms`);
        wake();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },

    start() {
      if (started) return;
      started = true;
      poll = setInterval(wake, pollMs);
      poll.unref();
      wake();
    },

    async stop() {
      stopped = true;
      clearInterval(poll);
      clearTimeout(retryTimer);
      retryTimer = undefined;
      await pumping;
      await Promise.allSettled([...publishing]);
      flushDeletes();
      await deleting;
    },
  };
};
