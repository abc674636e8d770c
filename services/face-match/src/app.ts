import { fileURLToPath } from 'node:url';
import { type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { FaceMatchConfig } from './config.ts';

export interface FaceMatchOptions {
  config: FaceMatchConfig;
  shared?: SharedInfra;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

async function faceMatch(app: FastifyInstance, opts: FaceMatchOptions): Promise<void> {
  await app.register(serviceKit, { name: 'face-match', config: opts.config, shared: opts.shared, migrationsFolder });
}

export default fp(faceMatch, { name: 'parley-face-match', fastify: '5.x' });
