import { FACE_UPLOADS_STORE } from '@parley/contracts';
import type { BlobStore } from '@parley/kit';
import { dropBlobBucket } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { group, openScratch } from './support/faces.ts';
import { drivers, sha256 } from './support/media.ts';

// One inference thread and room for one photo to wait: the others that arrive while it is busy are refused at once.
describe.each(drivers)('face inference at capacity (BLOB_STORE=%s)', (driver) => {
  let ms: MailStack;
  let me: Account;
  let scratch: BlobStore;
  beforeAll(async () => {
    ms = await startMailStack({ BLOB_STORE: driver, FACE_WORKERS: '1', FACE_QUEUE_MAX: '1' });
    me = await registerVerified(ms, newUser('busy'));
    scratch = await openScratch(ms.stack.env);
  });
  afterAll(async () => {
    await scratch?.close();
    await ms?.close();
    if (ms) await dropBlobBucket(ms.stack.env.NATS_URL, ms.stack.env.BUS_NAMESPACE as string, FACE_UPLOADS_STORE);
  });

  it('answers 503 with Retry-After through the gateway instead of queueing, and keeps no photo', async () => {
    const { bytes } = await group(1);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => {
        const form = new FormData();
        form.append('file', new Blob([bytes]), 'bbt1.jpg');
        return me.client.raw('POST', '/api/v1/faces/search', { body: form });
      }),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const res of responses) {
      const body = (await res.json()) as { code?: string; matched?: boolean; faces?: unknown[] };
      if (res.status === 200) {
        expect(body).toMatchObject({ matched: false });
        continue;
      }
      expect(body.code).toBe('SERVICE_UNAVAILABLE');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(await scratch.stat(sha256(bytes))).toBeNull();
  });
});
