import { type Counter, counterOf, gaugeOf, type Metrics } from '@parley/kit';

type Registry = Metrics['registry'];
type Read = () => number;

export interface AuditMetrics {
  stored: Counter;
  duplicates: Counter;
  rejected: Counter;
  pruned: Counter;
  /** Counts this copy's deliveries waiting for a commit at scrape time; the returned function stops it. */
  trackWaiting(read: Read): () => void;
}

// Per registry: copies in one process (embedded mode, tests) share one, and their queues add up.
const waitingSources = new WeakMap<Registry, Set<Read>>();

export const auditMetrics = (registry: Registry): AuditMetrics => {
  let sources = waitingSources.get(registry);
  if (!sources) {
    const all = new Set<Read>();
    sources = all;
    waitingSources.set(registry, all);
    gaugeOf(registry, {
      name: 'parley_audit_ingest_waiting',
      help: 'Deliveries waiting for the audit log’s next group commit',
      collect: (gauge) => gauge.set([...all].reduce((sum, read) => sum + read(), 0)),
    });
  }
  const tracked = sources;
  return {
    stored: counterOf(registry, { name: 'parley_audit_events_stored_total', help: 'Events appended to the audit chain' }),
    duplicates: counterOf(registry, {
      name: 'parley_audit_duplicates_dropped_total',
      help: 'Deliveries of an event already stored (or twice in one commit), acknowledged without a new row',
    }),
    rejected: counterOf(registry, {
      name: 'parley_audit_events_rejected_total',
      help: 'Events outside the vocabulary or with invalid data, dead-lettered',
    }),
    pruned: counterOf(registry, { name: 'parley_audit_events_pruned_total', help: 'Rows deleted by retention' }),
    trackWaiting(read) {
      tracked.add(read);
      return () => void tracked.delete(read);
    },
  };
};
