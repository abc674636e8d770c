import type { ChainLink } from '../repositories/events.ts';
import { chainHash, GENESIS_HASH } from './chain.ts';
import type { AuditDeps } from './deps.ts';

/** Rows deleted per transaction: short transactions, and a crash loses at most one chunk's progress. */
export const PRUNE_CHUNK = 10_000;
const DAY_MS = 86_400_000;

export interface PruneResult {
  deleted: number;
  /** Where the kept chain now starts (null when retention never deleted anything). */
  checkpoint: ChainLink | null;
}

/**
 * Deletes the oldest rows stored before the cutoff, always a prefix of the chain, and records in
 * the same transaction the last deleted row's seq and hash, so the rest still verifies. It stops at
 * a row that does not verify: tampering is evidence an operator should see, not something to age out.
 */
export const createRetention = (deps: AuditDeps) => {
  const pruneChunk = (cutoff: Date) =>
    deps.transaction(async (repo) => {
      await repo.lockRetention();
      const { checkpoint } = await repo.chainState();
      const rows = await repo.oldest(PRUNE_CHUNK);
      let prev: ChainLink = checkpoint ? { seq: checkpoint.seq, hash: checkpoint.hash } : { seq: 0, hash: GENESIS_HASH };
      let count = 0;
      let stopped = false;
      for (const row of rows) {
        if (row.storedAt.getTime() >= cutoff.getTime()) {
          stopped = true;
          break;
        }
        if (row.seq !== prev.seq + 1 || row.prevHash !== prev.hash || chainHash(row.prevHash, row) !== row.hash) {
          deps.log.error({ seq: row.seq, id: row.id }, 'audit-log: retention stops at a row that does not verify');
          stopped = true;
          break;
        }
        prev = { seq: row.seq, hash: row.hash };
        count++;
      }
      if (count > 0) {
        await repo.deleteThrough(prev.seq);
        await repo.saveCheckpoint(prev, (checkpoint?.deleted ?? 0) + count, deps.now());
      }
      return { count, checkpoint: count > 0 ? prev : checkpoint, more: !stopped && rows.length === PRUNE_CHUNK };
    });

  return {
    /** Deletes what was stored before `olderThan` (default: AUDIT_RETENTION_DAYS before now). */
    async prune(options: { olderThan?: Date } = {}): Promise<PruneResult> {
      const cutoff = options.olderThan ?? new Date(deps.now().getTime() - deps.config.AUDIT_RETENTION_DAYS * DAY_MS);
      let deleted = 0;
      for (;;) {
        const step = await pruneChunk(cutoff);
        deleted += step.count;
        deps.metrics.pruned.inc(step.count);
        if (!step.more) {
          const checkpoint = step.checkpoint ? { seq: step.checkpoint.seq, hash: step.checkpoint.hash } : null;
          if (deleted > 0) deps.log.info({ deleted, throughSeq: checkpoint?.seq }, 'audit-log: retention deleted old events');
          return { deleted, checkpoint };
        }
      }
    },
  };
};
export type Retention = ReturnType<typeof createRetention>;
