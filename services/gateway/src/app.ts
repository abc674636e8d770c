import { FACE_UPLOADS_STORE, mediaRules, ServiceNames, StatusEndpoints } from '@parley/contracts';
import { openBlobStore, type ReadinessCheck, type SharedInfra, serviceKit } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { compatRoutes } from './compat/index.ts';
import type { GatewayConfig } from './config.ts';
import { createFaceUploads } from './lib/face-uploads.ts';
import { createUploads } from './lib/upload.ts';
import authenticate from './plugins/authenticate.ts';
import openapi from './plugins/openapi.ts';
import problem from './plugins/problem.ts';
import { accountRoutes } from './routes/accounts.ts';
import { auditRoutes } from './routes/audit.ts';
import { faceRoutes } from './routes/faces.ts';
import { jwksRoutes } from './routes/jwks.ts';
import { mediaRoutes } from './routes/media.ts';
import { roomRoutes } from './routes/rooms.ts';
import { statusRoutes } from './routes/status.ts';
import { userRoutes } from './routes/users.ts';
import { websocketRoutes } from './ws/index.ts';

export interface GatewayOptions {
  config: GatewayConfig;
  shared?: SharedInfra;
}

/** The public edge: problem+json errors, OpenAPI, `/api/v1` routes that call the services over the bus. The gateway has no database. */
async function gateway(app: FastifyInstance, opts: GatewayOptions): Promise<void> {
  const { config } = opts;
  await app.register(problem);
  await app.register(serviceKit, {
    name: 'gateway',
    config,
    shared: opts.shared,
    readiness: () => askServices(app, Math.min(config.BUS_TIMEOUT_MS, 2_000)),
  });
  const publicUrl = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  await app.register(openapi, { publicUrl });

  // The id the request is logged under and carried on every bus call, for the caller to quote.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  const { httpDuration } = app.parley.metrics;
  app.addHook('onResponse', async (req, reply) => {
    httpDuration.observe(
      { service: 'gateway', method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(authenticate, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    busTimeoutMs: config.BUS_TIMEOUT_MS,
  });

  // Uploads stream through the gateway straight into the store; the media service only records them.
  const blobs = await openBlobStore(config);
  app.addHook('onClose', () => blobs.close());
  const uploads = createUploads({ blobs, rules: mediaRules(config) });
  // Face photos pass through a store of their own, emptied once each request is answered.
  const faceScratch = await openBlobStore(config, FACE_UPLOADS_STORE);
  app.addHook('onClose', () => faceScratch.close());
  const faceUploads = createFaceUploads({ scratch: faceScratch, rules: mediaRules(config) });

  const timeoutMs = config.BUS_TIMEOUT_MS;
  await app.register(jwksRoutes);
  await app.register(
    async (api) => {
      await api.register(statusRoutes, { timeoutMs });
      await api.register(accountRoutes, { timeoutMs });
      await api.register(userRoutes, { timeoutMs, uploads });
      await api.register(mediaRoutes, { timeoutMs, blobs, uploads });
      await api.register(roomRoutes, { timeoutMs, uploads });
      await api.register(faceRoutes, { timeoutMs, uploads: faceUploads });
      await api.register(auditRoutes, { timeoutMs });
      await api.register(websocketRoutes, { config });
      await api.register(jwksRoutes);
    },
    { prefix: '/api/v1' },
  );
  await compatRoutes(app, {
    config,
    publicUrl,
    timeoutMs,
    uploads,
    faceUploads,
    blobs,
  });
}

/** Ready means every service answers over the bus and reads its database. */
const askServices = async (app: FastifyInstance, timeoutMs: number): Promise<Record<string, ReadinessCheck>> => {
  const entries = await Promise.all(
    ServiceNames.map(async (service): Promise<[string, ReadinessCheck]> => {
      const started = performance.now();
      try {
        const status = await app.parley.bus.request(StatusEndpoints[service], {}, { timeoutMs });
        const check: ReadinessCheck = { ok: status.database.ok, latencyMs: Math.round(performance.now() - started) };
        return [service, status.database.ok ? check : { ...check, error: 'its database does not answer' }];
      } catch (err) {
        return [service, { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message }];
      }
    }),
  );
  return Object.fromEntries(entries);
};

export default fp(gateway, { name: 'parley-gateway', fastify: '5.x' });
