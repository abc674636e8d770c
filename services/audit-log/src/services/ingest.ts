import type { EventEnvelope } from '@parley/contracts';
import type { NewEventRow } from '../db/schema/events.ts';
import type { ChainLink } from '../repositories/events.ts';
import { chainHash } from './chain.ts';
import type { AuditDeps } from './deps.ts';

/** Rows per commit at most: one multi-row INSERT stays well under Postgres's 65,535 parameters. */
export const MAX_GROUP = 500;

interface Waiting {
  envelope: EventEnvelope;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface Ingest {
  /** Resolves once the event is in the chain (by this call or an earlier delivery); rejects when its commit failed. */
  store(envelope: EventEnvelope): Promise<void>;
  /** Deliveries waiting for the next commit. */
  waiting(): number;
}

/**
 * Group commit: one commit runs at a time per copy, and whatever arrives meanwhile goes into the
 * next one. Each commit holds the chain head's row lock, so copies append one after another.
 */
export const createIngest = (deps: AuditDeps, maxGroup = MAX_GROUP): Ingest => {
  const queue: Waiting[] = [];
  let running: Promise<void> | null = null;

  const commit = async (group: EventEnvelope[]): Promise<void> => {
    const stored = await deps.transaction(async (repo) => {
      const head = await repo.lockHead();
      const seen = await repo.storedIds(group.map((e) => e.id));
      const storedAt = deps.now();
      const rows: NewEventRow[] = [];
      let prev: ChainLink = head;
      for (const e of group) {
        // Already stored, or delivered twice into this group: the chain keeps one row.
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        const fields = {
          seq: prev.seq + 1,
          id: e.id,
          type: e.type,
          version: e.version,
          at: new Date(e.at),
          source: e.source,
          actor: e.actor,
          subject: e.subject,
          requestId: e.requestId,
          ip: e.ip,
          userAgent: e.userAgent,
          data: e.data,
        };
        const hash = chainHash(prev.hash, fields);
        rows.push({ ...fields, storedAt, prevHash: prev.hash, hash });
        prev = { seq: fields.seq, hash };
      }
      await repo.insert(rows);
      if (rows.length > 0) await repo.setHead(prev);
      return rows.length;
    });
    deps.metrics.stored.inc(stored);
    deps.metrics.duplicates.inc(group.length - stored);
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const group = queue.splice(0, maxGroup);
      try {
        await commit(group.map((w) => w.envelope));
        for (const w of group) w.resolve();
      } catch (err) {
        if (group.length === 1) {
          group[0]!.reject(err);
          continue;
        }
        // One bad row must not fail its neighbours on every redelivery: commit them one by one.
        deps.log.warn({ err, events: group.length }, 'audit-log: group commit failed, committing one by one');
        for (const w of group) {
          try {
            await commit([w.envelope]);
            w.resolve();
          } catch (oneErr) {
            w.reject(oneErr);
          }
        }
      }
    }
  };

  const kick = (): void => {
    if (running || queue.length === 0) return;
    running = drain().finally(() => {
      running = null;
      kick();
    });
  };

  return {
    store: (envelope) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ envelope, resolve, reject });
        kick();
      }),
    waiting: () => queue.length,
  };
};
