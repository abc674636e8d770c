import { fileURLToPath } from 'node:url';
import { type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { MediaConfig } from './config.ts';

export interface MediaOptions {
  config: MediaConfig;
  shared?: SharedInfra;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

async function media(app: FastifyInstance, opts: MediaOptions): Promise<void> {
  await app.register(serviceKit, { name: 'media', config: opts.config, shared: opts.shared, migrationsFolder });
}

export default fp(media, { name: 'parley-media', fastify: '5.x' });
