import closeWithGrace from 'close-with-grace';
import type { FastifyPluginAsync } from 'fastify';
import { ConfigError } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createServer, parseTrustProxy } from './fastify-options.ts';

export interface ProcessConfig {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  NATS_URL?: string | undefined;
  /** Only the gateway serves the public; services leave it unset. */
  TRUST_PROXY?: string | undefined;
}

export interface RunServerOptions<C extends ProcessConfig> {
  name: string;
  loadConfig: (env: NodeJS.ProcessEnv) => C;
  app: FastifyPluginAsync<{ config: C }>;
  /** A service alone in its process is only useful on a shared bus. */
  requireNats?: boolean;
}

/**
 * The process shell of every service: config validated before anything starts (one clear
 * message, exit 1), Fastify with explicit timeouts, graceful close on signals, listen.
 */
export async function runServer<C extends ProcessConfig>(opts: RunServerOptions<C>): Promise<void> {
  let config: C;
  try {
    config = opts.loadConfig(process.env);
    if (opts.requireNats && !config.NATS_URL) {
      throw new ConfigError(
        'Invalid configuration:\n  NATS_URL: required when a service runs as its own process (to run everything in one process: pnpm start)',
      );
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${opts.name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const logger = createLogger({ service: opts.name, level: config.LOG_LEVEL });
  const app = createServer(logger, { trustProxy: parseTrustProxy(config.TRUST_PROXY) });
  try {
    await app.register(opts.app, { config });
    closeWithGrace({ delay: 15_000, logger }, async ({ err, signal }) => {
      if (err) logger.error({ err }, 'closing after an error');
      else logger.info({ signal }, 'closing');
      await app.close();
    });
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    logger.fatal({ err }, `${opts.name} failed to start`);
    await app.close().catch(() => {});
    process.exit(1);
  }
}
