import { ParleyApiError } from '@parley/client';
import { type Problem, ServiceNames } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../src/testing.ts';

describe('the whole stack answers its operations endpoints', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => stack?.close());

  it('is alive', async () => {
    expect(await stack.client.ops.healthz()).toEqual({ status: 'ok' });
  });

  it('is ready only because every service answered over the bus and read its database', async () => {
    const ready = await stack.client.ops.readyz();
    expect(ready.ready).toBe(true);
    expect(Object.keys(ready.checks).sort()).toEqual(['bus', ...ServiceNames].sort());
    for (const check of Object.values(ready.checks)) expect(check.ok).toBe(true);
  });

  it('reports every service, its transport and its database driver', async () => {
    const status = await stack.client.status();
    expect(status.ok).toBe(true);
    expect(status.services.map((s) => s.service).sort()).toEqual([...ServiceNames].sort());
    for (const s of status.services) {
      expect(s.status?.transport).toBe(process.env.NATS_URL ? 'nats' : 'memory');
      expect(s.status?.database.driver).toBe(process.env.DATABASE_URL ? 'postgres' : 'pglite');
      expect(s.status?.database.ok).toBe(true);
    }
  });

  it('exposes Prometheus metrics, including the bus calls it just made', async () => {
    await stack.client.serviceStatus('media');
    const text = await stack.client.ops.metrics();
    expect(text).toContain('# TYPE parley_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /parley_bus_handled_duration_seconds_count\{service="media",subject="media\.status",outcome="ok"\} [1-9]/,
    );
    expect(text).toMatch(
      /parley_bus_request_duration_seconds_count\{service="gateway",subject="media\.status",outcome="ok"\} [1-9]/,
    );
    expect(text).toContain('parley_process_resident_memory_bytes');
  });

  it('documents the API as OpenAPI generated from the contract schemas', async () => {
    const doc = await stack.client.ops.openapi();
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths)).toContain('/api/v1/status/{service}');
    const docs = await fetch(`${stack.url}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const res = await fetch(`${stack.url}/api/v1/no-such-thing?x=1`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as Problem;
    expect(body).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      title: 'Not Found',
      detail: 'No route GET /api/v1/no-such-thing',
    });
    expect(body.type).toBe('urn:parley:problem:not-found');
  });

  it('refuses a bad path parameter with 400 VALIDATION_FAILED naming it', async () => {
    const err = (await stack.client.raw('GET', '/api/v1/status/nope').then((r) => r.json())) as Problem & {
      errors: { path: string }[];
    };
    expect(err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(err.errors[0]?.path).toContain('params');
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const res = await fetch(`${stack.url}/api/v1/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken',
    });
    expect([400, 404]).toContain(res.status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('keeps the caller’s request id', async () => {
    const res = await stack.client.raw('GET', '/api/v1/status/auth', { headers: { 'x-request-id': 'trace-me-123' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-me-123');
  });

  it('gives the client a typed error', async () => {
    const err = await stack.client
      .call({ ...(await import('@parley/contracts')).Routes.getServiceStatus }, { params: { service: 'bogus' as 'auth' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ParleyApiError);
    expect((err as ParleyApiError).code).toBe('VALIDATION_FAILED');
  });
});
