/**
 * The limit of bus-hop: the auth service registered in a plain Fastify instance, with a route that
 * answers the same read its `auth.status` bus endpoint does (`readStatus`: a ping of auth's
 * database), serialized with the same schema, at the same URL as the gateway's route.
 */

import { authApp, loadAuthConfig } from '@parley/auth';
import { ServiceStatus } from '@parley/contracts';
import { createLogger, fastifyOptions, readStatus } from '@parley/kit';
import Fastify from 'fastify';
import { serveChild } from '../lib/serve-child.ts';

await serveChild('direct', async () => {
  const config = loadAuthConfig(process.env);
  const app = Fastify(fastifyOptions(createLogger({ service: 'bench-direct', level: config.LOG_LEVEL })));
  try {
    await app.register(authApp, { config });
    app.get('/api/v1/status/:service', { schema: { response: { 200: ServiceStatus } } }, async () => readStatus(app.parley));
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    return { url: address, close: () => app.close() };
  } catch (err) {
    await app.close().catch(() => {});
    throw err;
  }
});
