/**
 * Applies every service's committed migrations, then exits (0 done, 1 failed): what the Kubernetes
 * migration Job and Compose's one-shot `migrate` run before a rollout. Each service still migrates
 * itself at start under an advisory lock, so this only brings the work, and any failure, forward.
 * DATABASE_URL unset means the embedded database in DATA_DIR/db, as everywhere else.
 */
import { migrationsFolder as auditLog } from '@parley/audit-log';
import { migrationsFolder as auth } from '@parley/auth';
import { migrationsFolder as chatNotify } from '@parley/chat-notify';
import { type ServiceName, ServiceNames } from '@parley/contracts';
import { migrationsFolder as faceMatch } from '@parley/face-match';
import {
  ConfigError,
  ConfigFields,
  createDatabase,
  createLogger,
  type Database,
  describePostgresUrl,
  loadConfig,
  schemaName,
} from '@parley/kit';
import { migrationsFolder as media } from '@parley/media';
import { type Static, Type } from 'typebox';

const folders = {
  'audit-log': auditLog,
  auth,
  media,
  'chat-notify': chatNotify,
  'face-match': faceMatch,
} as const satisfies Record<ServiceName, string>;

const MigrateConfigSchema = Type.Object({
  DATABASE_URL: ConfigFields.DATABASE_URL,
  DATA_DIR: ConfigFields.DATA_DIR,
  LOG_LEVEL: ConfigFields.LOG_LEVEL,
});

let config: Static<typeof MigrateConfigSchema>;
try {
  config = loadConfig(MigrateConfigSchema, process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`parley migrate: ${err.message}\n`);
  process.exit(1);
}

const logger = createLogger({ service: 'migrate', level: config.LOG_LEVEL });
const target = config.DATABASE_URL ? describePostgresUrl(config.DATABASE_URL) : `PGlite in ${config.DATA_DIR}/db`;

const open: Database[] = [];
try {
  // Opened together, so the embedded database stays open across services instead of reopening for each.
  for (const service of ServiceNames) {
    // The schema the service kit gives each service (`chat-notify` → `chat_notify`).
    const schema = schemaName(service);
    open.push(await createDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, schema, logger, maxConnections: 1 }));
  }
  for (const [i, service] of ServiceNames.entries()) await open[i]!.migrate(folders[service]);
  logger.info({ db: target, services: ServiceNames.length }, 'every service schema is migrated');
} catch (err) {
  logger.fatal({ err, db: target }, 'migration failed');
  process.exitCode = 1;
} finally {
  await Promise.allSettled(open.map((db) => db.close()));
}
