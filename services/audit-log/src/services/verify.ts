import type { VerifyReport } from '@parley/contracts';
import type { EventsRepository } from '../repositories/events.ts';
import { chainHash, GENESIS_HASH } from './chain.ts';
import type { AuditDeps } from './deps.ts';

/** Rows read per query: keyset pages keep memory flat on a large log. */
export const VERIFY_PAGE = 2000;
/** Walks started over when retention moved the checkpoint under one (it deletes only what is behind it). */
const ATTEMPTS = 3;

type ChainState = Awaited<ReturnType<EventsRepository['chainState']>>;
type Problem = Pick<VerifyReport, 'firstBadId' | 'firstBadSeq' | 'reason'>;

/**
 * Recomputes the chain from the retention checkpoint (or genesis) up to the head as read at the
 * start. It reads outside the head's lock: appends go on meanwhile and are checked next time.
 */
export const createVerifier = ({ repo }: Pick<AuditDeps, 'repo'>, pageSize = VERIFY_PAGE) => {
  const walk = async (state: ChainState): Promise<{ checked: number; problem?: Problem }> => {
    const head = state.head ?? { seq: 0, hash: GENESIS_HASH };
    let prev = state.checkpoint ? { seq: state.checkpoint.seq, hash: state.checkpoint.hash } : { seq: 0, hash: GENESIS_HASH };
    let checked = 0;
    let lastId: string | undefined;
    for (;;) {
      const rows = await repo.chainPage(prev.seq, head.seq, pageSize);
      for (const row of rows) {
        // A hole in seq, or a link to something else than the row before: a row was removed or rewritten.
        if (row.seq !== prev.seq + 1 || row.prevHash !== prev.hash) {
          return { checked, problem: { firstBadId: row.id, firstBadSeq: row.seq, reason: 'broken-link' } };
        }
        if (chainHash(row.prevHash, row) !== row.hash) {
          return { checked, problem: { firstBadId: row.id, firstBadSeq: row.seq, reason: 'hash-mismatch' } };
        }
        checked++;
        prev = { seq: row.seq, hash: row.hash };
        lastId = row.id;
      }
      if (rows.length < pageSize) break;
    }
    if (prev.seq < head.seq) return { checked, problem: { firstBadSeq: prev.seq + 1, reason: 'head-mismatch' } };
    if (prev.hash !== head.hash) {
      // The last row holds by itself but is not the one the head recorded: rewritten, hash and all.
      return { checked, problem: { firstBadSeq: head.seq, ...(lastId ? { firstBadId: lastId } : {}), reason: 'head-mismatch' } };
    }
    // Rows past the head were not appended by this service (which moves the head in the same commit).
    const last = await repo.lastSeq();
    const { head: now } = await repo.chainState();
    if (now && last > now.seq) {
      const stray = await repo.firstAfter(now.seq);
      return {
        checked,
        problem: { firstBadSeq: stray?.seq ?? last, ...(stray ? { firstBadId: stray.id } : {}), reason: 'head-mismatch' },
      };
    }
    return { checked };
  };

  return async (): Promise<VerifyReport> => {
    for (let attempt = 1; ; attempt++) {
      const state = await repo.chainState();
      const { checked, problem } = await walk(state);
      const again = problem && attempt < ATTEMPTS && (await repo.chainState()).checkpoint?.seq !== state.checkpoint?.seq;
      if (again) continue;
      return {
        ok: !problem,
        checked,
        ...problem,
        checkpoint: state.checkpoint
          ? { throughSeq: state.checkpoint.seq, hash: state.checkpoint.hash, at: state.checkpoint.at.toISOString() }
          : null,
        head: state.head && state.head.seq > 0 ? state.head : null,
      };
    }
  };
};
