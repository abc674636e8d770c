import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaDeps } from '../src/app.ts';
import { blobs } from '../src/db/schema/blobs.ts';
import { createMediaDomain } from '../src/services/index.ts';
import { binary } from './helpers/files.ts';
import { type MediaWorld, startMedia } from './helpers/harness.ts';

describe('bytes left at zero references', () => {
  let world: MediaWorld;
  beforeAll(async () => {
    world = await startMedia();
  });
  afterAll(() => world?.close());

  it('are deleted by the sweeper once they have stayed unreferenced a while', async () => {
    const kit = world.app.parley;
    const { db } = kit.database();
    const domain = createMediaDomain(createMediaDeps(kit, world.config, world.store, world.clock));
    // As a copy leaves them when it stops between releasing the last reference and deleting the bytes.
    const stale = await world.put(binary().bytes);
    const recent = await world.put(binary().bytes);
    const longAgo = new Date(world.clock().getTime() - 10 * 60_000);
    await db.insert(blobs).values([
      { sha256: stale.sha256, size: stale.size, refs: 0, updatedAt: longAgo },
      { sha256: recent.sha256, size: recent.size, refs: 0, updatedAt: world.clock() },
    ]);

    expect(await domain.refs.sweep()).toBe(1);
    expect(await world.store.stat(stale.sha256)).toBeNull();
    // A release a moment ago may belong to a delete still finishing: left for the next sweep.
    expect(await world.store.stat(recent.sha256)).not.toBeNull();
    expect((await db.select().from(blobs)).map((b) => b.sha256)).toEqual([recent.sha256]);
  });
});
