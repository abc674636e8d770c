import { FaceEndpoints, FaceEvents } from '@parley/contracts';
import { refusePublishes, withoutOutbox } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crop } from './helpers/fixtures.ts';
import { type FaceWorld, newCaller, startFaces } from './helpers/harness.ts';

describe('face events through the outbox', () => {
  let world: FaceWorld;
  const owner = newCaller();
  beforeAll(async () => {
    world = await startFaces({ FACE_WORKERS: '1' });
  }, 120_000);
  afterAll(() => world?.close());

  it('refuses (503) a search or a new identity it cannot record, and keeps no such identity', async () => {
    const probe = await crop('amy', 4);
    const [search, create] = await withoutOutbox(
      world.app,
      async () =>
        [
          await world.search(owner, probe).catch((err: unknown) => err),
          await world.fail(FaceEndpoints.createIdentity, { caller: owner, name: 'Nobody' }),
        ] as const,
    );
    expect(search).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect([create.code, create.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    expect((await world.call(FaceEndpoints.listIdentities, { caller: owner })).items).toEqual([]);
    // Recording works again: so does searching, and the search is on the stream.
    expect((await world.search(owner, probe)).matched).toBe(false);
    await expect.poll(() => world.events.filter((e) => e.type === FaceEvents.searched.type).length, { timeout: 15_000 }).toBe(1);
  });

  it('creates an identity while the event stream is down, and publishes it once the stream is back', async () => {
    const stream = refusePublishes(world.app);
    let identityId: string;
    try {
      identityId = (await world.call(FaceEndpoints.createIdentity, { caller: owner, name: 'Outage' })).id;
      await expect.poll(stream.refused).toBeGreaterThan(0);
    } finally {
      stream.restore();
    }
    const created = () => world.events.filter((e) => e.type === FaceEvents.identityCreated.type && e.subject === identityId);
    await expect.poll(() => created().length, { timeout: 15_000 }).toBe(1);
    expect(created()[0]!.data).toEqual({ identityId, ownerId: owner.userId });
  });
});
