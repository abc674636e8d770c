import { loadGatewayConfig } from '@parley/gateway';
import { ConfigError, createLogger } from '@parley/kit';
import closeWithGrace from 'close-with-grace';
import { startStack } from './stack.ts';
import { superviseProcesses } from './supervisor.ts';

// Configuration is checked before anything else, the logger included: one clear message, exit 1.
let config: ReturnType<typeof loadGatewayConfig>;
try {
  config = loadGatewayConfig(process.env);
  if (config.NATS_URL && !config.DATABASE_URL) {
    // Every process would open PGlite in the same DATA_DIR/db, and PGlite serves one process per folder.
    throw new ConfigError(
      'Invalid configuration:\n  DATABASE_URL: required with NATS_URL (one process per service needs a shared Postgres; for everything in one process, unset NATS_URL)',
    );
  }
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`parley: ${err.message}\n`);
  process.exit(1);
}

const logger = createLogger({ service: 'parley', level: config.LOG_LEVEL });

if (config.NATS_URL) {
  logger.info('NATS_URL is set: distributed mode, one process per service');
  const supervisor = superviseProcesses(logger);
  closeWithGrace({ delay: 20_000, logger }, () => supervisor.stop());
} else {
  try {
    const stack = await startStack();
    closeWithGrace({ delay: 15_000, logger }, () => stack.close());
    logger.info(
      `Parley is up at ${stack.url} — embedded mode: every service in this process, in-process bus, ` +
        `${stack.mode.database === 'pglite' ? `PGlite in ${config.DATA_DIR}/db` : 'Postgres at DATABASE_URL'}; API docs at ${stack.url}/docs`,
    );
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`parley: ${err.message}\n`);
      process.exit(1);
    }
    logger.fatal({ err }, 'Parley failed to start');
    process.exit(1);
  }
}
