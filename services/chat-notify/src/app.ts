import { fileURLToPath } from 'node:url';
import { createMailer, type ServiceKit, type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ChatNotifyConfig } from './config.ts';
import { serveMail } from './handlers/mail.ts';
import { serveMessages } from './handlers/messages.ts';
import { serveRooms } from './handlers/rooms.ts';
import { createRepositories } from './repositories/index.ts';
import type { ChatDeps, Clock } from './services/deps.ts';
import { createChatDomain } from './services/index.ts';
import { mailMetrics } from './services/mail-metrics.ts';
import { createMailQueue } from './services/mail-queue.ts';
import { createMailSender } from './services/mail-sender.ts';
import { createRoomQueue } from './services/room-queue.ts';

export interface ChatNotifyOptions {
  config: ChatNotifyConfig;
  shared?: SharedInfra;
  /** The domain's clock; tests pass one they can move. */
  clock?: Clock;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

const PRUNE_INTERVAL_MS = 10 * 60_000;

async function chatNotify(app: FastifyInstance, opts: ChatNotifyOptions): Promise<void> {
  const { config } = opts;
  await app.register(serviceKit, { name: 'chat-notify', config, shared: opts.shared, migrationsFolder, outbox: true });
  const kit = app.parley;
  const deps = createChatDeps(kit, config, opts.clock);
  const domain = createChatDomain(deps);

  const mailer = createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, dataDir: config.DATA_DIR, logger: kit.log });
  const metrics = mailMetrics(kit.metrics.registry);
  const sender = createMailSender(deps, mailer, metrics);
  const untrack = metrics.trackPending(() => deps.repos.mail.pending());

  serveRooms(kit, domain);
  await serveMessages(kit, domain);
  const queue = createMailQueue(deps, sender.wake);
  serveMail(kit, queue);

  const pending = new Set<Promise<unknown>>();
  const prune = () => {
    const run = domain.feed
      .prune()
      .catch((err) => kit.log.warn({ err }, 'chat-notify: feed prune failed'))
      .finally(() => pending.delete(run));
    pending.add(run);
  };
  const pruner = setInterval(prune, PRUNE_INTERVAL_MS);
  pruner.unref();
  app.addHook('onReady', async () => {
    prune();
    sender.start();
  });
  // Runs before the kit's own onClose, while the bus and the database are still open.
  app.addHook('onClose', async () => {
    untrack();
    clearInterval(pruner);
    await sender.stop();
    await mailer.close();
    while (pending.size > 0) await Promise.allSettled([...pending]);
  });
}

/** The domain's dependencies on top of the service kit: one place that wires them, also for tests. */
export const createChatDeps = (
  kit: Pick<ServiceKit, 'bus' | 'log' | 'database' | 'outbox'>,
  config: ChatNotifyConfig,
  clock?: Clock,
): ChatDeps => {
  const { db } = kit.database();
  const outbox = kit.outbox();
  return {
    config,
    db,
    repos: createRepositories(db),
    transaction: (fn) => outbox.transaction((tx, events) => fn({ ...createRepositories(tx), events })),
    inRoom: createRoomQueue(),
    bus: kit.bus,
    log: kit.log,
    now: clock ?? (() => new Date()),
  };
};

export default fp(chatNotify, { name: 'parley-chat-notify', fastify: '5.x' });
