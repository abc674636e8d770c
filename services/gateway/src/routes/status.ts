import { Routes, ServiceNames, StatusEndpoints } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import { registerRoute } from '../lib/route.ts';

export interface StatusRoutesOptions {
  timeoutMs: number;
}

/** The thin slice through every service: the gateway asks each over the bus, each reads its own database. */
export async function statusRoutes(app: FastifyInstance, opts: StatusRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const ask = (service: (typeof ServiceNames)[number]) =>
    bus.request(StatusEndpoints[service], {}, { timeoutMs: opts.timeoutMs, retries: 1 });

  registerRoute(app, Routes.getServiceStatus, async ({ params }) => ask(params.service));

  registerRoute(app, Routes.getSystemStatus, async () => {
    const results = await Promise.allSettled(ServiceNames.map(ask));
    const services = results.map((r, i) => ({
      service: ServiceNames[i] as string,
      ok: r.status === 'fulfilled' && r.value.database.ok,
      status: r.status === 'fulfilled' ? r.value : null,
      ...(r.status === 'rejected' ? { error: (r.reason as Error).message } : {}),
    }));
    return { ok: services.every((s) => s.ok), services };
  });
}
