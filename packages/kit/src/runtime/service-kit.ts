import type { PGlite } from '@electric-sql/pglite';
import { type EndpointDef, ParleyError, type ServiceName, type ServiceStatus, statusEndpoint } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { createBus, DEFAULT_ACK_WAIT_MS, type MemoryHub } from '../bus/index.ts';
import type { Bus, ConsumeOptions, EndpointHandler, EventHandler, Subscription } from '../bus/types.ts';
import { createDatabase, type Database, retryWhileDatabaseUnavailable } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import { createRegistry, type Metrics, metricsFor } from '../metrics.ts';
import { createOutbox, type Outbox } from '../outbox/outbox.ts';
import { newInstanceId } from './instance.ts';
import { opsRoutes, type ReadinessCheck } from './ops-routes.ts';

/** The config keys the kit reads; every service config has them (see `baseServiceConfig`). */
export interface KitConfig {
  DATABASE_URL?: string | undefined;
  NATS_URL?: string | undefined;
  DATA_DIR: string;
  BUS_NAMESPACE: string;
  NATS_STREAM_REPLICAS: number;
  /** Postgres pool size (default 10). */
  DATABASE_POOL_MAX?: number;
}

/** What embedded mode hands every service so they share one bus hub, one PGlite and one metrics registry. */
export interface SharedInfra {
  hub?: MemoryHub;
  pglite?: PGlite;
  registry?: Registry;
}

export interface ServiceKitOptions {
  name: ServiceName | 'gateway';
  version?: string;
  config: KitConfig;
  /** Folder of drizzle migrations; omit for a service without a database (the gateway). */
  migrationsFolder?: string;
  shared?: SharedInfra | undefined;
  /** Extra readiness checks beyond bus and database (the gateway asks every service). */
  readiness?: () => Promise<Record<string, ReadinessCheck>>;
  /**
   * The service writes its events through a transactional outbox (`<schema>.outbox`, created by its own
   * migrations from `outboxTable`); the kit runs the relay that publishes them.
   */
  outbox?: boolean;
}

export interface ServiceKit {
  name: string;
  instance: string;
  version: string;
  startedAt: number;
  bus: Bus;
  db: Database | null;
  metrics: Metrics;
  log: Logger;
  /** Answers an endpoint in the service's queue group (copies split the load), timed in metrics, stopped first on close. */
  serve<E extends EndpointDef>(endpoint: E, handler: EndpointHandler<E>): void;
  consume<T>(options: ConsumeOptions, handler: EventHandler<T>): Promise<void>;
  /** The service's database; a service without one calling this is a programming error. */
  database(): Database;
  /** The service's outbox (with `outbox: true`); its relay runs from ready to close. */
  outbox(): Outbox;
}

declare module 'fastify' {
  interface FastifyInstance {
    parley: ServiceKit;
  }
}

/** The Postgres schema a service keeps its tables in: `chat-notify` → `chat_notify`. */
export const schemaName = (service: string): string => service.replace(/-/g, '_');

/**
 * How long one delivery waits for a database that is unavailable before it fails: failing at once, the
 * few redeliveries a consumer allows would be spent within seconds and the event dead-lettered. At most
 * 20 s, and well inside the ack wait, so the stream does not hand it to another copy meanwhile.
 */
export const outageHoldMs = (options: ConsumeOptions): number =>
  Math.min(20_000, Math.floor(((options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS) * 2) / 3));

