import { randomUUID } from 'node:crypto';
import { type EndpointDef, type EndpointRequest, type EndpointResponse, ParleyError } from '@parley/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { createBus, createMemoryHub } from '../bus/index.ts';
import type { Bus } from '../bus/types.ts';
import { MEMORY_DATA_DIR, openSharedPglite } from '../db/index.ts';
import { createLogger } from '../logger.ts';
import { fastifyOptions } from '../runtime/fastify-options.ts';
import type { SharedInfra } from '../runtime/service-kit.ts';
import { createTestDatabaseUrl } from './database.ts';
import { dropBusNamespace } from './nats.ts';

const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';

export interface HarnessConfig {
  NATS_URL?: string | undefined;
  BUS_NAMESPACE: string;
}

/** Another real service the one under test needs (auth sends its mail through chat-notify). */
export interface Companion {
  service: string;
  loadConfig: (env: Record<string, string | undefined>) => HarnessConfig;
  register: (app: FastifyInstance, ctx: { config: never; shared: SharedInfra }) => void;
}

export interface ServiceHarnessOptions<C extends HarnessConfig> {
  service: string;
  /** The service's config loader, given the harness's environment (with the test's overrides on top). */
  loadConfig: (env: Record<string, string | undefined>) => C;
  env?: Record<string, string | undefined>;
  /** Registers the service plugin on a fresh Fastify instance (called again for every copy). */
  register: (app: FastifyInstance, ctx: { config: C; shared: SharedInfra }) => void;
  /** Started first on the same environment, bus and database; closed after the service. */
  companions?: Companion[];
}

export interface ServiceHarness<C> {
  /** The bus as the gateway sees it: requests go to the service under test. */
  bus: Bus;
  app: FastifyInstance;
  config: C;
  shared: SharedInfra;
  /** Another copy of the service on the same bus and database (closed with the harness). */
  startCopy(): Promise<FastifyInstance>;
  call<E extends EndpointDef>(endpoint: E, payload: EndpointRequest<E>): Promise<EndpointResponse<E>>;
  /** The coded error a call fails with (and a test failure if it succeeds). */
  fail<E extends EndpointDef>(endpoint: E, payload: EndpointRequest<E>): Promise<ParleyError>;
  /** Runs after the service, its bus and its database are gone (temp folders, capture servers, buckets). */
  onClose(fn: () => Promise<unknown> | unknown): void;
  close(): Promise<void>;
}

/**
 * One real service as the stack runs it: its own bus namespace (in-process, or NATS when
 * NATS_URL is set), its own database (a fresh Postgres database with DATABASE_URL, else PGlite
 * shared like embedded mode shares it, so copies see the same data), and a bus to call it with.
 */
export const startServiceHarness = async <C extends HarnessConfig>(
  options: ServiceHarnessOptions<C>,
): Promise<ServiceHarness<C>> => {
  const database = await createTestDatabaseUrl();
  const pg = database.url ? undefined : await openSharedPglite(MEMORY_DATA_DIR);
  const shared: SharedInfra = { hub: createMemoryHub(), ...(pg ? { pglite: pg.pglite } : {}) };
  const env = {
    NATS_URL: process.env.NATS_URL,
    DATABASE_URL: database.url,
    DATA_DIR: MEMORY_DATA_DIR,
    BUS_NAMESPACE: `t${randomUUID().slice(0, 8)}`,
    LOG_LEVEL,
    PUBLIC_URL: 'https://parley.example.test',
    ...options.env,
  };
  const config = options.loadConfig(env);
  const newApp = (): FastifyInstance => {
    const app = Fastify(fastifyOptions(createLogger({ service: options.service, level: LOG_LEVEL })));
    options.register(app, { config, shared });
    return app;
  };
  const companions = (options.companions ?? []).map((companion) => {
    const app = Fastify(fastifyOptions(createLogger({ service: companion.service, level: LOG_LEVEL })));
    companion.register(app, { config: companion.loadConfig(env) as never, shared });
    return app;
  });
  const app = newApp();
  const copies: FastifyInstance[] = [];
  const afterClose: (() => Promise<unknown> | unknown)[] = [];
  let bus: Bus | undefined;
  const close = async (): Promise<void> => {
    await bus?.close();
    await Promise.all(copies.map((c) => c.close()));
    await app.close();
    for (const companion of companions.reverse()) await companion.close();
    await pg?.release();
    await database.drop();
    await dropBusNamespace(config.NATS_URL, config.BUS_NAMESPACE);
    for (const fn of afterClose) await fn();
  };
  try {
    for (const companion of companions) await companion.ready();
    await app.ready();
    bus = await createBus({
      natsUrl: config.NATS_URL,
      namespace: config.BUS_NAMESPACE,
      name: `gateway-${randomUUID().slice(0, 4)}`,
      source: 'gateway',
      logger: createLogger({ service: 'gateway', level: LOG_LEVEL }),
      hub: shared.hub,
    });
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  const caller = bus;
  const call: ServiceHarness<C>['call'] = (endpoint, payload) => caller.request(endpoint, payload);
  return {
    bus: caller,
    app,
    config,
    shared,
    async startCopy() {
      const copy = newApp();
      copies.push(copy);
      await copy.ready();
      return copy;
    },
    call,
    async fail(endpoint, payload) {
      try {
        await call(endpoint, payload);
      } catch (err) {
        if (err instanceof ParleyError) return err;
        throw err;
      }
      throw new Error(`expected ${endpoint.subject} to fail`);
    },
    onClose: (fn) => void afterClose.push(fn),
    close,
  };
};
