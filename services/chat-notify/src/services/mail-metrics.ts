import { counterOf, gaugeOf, type Metrics } from '@parley/kit';

type Registry = Metrics['registry'];
type Count = () => Promise<number>;

export interface MailMetrics {
  sent(via: string): void;
  failedAttempt(): void;
  gaveUp(): void;
  /** Counts the pending mails at scrape time; the returned function stops it (on close). */
  trackPending(count: Count): () => void;
}

// Per registry: copies in one process (embedded mode, tests) share one.
const pendingSources = new WeakMap<Registry, Set<Count>>();

export const mailMetrics = (registry: Registry): MailMetrics => {
  let sources = pendingSources.get(registry);
  if (!sources) {
    const all = new Set<Count>();
    sources = all;
    pendingSources.set(registry, all);
    // The copies share one table: the first whose database answers says how many wait.
    gaugeOf(registry, {
      name: 'parley_mail_queue_pending',
      help: 'Mails queued and not yet sent or given up',
      async collect(gauge) {
        for (const count of all) {
          try {
            gauge.set(await count());
            return;
          } catch {
            // that copy is closing: ask the next
          }
        }
      },
    });
  }
  const sent = counterOf(registry, {
    name: 'parley_mail_sent_total',
    help: 'Mails handed to SMTP or written to the outbox, by way',
    labelNames: ['via'],
  });
  const failures = counterOf(registry, {
    name: 'parley_mail_send_failures_total',
    help: 'Failed send attempts (each retried or given up)',
  });
  const givenUp = counterOf(registry, {
    name: 'parley_mail_given_up_total',
    help: 'Mails marked failed after their last attempt',
  });
  const tracked = sources;
  return {
    sent: (via) => sent.inc({ via }),
    failedAttempt: () => failures.inc(),
    gaveUp: () => givenUp.inc(),
    trackPending(count) {
      tracked.add(count);
      return () => void tracked.delete(count);
    },
  };
};
