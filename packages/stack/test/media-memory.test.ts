import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, newUser, registerVerified } from './support/accounts.ts';
import { drivers, type MediaStack, startMediaStack } from './support/media.ts';
import * as files from './support/media-files.ts';
import { streamUpload } from './support/media-http.ts';

const MiB = 1024 * 1024;
const SIZE = 500 * MiB;

describe.each(drivers)('a 500 MB upload (BLOB_STORE=%s)', (driver) => {
  let ms: MediaStack;
  let me: Account;
  beforeAll(async () => {
    ms = await startMediaStack(driver, { UPLOAD_LIMIT_FILE_BYTES: String(600 * MiB) });
    me = await registerVerified(ms, newUser('bulk'));
    // Warm up the whole path, so what is measured below is the upload and not first-use allocations.
    await me.client.media.upload('file', files.pdf(), 'warm.pdf');
  });
  afterAll(async () => ms?.close());

  it('streams into the store: the process grows by less than 64 MB while it passes', { timeout: 180_000 }, async () => {
    // Gateway, services and this client share the process: its growth bounds the gateway's.
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = (): void => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sample, 20);
    try {
      const run = await streamUpload({
        url: `${ms.stack.url}/api/v1/media`,
        token: me.tokens.accessToken,
        kind: 'file',
        head: files.pdf(),
        total: SIZE,
        onProgress: sample,
      });
      expect(run.status, JSON.stringify(run.body)).toBe(201);
      expect(run.body).toMatchObject({ kind: 'file', size: SIZE, contentType: 'application/pdf' });
    } finally {
      clearInterval(timer);
    }
    const growthMiB = (peak - baseline) / MiB;
    expect(growthMiB, `RSS grew ${growthMiB.toFixed(1)} MiB`).toBeLessThan(64);
  });
});
