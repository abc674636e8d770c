import type { Logger } from '@parley/kit';
import type { AuditLogConfig } from '../config.ts';
import type { EventsRepository } from '../repositories/events.ts';
import type { AuditMetrics } from './metrics.ts';

/** Stamps `storedAt` and judges retention; tests pass one they can move. */
export type Clock = () => Date;

/** What the domain needs, built once in app.ts. */
export interface AuditDeps {
  config: AuditLogConfig;
  repo: EventsRepository;
  /**
   * Runs `fn` in one transaction with a repository bound to it. Inside, use only that: on PGlite
   * (one connection) anything else waits for the transaction forever.
   */
  transaction<T>(fn: (repo: EventsRepository) => Promise<T>): Promise<T>;
  log: Logger;
  metrics: AuditMetrics;
  now: Clock;
}
