import { createHash } from 'node:crypto';
import { MediaEndpoints, MediaEvents } from '@parley/contracts';
import { refusePublishes, withoutOutbox } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('takes an upload while the event stream is down; its events and thumbnail follow once it is back', async () => {
    const stream = refusePublishes(world.app);
    let media: Awaited<ReturnType<MediaWorld['upload']>>;
    try {
      media = await world.upload(me, 'image', await png());
      await expect.poll(stream.refused).toBeGreaterThan(0);
      expect(eventsOf(world, MediaEvents.uploaded.type, media.id)).toEqual([]);
      expect((await world.call(MediaEndpoints.get, { caller: me, mediaId: media.id })).id).toBe(media.id);
    } finally {
      stream.restore();
    }
    await waitForEvent(world, MediaEvents.ready.type, media.id);
    expect(eventsOf(world, MediaEvents.uploaded.type, media.id)).toHaveLength(1);
    const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'thumbnail', caller: me });
    expect(await world.read(grant.sha256)).not.toBeNull();
  });

  it('undoes an upload (503) whose event cannot be stored, and keeps none of its bytes', async () => {
    const file = await png(120, 90);
    const { error, sha256 } = await withoutOutbox(world.app, () => world.failUpload(me, 'image', file, { filename: 'lost.png' }));
    expect([error.code, error.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    expect((await world.call(MediaEndpoints.list, { caller: me })).items.map((m) => m.filename)).not.toContain('lost.png');
    expect(await world.store.stat(sha256)).toBeNull();
  });

  it('deletes nothing (503) when the deletion cannot be recorded', async () => {
    const media = await world.upload(me, 'image', await png(64, 48));
    const error = await withoutOutbox(world.app, () => world.fail(MediaEndpoints.delete, { caller: me, mediaId: media.id }));
    expect([error.code, error.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: me });
    expect(await world.store.stat(grant.sha256)).not.toBeNull();
    expect(eventsOf(world, MediaEvents.deleted.type, media.id)).toEqual([]);
  });
});
