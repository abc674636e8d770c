import { fileURLToPath } from 'node:url';
import { type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditLogConfig } from './config.ts';

export interface AuditLogOptions {
  config: AuditLogConfig;
  shared?: SharedInfra;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

async function auditLog(app: FastifyInstance, opts: AuditLogOptions): Promise<void> {
  await app.register(serviceKit, { name: 'audit-log', config: opts.config, shared: opts.shared, migrationsFolder });
}

export default fp(auditLog, { name: 'parley-audit-log', fastify: '5.x' });
