import { fileURLToPath } from 'node:url';
import { type ServiceKit, type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditLogConfig } from './config.ts';
import { consumeEvents } from './handlers/ingest.ts';
import { serveQueries } from './handlers/queries.ts';
import { createEventsRepository } from './repositories/events.ts';
import type { AuditDeps, Clock } from './services/deps.ts';
import { createAuditDomain } from './services/index.ts';
import { auditMetrics } from './services/metrics.ts';

export interface AuditLogOptions {
  config: AuditLogConfig;
  shared?: SharedInfra;
  /** Stamps `storedAt` and drives retention; tests pass one they can move. */
  clock?: Clock;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

async function auditLog(app: FastifyInstance, opts: AuditLogOptions): Promise<void> {
  const { config } = opts;
  // No outbox: this service only consumes events, it emits none.
  await app.register(serviceKit, { name: 'audit-log', config, shared: opts.shared, migrationsFolder });
  const kit = app.parley;
  const deps = createAuditDeps(kit, config, opts.clock);
  const domain = createAuditDomain(deps);
  const untrack = deps.metrics.trackWaiting(domain.ingest.waiting);

  serveQueries(kit, domain);
  await consumeEvents(kit, domain, deps.metrics);

  let pruning: Promise<unknown> | null = null;
  const prune = () => {
    pruning ??= domain.retention
      .prune()
      .catch((err) => kit.log.warn({ err }, 'audit-log: retention failed'))
      .finally(() => {
        pruning = null;
      });
  };
  const pruner = setInterval(prune, config.AUDIT_PRUNE_INTERVAL_MS);
  pruner.unref();
  app.addHook('onReady', async () => prune());
  // Runs before the kit's own onClose, while the database is still open.
  app.addHook('onClose', async () => {
    clearInterval(pruner);
    untrack();
    await pruning;
  });
}

/** The domain's dependencies on top of the service kit: one place that wires them, also for tests. */
export const createAuditDeps = (
  kit: Pick<ServiceKit, 'log' | 'database' | 'metrics'>,
  config: AuditLogConfig,
  clock?: Clock,
): AuditDeps => {
  const { db } = kit.database();
  return {
    config,
    repo: createEventsRepository(db),
    transaction: (fn) => db.transaction((tx) => fn(createEventsRepository(tx))),
    log: kit.log,
    metrics: auditMetrics(kit.metrics.registry),
    now: clock ?? (() => new Date()),
  };
};

export default fp(auditLog, { name: 'parley-audit-log', fastify: '5.x' });
