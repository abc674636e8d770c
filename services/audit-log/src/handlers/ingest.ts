import type { ServiceKit } from '@parley/kit';
import type { AuditDomain } from '../services/index.ts';
import type { AuditMetrics } from '../services/metrics.ts';
import { judgeEnvelope } from '../services/vocabulary.ts';

export const AUDIT_DURABLE = 'audit-log';
/**
 * Deliveries in hand at once: enough for a full group (MAX_GROUP) to gather while the previous one
 * commits. JetStream's default max_ack_pending (1,000 per consumer, shared by the copies) caps it anyway.
 */
const CONCURRENCY = 1000;

/** Every durable event of every service; the handler answers once its group is committed. */
export const consumeEvents = (kit: ServiceKit, { ingest }: AuditDomain, metrics: AuditMetrics): Promise<void> =>
  kit.consume({ durable: AUDIT_DURABLE, subject: 'evt.>', concurrency: CONCURRENCY }, async (event) => {
    const verdict = judgeEnvelope(event.envelope);
    if (!verdict.ok) {
      metrics.rejected.inc();
      const { id, type, source } = (event.envelope ?? {}) as Partial<Record<'id' | 'type' | 'source', unknown>>;
      kit.log.error({ eventId: id, type, source, reason: verdict.reason }, 'audit-log: event refused, dead-lettered');
      return 'dead';
    }
    // While the database is away the kit holds the delivery (kit.consume), rather than dead-letter it.
    await ingest.store(verdict.envelope);
    return 'ack';
  });
