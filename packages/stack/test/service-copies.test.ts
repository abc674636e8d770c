import { authApp, loadAuthConfig } from '@parley/auth';
import { createLogger, fastifyOptions } from '@parley/kit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../src/testing.ts';

const startCopy = async (stack: TestStack): Promise<FastifyInstance> => {
  const app = Fastify(fastifyOptions(createLogger({ service: 'auth', level: 'silent' })));
  await app.register(authApp, { config: loadAuthConfig(stack.env), shared: stack.shared });
  await app.ready();
  return app;
};

describe('two copies of a service behind the bus', () => {
  let stack: TestStack;
  let second: FastifyInstance;
  beforeAll(async () => {
    // A short bus timeout so a request lost with a stopping copy is retried quickly.
    stack = await startTestStack({ BUS_TIMEOUT_MS: '1000' });
    second = await startCopy(stack);
  });
  afterAll(async () => {
    await second?.close();
    await stack?.close();
  });

  it('share the requests', async () => {
    const counts = new Map<string, number>();
    for (let batch = 0; batch < 20; batch++) {
      const replies = await Promise.all(Array.from({ length: 10 }, () => stack.client.serviceStatus('auth')));
      for (const r of replies) counts.set(r.instance, (counts.get(r.instance) ?? 0) + 1);
    }
    expect(counts.size).toBe(2);
    for (const n of counts.values()) expect(n).toBeGreaterThan(30);
  });

  it('lose no request when one copy stops mid-stream', async () => {
    const third = await startCopy(stack);
    const outcomes: string[] = [];
    const seen = new Set<string>();
    const stream = (async () => {
      for (let i = 0; i < 60; i++) {
        const batch = await Promise.all(
          Array.from({ length: 5 }, () =>
            stack.client.serviceStatus('auth').then(
              (r) => {
                seen.add(r.instance);
                return 'ok';
              },
              (e: { code?: string }) => e.code ?? 'error',
            ),
          ),
        );
        outcomes.push(...batch);
      }
    })();
    await new Promise((r) => setTimeout(r, 150));
    await third.close();
    await stream;
    expect(outcomes).toHaveLength(300);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
    expect(seen.size).toBe(3);
  });

  it('answer 503 problem+json when no copy is left', async () => {
    await second.close();
    await stack.services.get('auth')?.close();
    const res = await fetch(`${stack.url}/api/v1/status/auth`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(await res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
    expect(body.checks.auth?.ok).toBe(false);
  });
});
