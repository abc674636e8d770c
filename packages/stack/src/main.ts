import { ConfigError, createLogger } from '@parley/kit';
import closeWithGrace from 'close-with-grace';
import { startStack } from './stack.ts';
import { superviseProcesses } from './supervisor.ts';

const logger = createLogger({ service: 'parley', level: process.env.LOG_LEVEL || 'info' });

if (process.env.NATS_URL) {
  logger.info('NATS_URL is set: distributed mode, one process per service');
  const supervisor = superviseProcesses(logger);
  closeWithGrace({ delay: 20_000, logger }, () => supervisor.stop());
} else {
  try {
    const stack = await startStack({ logger });
    closeWithGrace({ delay: 15_000, logger }, () => stack.close());
    const dataDir = process.env.DATA_DIR || './data';
    logger.info(
      `Parley is up at ${stack.url} — embedded mode: every service in this process, in-process bus, ` +
        `${stack.mode.database === 'pglite' ? `PGlite in ${dataDir}/db` : 'Postgres at DATABASE_URL'}; API docs at ${stack.url}/docs`,
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
