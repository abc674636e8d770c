import { fileURLToPath } from 'node:url';
import { type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AuthConfig } from './config.ts';

export interface AuthOptions {
  config: AuthConfig;
  shared?: SharedInfra;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

async function auth(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  await app.register(serviceKit, { name: 'auth', config: opts.config, shared: opts.shared, migrationsFolder });
}

export default fp(auth, { name: 'parley-auth', fastify: '5.x' });
