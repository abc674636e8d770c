import type { ServiceName } from '@parley/contracts';
import { gatewayApp, loadGatewayConfig } from '@parley/gateway';
import {
  createLogger,
  createMemoryHub,
  createRegistry,
  createServer,
  type Logger,
  openSharedPglite,
  parseTrustProxy,
  type SharedInfra,
} from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import { serviceEntries } from './services.ts';

export interface Stack {
  /** Where the gateway listens, e.g. http://127.0.0.1:3000. */
  url: string;
  gateway: FastifyInstance;
  services: ReadonlyMap<string, FastifyInstance>;
  shared: SharedInfra;
  mode: { bus: 'memory' | 'nats'; database: 'pglite' | 'postgres' };
  /**
   * Another gateway on the same bus (a random port), as a second instance behind a load balancer
   * would be: it holds its own sockets and hears every push. Closed with the stack.
   */
  addGateway(): Promise<{ url: string; app: FastifyInstance }>;
  /** Closes one service as a crash or a deploy would; the others and the gateway keep running. */
  stopService(name: ServiceName): Promise<void>;
  /** Starts a stopped service again on the same bus and database; it takes the old one's place in `services`. */
  startService(name: ServiceName): Promise<FastifyInstance>;
  close(): Promise<void>;
}

export interface StartStackOptions {
  env?: NodeJS.ProcessEnv;
}

/**
 * Every service and the gateway in one process. With nothing configured they share an
 * in-process bus and one PGlite under DATA_DIR; with NATS_URL / DATABASE_URL set the same
 * process talks to the real ones (that is how the test suite runs against both).
 * Throws `ConfigError` before starting anything when the environment is wrong.
 */
const loopback = (address: string): string => address.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');

export async function startStack(options: StartStackOptions = {}): Promise<Stack> {
  const given = options.env ?? process.env;
  const gatewayConfig = loadGatewayConfig(given);
  // Links in mails name the gateway: every service learns where it is, unless told otherwise.
  const env = { ...given, PUBLIC_URL: given.PUBLIC_URL || `http://localhost:${gatewayConfig.PORT}` };
  const configs = serviceEntries.map((s) => s.loadConfig(env));
  const logger = (service: string): Logger => createLogger({ service, level: gatewayConfig.LOG_LEVEL });

  const pg = gatewayConfig.DATABASE_URL ? undefined : await openSharedPglite(gatewayConfig.DATA_DIR);
  const shared: SharedInfra = {
    ...(gatewayConfig.NATS_URL ? {} : { hub: createMemoryHub() }),
    ...(pg ? { pglite: pg.pglite } : {}),
    registry: createRegistry(),
  };

  const services = new Map<string, FastifyInstance>();
  let gateway: FastifyInstance | undefined;
  const extraGateways: FastifyInstance[] = [];
  const close = async (): Promise<void> => {
    for (const extra of extraGateways) await extra.close();
    await gateway?.close();
    for (const app of [...services.values()].reverse()) await app.close();
    await pg?.release();
  };

  const startService = async (name: ServiceName): Promise<FastifyInstance> => {
    const i = serviceEntries.findIndex((e) => e.name === name);
    const entry = serviceEntries[i];
    if (!entry) throw new Error(`No service ${name} in the stack`);
    const app = createServer(logger(entry.name));
    try {
      await app.register(entry.app, { config: configs[i] as never, shared });
      await app.ready();
    } catch (err) {
      await app.close().catch(() => {});
      throw err;
    }
    services.set(entry.name, app);
    return app;
  };
  const stopService = async (name: ServiceName): Promise<void> => {
    await services.get(name)?.close();
  };

  try {
    for (const entry of serviceEntries) await startService(entry.name);
    const gatewayOptions = { trustProxy: parseTrustProxy(gatewayConfig.TRUST_PROXY) };
    const newGateway = (): FastifyInstance => createServer(logger('gateway'), gatewayOptions);
    gateway = newGateway();
    await gateway.register(gatewayApp, { config: gatewayConfig, shared });
    const address = await gateway.listen({ port: gatewayConfig.PORT, host: gatewayConfig.HOST });
    const addGateway = async (): Promise<{ url: string; app: FastifyInstance }> => {
      const app = newGateway();
      extraGateways.push(app);
      await app.register(gatewayApp, { config: { ...gatewayConfig, PORT: 0 }, shared });
      return { url: loopback(await app.listen({ port: 0, host: gatewayConfig.HOST })), app };
    };
    return {
      url: loopback(address),
      addGateway,
      stopService,
      startService,
      gateway,
      services,
      shared,
      mode: { bus: gatewayConfig.NATS_URL ? 'nats' : 'memory', database: pg ? 'pglite' : 'postgres' },
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}
