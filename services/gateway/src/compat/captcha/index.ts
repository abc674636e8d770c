import type { FastifyInstance } from 'fastify';
import type { DialectOptions } from '../kit.ts';

/** The `captcha` dialect (../shared/seeds): being built. */
export default async function dialect(_app: FastifyInstance, _opts: DialectOptions): Promise<void> {}
