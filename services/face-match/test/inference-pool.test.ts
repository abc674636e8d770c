import { FaceEndpoints, type ParleyError } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crop, group, PEOPLE } from './helpers/fixtures.ts';
import { type FaceWorld, newCaller, startFaces } from './helpers/harness.ts';

const SLOW = 180_000;

describe('the inference pool: one worker, a queue of one', () => {
  let world: FaceWorld;

  beforeAll(async () => {
    world = await startFaces({ FACE_WORKERS: '1', FACE_QUEUE_MAX: '1' });
  }, SLOW);
  afterAll(() => world?.close());

  it('says which backend runs, and it is never the CPU one', async () => {
    expect(['wasm', 'tensorflow']).toContain(world.app.facePool.backend);
    const ready = await world.app.inject('/readyz');
    expect(ready.json()).toMatchObject({ ready: true, checks: { model: { ok: true, backend: world.app.facePool.backend } } });
  });

  it(
    'refuses searches beyond the queue at once with 503 and Retry-After, and answers the rest',
    async () => {
      const caller = newCaller();
      const bytes = await group(1);
      const photos = await Promise.all(Array.from({ length: 5 }, () => world.photo(bytes)));
      const results = await Promise.allSettled(
        photos.map((photo) => world.bus.request(FaceEndpoints.search, { caller, photo }, { timeoutMs: 60_000 })),
      );
      const refused = results
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => r.reason as ParleyError);
      const answered = results.filter((r) => r.status === 'fulfilled');
      // One running and one waiting at most: of five at once, at least three are turned away.
      expect(answered.length).toBeGreaterThanOrEqual(1);
      expect(refused.length).toBeGreaterThanOrEqual(3);
      for (const error of refused)
        expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, extra: { retryAfter: 1 } });
      // Once the queue drained, searches are answered again.
      expect((await world.search(caller, bytes)).faces).toHaveLength(4);
    },
    SLOW,
  );

  it(
    'keeps no tensors behind: the count is flat over many photos',
    async () => {
      const pool = world.app.facePool;
      const photos = [await group(2), await crop('raj', 1), Buffer.from('junk')];
      // Crops take the padded second pass as well.
      for (const person of PEOPLE.slice(0, 3)) photos.push(await crop(person, 5));
      // Warm-up: the first run of each path may allocate kernels' constants once.
      for (const bytes of photos) await pool.detect(bytes);
      const before = await pool.numTensors();
      for (let round = 0; round < 3; round++) for (const bytes of photos) await pool.detect(bytes);
      expect(await pool.numTensors()).toBe(before);
    },
    SLOW,
  );
});

describe('the inference pool with no queue at all (FACE_QUEUE_MAX=0)', () => {
  let world: FaceWorld;
  beforeAll(async () => {
    world = await startFaces({ FACE_WORKERS: '1', FACE_QUEUE_MAX: '0' });
  }, SLOW);
  afterAll(() => world?.close());

  it(
    'turns a search away with 503 while the only worker is busy, never 500',
    async () => {
      const caller = newCaller();
      const photo = await world.photo(await group(1));
      const results = await Promise.allSettled(
        [1, 2, 3].map(() => world.bus.request(FaceEndpoints.search, { caller, photo }, { timeoutMs: 60_000 })),
      );
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      for (const error of refused) expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    },
    SLOW,
  );
});
