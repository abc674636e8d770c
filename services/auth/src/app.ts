import { fileURLToPath } from 'node:url';
import { KeysChangedSubject } from '@parley/contracts';
import { type ServiceKit, type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type AuthConfig, adminEmails } from './config.ts';
import { serveAuth } from './handlers/index.ts';
import { createRepositories } from './repositories/index.ts';
import type { AuthDeps, Clock } from './services/deps.ts';
import { SWEEP_INTERVAL_MS, sweep } from './services/housekeeping.ts';
import { createAuthDomain } from './services/index.ts';
import { busMailQueue, type MailQueue } from './services/mail.ts';
import { warmUpStrength } from './services/password-strength.ts';
import { createPasswords } from './services/passwords.ts';
import { createSigningKeys } from './services/signing-keys.ts';

export interface AuthOptions {
  config: AuthConfig;
  shared?: SharedInfra;
  /** The domain's clock; tests pass one they can move. */
  clock?: Clock;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

async function auth(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  const { config } = opts;
  await app.register(serviceKit, { name: 'auth', config, shared: opts.shared, migrationsFolder, outbox: true });
  const kit = app.parley;
  const pending = new Set<Promise<void>>();
  const deps = await createAuthDeps(kit, config, { pending, ...(opts.clock ? { clock: opts.clock } : {}) });
  const { keys } = deps;

  warmUpStrength();
  await keys.ensure();
  // Every copy (no queue group): a key rotated by one copy or an operator is picked up by all.
  kit.bus.subscribe(KeysChangedSubject, () => keys.invalidate());
  serveAuth(kit, createAuthDomain(deps));
  const sweeper = setInterval(() => {
    sweep(deps).catch((err) => kit.log.warn({ err }, 'auth: housekeeping failed'));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  // Runs before the kit's own onClose (hooks run last-added first), while the database is still open.
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    while (pending.size > 0) await Promise.allSettled([...pending]);
  });
}

/** The domain's dependencies on top of the service kit: one place that wires them, also for tests. */
export const createAuthDeps = async (
  kit: Pick<ServiceKit, 'bus' | 'log' | 'database' | 'outbox'>,
  config: AuthConfig,
  options: { mailer?: MailQueue; clock?: Clock; pending?: Set<Promise<void>> } = {},
): Promise<AuthDeps> => {
  const { db } = kit.database();
  const now = options.clock ?? (() => new Date());
  const pending = options.pending ?? new Set();
  const outbox = kit.outbox();
  return {
    config,
    db,
    repos: createRepositories(db),
    transaction: (fn) => outbox.transaction((tx, events) => fn({ ...createRepositories(tx), events })),
    outbox,
    bus: kit.bus,
    mailer: options.mailer ?? busMailQueue(kit.bus),
    passwords: await createPasswords(config),
    keys: createSigningKeys({ db, bus: kit.bus, config, now, log: kit.log }),
    log: kit.log,
    now,
    admins: adminEmails(config),
    background(task) {
      const run = task()
        .catch((err) => kit.log.error({ err }, 'auth: background task failed'))
        .finally(() => pending.delete(run));
      pending.add(run);
    },
  };
};

export default fp(auth, { name: 'parley-auth', fastify: '5.x' });
