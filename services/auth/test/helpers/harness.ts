import { randomUUID } from 'node:crypto';
import {
  type Caller,
  type ClientInfo,
  type EndpointDef,
  type EndpointRequest,
  type EndpointResponse,
  ParleyError,
} from '@parley/contracts';
import {
  type Bus,
  createBus,
  createLogger,
  createMemoryHub,
  fastifyOptions,
  MEMORY_DATA_DIR,
  openSharedPglite,
  type SharedInfra,
} from '@parley/kit';
import {
  createTestClock,
  createTestDatabaseUrl,
  dropBusNamespace,
  type SmtpCapture,
  startSmtpCapture,
  type TestClock,
} from '@parley/kit/testing';

export { createTestClock, type TestClock };

import Fastify, { type FastifyInstance } from 'fastify';
import { type AuthConfig, authApp, loadAuthConfig } from '../../src/index.ts';

const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';

export interface AuthWorld {
  /** The bus as the gateway sees it: requests go to the auth service under test. */
  bus: Bus;
  app: FastifyInstance;
  smtp: SmtpCapture;
  clock: TestClock;
  config: AuthConfig;
  /** Another copy of the service on the same bus and database (closed with the world). */
  startCopy(): Promise<void>;
  call<E extends EndpointDef>(endpoint: E, payload: EndpointRequest<E>): Promise<EndpointResponse<E>>;
  /** The coded error a call fails with (and a test failure if it succeeds). */
  fail<E extends EndpointDef>(endpoint: E, payload: EndpointRequest<E>): Promise<ParleyError>;
  close(): Promise<void>;
}

/**
 * The real auth service as the stack runs it: its own bus namespace (in-process, or NATS when
 * NATS_URL is set), its own database (a fresh Postgres database with DATABASE_URL, else PGlite),
 * a real SMTP server capturing its mail, and a clock the test controls.
 */
export const startAuth = async (env: Record<string, string> = {}): Promise<AuthWorld> => {
  const database = await createTestDatabaseUrl();
  const smtp = await startSmtpCapture();
  const clock = createTestClock();
  // Shared like embedded mode shares them, so further copies see the same bus and database.
  const pg = database.url ? undefined : await openSharedPglite(MEMORY_DATA_DIR);
  const shared: SharedInfra = { hub: createMemoryHub(), ...(pg ? { pglite: pg.pglite } : {}) };
  const config = loadAuthConfig({
    NATS_URL: process.env.NATS_URL,
    DATABASE_URL: database.url,
    DATA_DIR: 'memory://',
    BUS_NAMESPACE: `t${randomUUID().slice(0, 8)}`,
    LOG_LEVEL,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'parley@example.test',
    PUBLIC_URL: 'https://parley.example.test',
    ...env,
  });
  const newApp = () => {
    const app = Fastify(fastifyOptions(createLogger({ service: 'auth', level: LOG_LEVEL })));
    // Not the result of register(): that is a thenable, which an async function would unwrap.
    void app.register(authApp, { config, shared, clock });
    return app;
  };
  const app = newApp();
  const copies: FastifyInstance[] = [];
  let bus: Bus | undefined;
  const close = async () => {
    await bus?.close();
    await Promise.all(copies.map((c) => c.close()));
    await app.close();
    await pg?.release();
    await smtp.close();
    await database.drop();
    await dropBusNamespace(config.NATS_URL, config.BUS_NAMESPACE);
  };
  try {
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
  const client = bus;
  const call: AuthWorld['call'] = (endpoint, payload) => client.request(endpoint, payload);
  return {
    bus: client,
    app,
    smtp,
    clock,
    config,
    async startCopy() {
      const copy = newApp();
      copies.push(copy);
      await copy.ready();
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
    close,
  };
};

export const client = (ip = '198.51.100.7', userAgent = 'vitest'): ClientInfo => ({ ip, userAgent });

export const callerOf = (tokens: { sessionId: string; user: { id: string } }, info: ClientInfo = client()): Caller => ({
  userId: tokens.user.id,
  sessionId: tokens.sessionId,
  ...info,
});