async function serviceKit(app: FastifyInstance, opts: ServiceKitOptions): Promise<void> {
  const { config, name } = opts;
  const instance = newInstanceId(name);
  const log = app.log as Logger;
  const registry = opts.shared?.registry ?? createRegistry();
  const metrics = metricsFor(registry);

  // A dependency that cannot be reached fails the boot: never log-and-continue.
  const rawBus = await createBus({
    natsUrl: config.NATS_URL,
    namespace: config.BUS_NAMESPACE,
    name: instance,
    source: name,
    logger: log,
    hub: opts.shared?.hub,
    streamReplicas: config.NATS_STREAM_REPLICAS,
  });
  const bus = instrumented(rawBus, name, metrics);
  let db: Database | null = null;
  try {
    if (opts.migrationsFolder) {
      db = await createDatabase({
        url: config.DATABASE_URL,
        dataDir: config.DATA_DIR,
        schema: schemaName(name),
        pglite: opts.shared?.pglite,
        logger: log,
        ...(config.DATABASE_POOL_MAX ? { maxConnections: config.DATABASE_POOL_MAX } : {}),
      });
      await db.migrate(opts.migrationsFolder);
    }
  } catch (err) {
    await bus.close();
    throw err;
  }

  const outbox =
    db && opts.outbox ? createOutbox({ db: db.db, schema: db.schema, bus, source: name, logger: log, registry }) : null;

  const subscriptions: Subscription[] = [];
  const kit: ServiceKit = {
    name,
    instance,
    version: opts.version ?? '0.1.0',
    startedAt: Date.now(),
    bus,
    db,
    metrics,
    log,
    serve(endpoint, handler) {
      const sub = bus.serve(
        endpoint,
        async (req, ctx) => {
          const end = metrics.busHandled.startTimer({ service: name, subject: endpoint.subject });
          try {
            const res = await handler(req, ctx);
            end({ outcome: 'ok' });
            return res;
          } catch (err) {
            end({ outcome: err instanceof ParleyError ? err.code : 'INTERNAL' });
            throw err;
          }
        },
        { queue: name },
      );
      subscriptions.push(sub);
    },
    async consume(options, handler) {
      const holdMs = outageHoldMs(options);
      const sub = await bus.consume(options, async (event) => {
        try {
          const outcome =
            (await retryWhileDatabaseUnavailable(async () => handler(event as never), { maxWaitMs: holdMs })) ?? 'ack';
          metrics.eventsHandled.inc({ service: name, durable: options.durable, outcome });
          return outcome;
        } catch (err) {
          metrics.eventsHandled.inc({ service: name, durable: options.durable, outcome: 'error' });
          log.warn({ err, event: event.envelope.id, durable: options.durable }, 'event handler failed');
          throw err;
        }
      });
      subscriptions.push(sub);
    },
    database() {
      if (!db) throw new Error(`${name} has no database`);
      return db;
    },
    outbox() {
      if (!outbox) throw new Error(`${name} has no outbox (serviceKit option outbox: true)`);
      return outbox;
    },
  };
  app.decorate('parley', kit);

  if (name !== 'gateway') {
    kit.serve(statusEndpoint(name), async () => readStatus(kit));
  }

  await app.register(opsRoutes, {
    registry,
    checks: async () => ({
      bus: await timed(() => bus.ping()),
      ...(db ? { database: await timed(() => db.ping()) } : {}),
      ...(opts.readiness ? await opts.readiness() : {}),
    }),
  });

  // On NATS a subscription is only certain once the server has seen it: flush before calling ourselves ready.
  app.addHook('onReady', async () => {
    await bus.ping();
    outbox?.start();
  });

  // Order matters: stop taking work, let in-flight handlers finish and drain the bus, then end the pool.
  app.addHook('onClose', async () => {
    await Promise.allSettled(subscriptions.map((s) => s.stop()));
    await outbox?.stop();
    await bus.close();
    await db?.close();
  });
}

/** Every request this process sends, timed by subject and outcome. */
const instrumented = (bus: Bus, service: string, metrics: Metrics): Bus => ({
  ...bus,
  transport: bus.transport,
  namespace: bus.namespace,
  async request(endpoint, payload, options) {
    const end = metrics.busRequests.startTimer({ service, subject: endpoint.subject });
    try {
      const res = await bus.request(endpoint, payload, options);
      end({ outcome: 'ok' });
      return res;
    } catch (err) {
      end({ outcome: err instanceof ParleyError ? err.code : 'INTERNAL' });
      throw err;
    }
  },
});

const CHECK_DEADLINE_MS = 2_000;

/** A readiness check that cannot hang: a dependency that does not answer in time is not ready. */
const timed = async (fn: () => Promise<unknown>): Promise<ReadinessCheck> => {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_DEADLINE_MS} ms`)), CHECK_DEADLINE_MS);
      }),
    ]);
    return { ok: true, latencyMs: round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
};

const round = (ms: number): number => Math.round(ms * 100) / 100;

export const readStatus = async (kit: ServiceKit): Promise<ServiceStatus> => {
  const db = kit.db;
  const check = db ? await timed(() => db.ping()) : { ok: true, latencyMs: 0 };
  return {
    service: kit.name,
    instance: kit.instance,
    version: kit.version,
    uptimeSeconds: Math.round((Date.now() - kit.startedAt) / 1000),
    transport: kit.bus.transport,
    database: { driver: db?.driver ?? 'none', ok: check.ok, latencyMs: check.latencyMs },
  };
};

export default fp(serviceKit, { name: 'parley-service-kit', fastify: '5.x' });
