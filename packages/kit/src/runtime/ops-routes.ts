import type { FastifyInstance, FastifySchema } from 'fastify';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface OpsRoutesOptions {
  registry: Registry;
  checks: () => Promise<Record<string, ReadinessCheck>>;
}

/** `/healthz` (the process is alive), `/readyz` (its dependencies answer), `/metrics` (Prometheus). */
export async function opsRoutes(app: FastifyInstance, opts: OpsRoutesOptions): Promise<void> {
  // `hide` keeps ops routes out of the OpenAPI document (read by @fastify/swagger).
  const hide = { hide: true } as FastifySchema;
  app.get('/healthz', { schema: hide, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: hide, logLevel: 'warn' }, async (_req, reply) => {
    const checks = await opts.checks();
    const ready = Object.values(checks).every((c) => c.ok);
    reply.code(ready ? 200 : 503);
    if (!ready) reply.header('retry-after', '5');
    return { ready, checks };
  });

  app.get('/metrics', { schema: hide, logLevel: 'warn' }, async (_req, reply) => {
    reply.type(opts.registry.contentType);
    return opts.registry.metrics();
  });
}
