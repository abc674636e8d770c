import { fileURLToPath } from 'node:url';
import { type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ChatNotifyConfig } from './config.ts';

export interface ChatNotifyOptions {
  config: ChatNotifyConfig;
  shared?: SharedInfra;
}

/** Migrations sit beside src/ and dist/ alike. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

async function chatNotify(app: FastifyInstance, opts: ChatNotifyOptions): Promise<void> {
  await app.register(serviceKit, { name: 'chat-notify', config: opts.config, shared: opts.shared, migrationsFolder });
}

export default fp(chatNotify, { name: 'parley-chat-notify', fastify: '5.x' });
