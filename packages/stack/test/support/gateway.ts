import { createClient, type ParleyClient } from '@parley/client';
import { gatewayApp, loadGatewayConfig } from '@parley/gateway';
import { createLogger, createServer, parseTrustProxy } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import type { TestStack } from '../../src/testing.ts';

export interface ExtraGateway {
  app: FastifyInstance;
  url: string;
  client: ParleyClient;
  close(): Promise<void>;
}

/** Another gateway instance on the stack's bus (as a second replica would run), on its own port. */
export const startGateway = async (stack: TestStack, env: NodeJS.ProcessEnv = {}): Promise<ExtraGateway> => {
  const config = loadGatewayConfig({ ...stack.env, PORT: '0', ...env });
  const logger = createLogger({ service: 'gateway', level: stack.env.LOG_LEVEL ?? 'silent' });
  const app = createServer(logger, { trustProxy: parseTrustProxy(config.TRUST_PROXY) });
  try {
    await app.register(gatewayApp, { config, shared: stack.shared });
    const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('[::1]', '127.0.0.1');
    return { app, url, client: createClient({ baseUrl: url }), close: () => app.close() };
  } catch (err) {
    await app.close().catch(() => {});
    throw err;
  }
};
