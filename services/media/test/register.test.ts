import { createHash, randomBytes } from 'node:crypto';
import { MediaEndpoints } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binary, flatPng, gif, handmadePng, jpeg, png, wav, webp } from './helpers/files.ts';
import { type MediaWorld, newCaller, signatureOf, startMedia } from './helpers/harness.ts';

describe('registering uploads', () => {
  let world: MediaWorld;
  const me = newCaller();
  beforeAll(async () => {
    world = await startMedia({ UPLOAD_LIMIT_STICKER_BYTES: '20000' });
  });
  afterAll(() => world?.close());

  it('records an image with its size in pixels, and answers with its URLs', async () => {
    const file = await png(64, 48);
    const media = await world.upload(me, 'image', file, { filename: 'holiday.png' });
    expect(media).toMatchObject({
      ownerId: me.userId,
      kind: 'image',
      contentType: 'image/png',
      size: file.bytes.length,
      filename: 'holiday.png',
      roomId: null,
      width: 64,
      height: 48,
      url: `/api/v1/media/${media.id}`,
      thumbnailUrl: null,
    });
    const signed = new URL(media.signedUrl);
    expect(`${signed.origin}${signed.pathname}`).toBe(`https://parley.example.test/api/v1/media/${media.id}`);
    expect(signatureOf(media.signedUrl).exp).toBeGreaterThan(Date.now() / 1000 + 3600 - 1);
    expect(signatureOf(media.signedUrl).sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(media.createdAt)).not.toBeNaN();
  });

  it('accepts every image format, a sticker, a voice note, a file and an avatar', async () => {
    const cases = [
      ['image', await jpeg()],
      ['image', await gif()],
      ['image', await webp()],
      ['sticker', await png(32, 32)],
      ['sticker', await gif(32, 32)],
      ['voice', wav()],
      ['file', binary()],
      ['file', binary(300, 'text/html', 'page.html')],
      ['avatar', await jpeg(40, 40)],
    ] as const;
    for (const [kind, file] of cases) {
      const media = await world.upload(me, kind, file);
      expect(media, `${kind} ${file.contentType}`).toMatchObject({
        kind,
        contentType: file.contentType,
        size: file.bytes.length,
      });
      const isImage = file.contentType.startsWith('image/') && kind !== 'file';
      expect(media.width === null).toBe(!isImage);
    }
  });

  it('stores width and height as displayed: EXIF orientation 6 swaps them', async () => {
    const media = await world.upload(me, 'image', await jpeg(80, 30, 6));
    expect([media.width, media.height]).toEqual([30, 80]);
  });

  it('gives the same bytes uploaded twice two different opaque ids', async () => {
    const file = await png();
    const a = await world.upload(me, 'image', file);
    const b = await world.upload(me, 'image', file);
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('keeps only the name of the file, without folders or control characters', async () => {
    const media = await world.upload(me, 'file', binary(), { filename: '../../etc/pass\u0000wd\n' });
    expect(media.filename).toBe('passwd');
  });

  it('refuses a type the kind does not accept (415) and removes the bytes', async () => {
    const cases = [
      ['voice', await png()],
      ['sticker', await jpeg()],
      ['image', wav()],
      ['avatar', await gif()],
      ['image', binary(100, 'image/svg+xml', 'x.svg')],
    ] as const;
    for (const [kind, file] of cases) {
      const { error: err, sha256 } = await world.failUpload(me, kind, file);
      expect([err.code, err.status], `${kind} ${file.contentType}`).toEqual(['UNSUPPORTED_FILE_TYPE', 415]);
      expect(await world.store.stat(sha256)).toBeNull();
    }
  });

  it('refuses bytes that are not an image of the declared type (415)', async () => {
    const file = await jpeg();
    const { error: err } = await world.failUpload(me, 'image', {
      bytes: file.bytes,
      contentType: 'image/png',
      filename: 'disguised.png',
    });
    expect([err.code, err.status]).toEqual(['UNSUPPORTED_FILE_TYPE', 415]);
  });

  it('refuses an image it cannot read (422)', async () => {
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(200)]);
    const { error: err } = await world.failUpload(me, 'image', {
      bytes: bytes,
      contentType: 'image/png',
      filename: 'broken.png',
    });
    expect([err.code, err.status]).toEqual(['INVALID_IMAGE', 422]);
  });

  it('refuses more bytes than the kind allows (413), with UPLOAD_LIMIT_<KIND>_BYTES applied', async () => {
    const big = await png(200, 200);
    expect(big.bytes.length).toBeGreaterThan(20_000);
    const { error: err, sha256 } = await world.failUpload(me, 'sticker', {
      bytes: big.bytes,
      contentType: 'image/png',
      filename: 'big.png',
    });
    expect([err.code, err.status]).toEqual(['FILE_TOO_LARGE', 413]);
    expect(await world.store.stat(sha256)).toBeNull();
    // The same bytes are fine as an image (10 MB by default).
    expect((await world.upload(me, 'image', big)).size).toBe(big.bytes.length);
  });

  it('answers BLOB_MISSING (409) for bytes that are not in the store', async () => {
    const sha256 = createHash('sha256').update(randomBytes(32)).digest('hex');
    const err = await world.fail(MediaEndpoints.register, {
      caller: me,
      kind: 'file',
      sha256,
      size: 10,
      contentType: 'application/pdf',
      filename: 'ghost.pdf',
    });
    expect([err.code, err.status]).toEqual(['BLOB_MISSING', 409]);
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const bomb = handmadePng(100_000, 100_000);
    expect(bomb.bytes.length).toBeLessThan(200);
    const { sha256, size } = await world.put(bomb.bytes);
    const rssBefore = process.memoryUsage().rss;
    const err = await world.fail(MediaEndpoints.register, {
      caller: me,
      kind: 'image',
      sha256,
      size,
      contentType: 'image/png',
      filename: 'bomb.png',
    });
    expect([err.code, err.status]).toEqual(['IMAGE_TOO_LARGE', 413]);
    // Decoding it would need 30 GB; reading the header needs nothing worth measuring.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
    expect(await world.store.stat(sha256)).toBeNull();
    const { items } = await world.call(MediaEndpoints.list, { caller: me, limit: 100 });
    expect(items.map((m) => m.filename)).not.toContain('bomb.png');
  });

  it('validates the request itself (400)', async () => {
    const err = await world.fail(MediaEndpoints.register, {
      caller: me,
      kind: 'image',
      sha256: '../../etc/passwd',
      size: 1,
      contentType: 'image/png',
      filename: 'x.png',
    });
    expect([err.code, err.status]).toEqual(['VALIDATION_FAILED', 400]);
  });
});

describe('the pixel limit (MAX_IMAGE_PIXELS)', () => {
  let world: MediaWorld;
  const me = newCaller();
  beforeAll(async () => {
    world = await startMedia({ MAX_IMAGE_PIXELS: '1000000' });
  });
  afterAll(() => world?.close());

  it('refuses a real image with more pixels than allowed (413), and takes one at the limit', async () => {
    const over = await flatPng(1001, 1000);
    const { error: err } = await world.failUpload(me, 'image', {
      bytes: over.bytes,
      contentType: 'image/png',
      filename: 'wide.png',
    });
    expect([err.code, err.status]).toEqual(['IMAGE_TOO_LARGE', 413]);
    const at = await world.upload(me, 'image', await flatPng(1000, 1000));
    expect([at.width, at.height]).toEqual([1000, 1000]);
  });
});
