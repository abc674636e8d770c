import { runServer } from '@parley/kit';
import app from './app.ts';
import { loadAuditLogConfig } from './config.ts';

await runServer({ name: 'audit-log', loadConfig: loadAuditLogConfig, app, requireNats: true });
