import { createHash } from 'node:crypto';
import { MediaEndpoints, MediaEvents, ParleyError } from '@parley/contracts';
import type { Bus } from '@parley/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaDeps } from '../src/app.ts';
import { createMediaDomain } from '../src/services/index.ts';
import { eventsOf, waitForEvent } from './helpers/events.ts';
import { png } from './helpers/files.ts';
import { type MediaWorld, newCaller, startMedia } from './helpers/harness.ts';

describe('media events on the durable stream', () => {
  let world: MediaWorld;
  const me = newCaller();
  beforeAll(async () => {
    world = await startMedia();
  });
  afterAll(() => world?.close());

  it('announces upload, thumbnail and deletion: who, what, where, and never the bytes', async () => {
    const file = await png(300, 200);
    const media = await world.upload(me, 'image', file);
    const uploaded = await waitForEvent(world, MediaEvents.uploaded.type, media.id);
    const ready = await waitForEvent(world, MediaEvents.ready.type, media.id);
    await world.call(MediaEndpoints.delete, { caller: me, mediaId: media.id });
    const deleted = await waitForEvent(world, MediaEvents.deleted.type, media.id);
    const sha256 = createHash('sha256').update(file.bytes).digest('hex');

    expect(uploaded).toMatchObject({ source: 'media', actor: me.userId, subject: me.userId, ip: me.ip, userAgent: me.userAgent });
    expect(uploaded.data).toEqual({
      mediaId: media.id,
      ownerId: me.userId,
      kind: 'image',
      contentType: 'image/png',
      size: file.bytes.length,
      sha256,
      roomId: null,
    });
    expect(ready).toMatchObject({ source: 'media', actor: null, subject: me.userId });
    expect(ready.data).toEqual({
      mediaId: media.id,
      ownerId: me.userId,
      roomId: null,
      thumbnailUrl: `/api/v1/media/${media.id}/thumbnail`,
    });
    expect(deleted).toMatchObject({ source: 'media', actor: me.userId, subject: me.userId });
    expect(deleted.data).toEqual({ mediaId: media.id, ownerId: me.userId, kind: 'image' });

    for (const event of [uploaded, ready, deleted]) {
      const text = JSON.stringify(event);
      expect(text.length).toBeLessThan(1024);
      expect(text).not.toContain(file.bytes.toString('base64').slice(0, 32));
    }
    expect(eventsOf(world, MediaEvents.uploaded.type, media.id)).toHaveLength(1);
  });

  /** The real service's domain, except that its event stream refuses writes. */
  const domainWithBrokenStream = () => {
    const kit = world.app.parley;
    const bus: Bus = Object.create(kit.bus, {
      emit: { value: () => Promise.reject(new Error('event stream unavailable')) },
    });
    const deps = createMediaDeps({ bus, log: kit.log, database: () => kit.database() }, world.config, world.store, world.clock);
    return createMediaDomain(deps);
  };

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (err: unknown) => {
        expect(err).toBeInstanceOf(ParleyError);
        return err as ParleyError;
      },
    );

  it('undoes an upload (503) whose event cannot be stored, and keeps none of its bytes', async () => {
    const domain = domainWithBrokenStream();
    await domain.signer.ensure();
    const file = await png();
    const { sha256, size } = await world.put(file.bytes);
    const err = await failure(
      domain.uploads.register({ caller: me, kind: 'image', sha256, size, contentType: 'image/png', filename: 'lost.png' }),
    );
    expect([err.code, err.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    expect((await world.call(MediaEndpoints.list, { caller: me })).items.map((m) => m.filename)).not.toContain('lost.png');
    expect(await world.store.stat(sha256)).toBeNull();
  });

  it('deletes nothing (503) when the deletion cannot be announced', async () => {
    const media = await world.upload(me, 'image', await png());
    const err = await failure(domainWithBrokenStream().library.delete(me, media.id));
    expect([err.code, err.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: me });
    expect(await world.store.stat(grant.sha256)).not.toBeNull();
  });
});
