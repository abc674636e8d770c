import { StatusEndpoints } from '@parley/contracts';
import { createBus, createLogger } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../src/testing.ts';

describe('a service that answers too slowly', () => {
  let stack: TestStack;
  let slowBus: Awaited<ReturnType<typeof createBus>>;
  beforeAll(async () => {
    stack = await startTestStack({ BUS_TIMEOUT_MS: '300' });
    await stack.services.get('media')?.close();
    slowBus = await createBus({
      natsUrl: stack.env.NATS_URL,
      namespace: stack.env.BUS_NAMESPACE as string,
      name: 'slow-media',
      source: 'media',
      logger: createLogger({ service: 'media', level: 'silent' }),
      hub: stack.shared.hub,
    });
    slowBus.serve(StatusEndpoints.media, async () => {
      await new Promise((r) => setTimeout(r, 2_000));
      throw new Error('too late anyway');
    });
  });
  afterAll(async () => {
    await slowBus?.close();
    await stack?.close();
  });

  it('gets 504 problem+json from the gateway, not a hang', async () => {
    const res = await fetch(`${stack.url}/api/v1/status/media`);
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'UPSTREAM_TIMEOUT', status: 504 });
  });
});
