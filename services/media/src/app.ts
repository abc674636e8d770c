import { fileURLToPath } from 'node:url';
import { type BlobStore, openBlobStore, type ServiceKit, type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type MediaConfig, rulesOf } from './config.ts';
import { serveAndConsume } from './handlers/index.ts';
import { createRepositories } from './repositories/index.ts';
import type { Clock, MediaDeps } from './services/deps.ts';
import { createMediaDomain } from './services/index.ts';

export interface MediaOptions {
  config: MediaConfig;
  shared?: SharedInfra;
  /** The domain's clock; tests pass one they can move. */
  clock?: Clock;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

const SWEEP_INTERVAL_MS = 5 * 60_000;

async function media(app: FastifyInstance, opts: MediaOptions): Promise<void> {
  const { config } = opts;
  const store = await openBlobStore(config);
  // Added before the kit's hooks, so it runs after them (hooks run last-added first): the store
  // closes only once the endpoints and the thumbnail consumer have stopped and finished their work.
  app.addHook('onClose', () => store.close());
  await app.register(serviceKit, { name: 'media', config, shared: opts.shared, migrationsFolder, outbox: true });
  const kit = app.parley;
  const deps = createMediaDeps(kit, config, store, opts.clock);
  const domain = createMediaDomain(deps);

  await domain.signer.ensure();
  await serveAndConsume(kit, domain);

  const pending = new Set<Promise<unknown>>();
  const sweep = () => {
    const run = domain.refs
      .sweep()
      .catch((err) => kit.log.warn({ err }, 'media: blob sweep failed'))
      .finally(() => pending.delete(run));
    pending.add(run);
  };
  sweep();
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweeper.unref();
  // Runs before the kit's own onClose, while the database is still open.
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    while (pending.size > 0) await Promise.allSettled([...pending]);
  });
}

/** The domain's dependencies on top of the service kit: one place that wires them, also for tests. */
export const createMediaDeps = (
  kit: Pick<ServiceKit, 'bus' | 'log' | 'database' | 'outbox'>,
  config: MediaConfig,
  store: BlobStore,
  clock?: Clock,
): MediaDeps => {
  const { db } = kit.database();
  const outbox = kit.outbox();
  return {
    config,
    rules: rulesOf(config),
    db,
    repos: createRepositories(db),
    transaction: (fn) => outbox.transaction((tx, events) => fn({ ...createRepositories(tx), events })),
    bus: kit.bus,
    store,
    log: kit.log,
    now: clock ?? (() => new Date()),
  };
};

export default fp(media, { name: 'parley-media', fastify: '5.x' });
