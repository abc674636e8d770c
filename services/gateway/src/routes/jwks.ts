import { Jwks, Problem } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';

const MAX_AGE_SECONDS = 60;

/** The access-token signer's public keys, as cached by this gateway (the same ones it verifies with). */
export async function jwksRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        summary: 'Public keys of the access-token signer (Ed25519, rotatable)',
        tags: ['accounts'],
        response: { 200: Jwks, '5xx': Problem },
      },
    },
    async (_req, reply) => {
      const doc = await app.tokenGuard.keys.document(MAX_AGE_SECONDS * 1000);
      reply.header('cache-control', `public, max-age=${MAX_AGE_SECONDS}`);
      return doc;
    },
  );
}
