import { MediaEndpoints, MediaEvents } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEvent } from './helpers/events.ts';
import { binary, jpeg, png, wav } from './helpers/files.ts';
import { type MediaWorld, newCaller, signatureOf, startMedia } from './helpers/harness.ts';

describe('who may read media (media.grant)', () => {
  let world: MediaWorld;
  const owner = newCaller();
  const stranger = newCaller();
  beforeAll(async () => {
    world = await startMedia();
  });
  afterAll(() => world?.close());

  /** Refused exactly as a media that does not exist is. */
  const expectNotFound = async (request: Parameters<typeof world.fail<typeof MediaEndpoints.grant>>[1]) => {
    const err = await world.fail(MediaEndpoints.grant, request);
    expect([err.code, err.status, err.message]).toEqual(['MEDIA_NOT_FOUND', 404, 'No such media']);
  };

  it('lets the owner read, with what the gateway needs to serve the bytes', async () => {
    const file = await png();
    const media = await world.upload(owner, 'image', file, { filename: 'cat.png' });
    const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: owner });
    expect(grant).toEqual({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      size: file.bytes.length,
      contentType: 'image/png',
      filename: 'cat.png',
      disposition: 'inline',
      etag: `"${grant.sha256}"`,
    });
    expect(await world.read(grant.sha256)).toEqual(file.bytes);
  });

  it('serves audio inline and anything else, HTML included, as an attachment', async () => {
    const cases = [
      ['voice', wav(), 'inline'],
      ['file', binary(100, 'application/pdf', 'a.pdf'), 'attachment'],
      ['file', binary(100, 'text/html', 'a.html'), 'attachment'],
      ['file', binary(100, 'image/png', 'a.png'), 'inline'],
    ] as const;
    for (const [kind, file, disposition] of cases) {
      const media = await world.upload(owner, kind, file);
      const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: owner });
      expect(grant.disposition, file.contentType).toBe(disposition);
    }
  });

  it('refuses strangers and anonymous callers exactly as a media that does not exist', async () => {
    const media = await world.upload(owner, 'image', await png());
    await expectNotFound({ mediaId: media.id, variant: 'original', caller: stranger });
    await expectNotFound({ mediaId: media.id, variant: 'original', caller: null });
    await expectNotFound({ mediaId: 'no-such-media', variant: 'original', caller: owner });
    await expectNotFound({ mediaId: 'no-such-media', variant: 'original', caller: null });
  });

  it('lets anyone read an avatar: profile pictures are public', async () => {
    const media = await world.upload(owner, 'avatar', await jpeg(40, 40));
    for (const caller of [stranger, null]) {
      const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller });
      expect(grant.contentType).toBe('image/jpeg');
    }
    await waitForEvent(world, MediaEvents.ready.type, media.id);
    const thumbnail = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'thumbnail', caller: null });
    expect(thumbnail.contentType).toBe('image/webp');
  });

  it('answers 404 for a thumbnail that does not exist (yet), even to the owner', async () => {
    const media = await world.upload(owner, 'file', binary());
    await expectNotFound({ mediaId: media.id, variant: 'thumbnail', caller: owner });
  });

  describe('signed URLs', () => {
    it('lets anyone holding a valid signature read that media and variant', async () => {
      const media = await world.upload(owner, 'image', await png());
      const signature = signatureOf(media.signedUrl);
      const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: null, signature });
      expect(grant.size).toBe(media.size);
      const asStranger = await world.call(MediaEndpoints.grant, {
        mediaId: media.id,
        variant: 'original',
        caller: stranger,
        signature,
      });
      expect(asStranger.sha256).toBe(grant.sha256);

      await waitForEvent(world, MediaEvents.ready.type, media.id);
      const now = await world.call(MediaEndpoints.get, { caller: owner, mediaId: media.id });
      const thumbnail = await world.call(MediaEndpoints.grant, {
        mediaId: media.id,
        variant: 'thumbnail',
        caller: null,
        signature: signatureOf(now.signedThumbnailUrl!),
      });
      expect(thumbnail.contentType).toBe('image/webp');
    });

    it('refuses a tampered signature, another expiry, another media or another variant', async () => {
      const media = await world.upload(owner, 'image', await png());
      const other = await world.upload(owner, 'image', await png());
      const { sig, exp } = signatureOf(media.signedUrl);
      const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
      await expectNotFound({ mediaId: media.id, variant: 'original', caller: null, signature: { sig: flipped, exp } });
      await expectNotFound({ mediaId: media.id, variant: 'original', caller: null, signature: { sig, exp: exp + 3600 } });
      await expectNotFound({ mediaId: media.id, variant: 'original', caller: null, signature: { sig: '', exp } });
      await expectNotFound({ mediaId: other.id, variant: 'original', caller: null, signature: { sig, exp } });
      await waitForEvent(world, MediaEvents.ready.type, media.id);
      await expectNotFound({ mediaId: media.id, variant: 'thumbnail', caller: null, signature: { sig, exp } });
    });

    it('refuses a signature once it has expired', async () => {
      const media = await world.upload(owner, 'image', await png());
      const signature = signatureOf(media.signedUrl);
      const ttl = signature.exp - Math.floor(world.clock().getTime() / 1000);
      expect(ttl).toBeGreaterThanOrEqual(world.config.SIGNED_URL_TTL_SECONDS);
      world.clock.advance(ttl - 5);
      await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: null, signature });
      world.clock.advance(10);
      await expectNotFound({ mediaId: media.id, variant: 'original', caller: null, signature });
      // A fresh URL works again.
      const fresh = await world.call(MediaEndpoints.get, { caller: owner, mediaId: media.id });
      await world.call(MediaEndpoints.grant, {
        mediaId: media.id,
        variant: 'original',
        caller: null,
        signature: signatureOf(fresh.signedUrl),
      });
    });

    it('signs with one key shared by every copy: a URL from one copy works at all of them', async () => {
      const copies = await Promise.all([world.startCopy(), world.startCopy()]);
      const media = await world.upload(owner, 'image', await png());
      const signature = signatureOf(media.signedUrl);
      // Requests are spread over the copies; every one of them must accept the signature.
      for (let i = 0; i < 12; i++) {
        await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: null, signature });
      }
      const { db } = copies[0]!.parley.database();
      const { urlKeys } = await import('../src/db/schema/url-keys.ts');
      expect(await db.select().from(urlKeys)).toHaveLength(1);
    });
  });

  it('answers get to the owner only (404 for anyone else)', async () => {
    const media = await world.upload(owner, 'image', await png());
    const err = await world.fail(MediaEndpoints.get, { caller: stranger, mediaId: media.id });
    expect([err.code, err.status]).toEqual(['MEDIA_NOT_FOUND', 404]);
  });
});
