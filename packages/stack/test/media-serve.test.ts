import type { MediaObject } from '@parley/contracts';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, newUser, registerVerified } from './support/accounts.ts';
import { drivers, extendedFilename, type MediaStack, startMediaStack, waitForMedia } from './support/media.ts';
import * as files from './support/media-files.ts';

const SAFE_DISPOSITION = /^(inline|attachment); filename="[\x20-\x21\x23-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[\w%!#$&+.^`|~-]+$/;

describe.each(drivers)('serving media safely (BLOB_STORE=%s)', (driver) => {
  let ms: MediaStack;
  let me: Account;
  let stranger: Account;
  let pdf: Buffer;
  let doc: MediaObject;
  let photo: MediaObject;
  beforeAll(async () => {
    ms = await startMediaStack(driver);
    [me, stranger] = await Promise.all([registerVerified(ms, newUser('owner')), registerVerified(ms, newUser('stranger'))]);
    pdf = files.pdf();
    doc = await me.client.media.upload('file', pdf, 'notes.pdf');
    photo = await me.client.media.upload('image', await files.png(640, 480), 'holiday.png');
  });
  afterAll(async () => ms?.close());

  const open = (headers: Record<string, string> = {}, id = doc.id) => me.client.media.open(id, { headers });
  const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());

  it('serves byte ranges: the first bytes, a suffix, an open end; several ranges get the whole; none satisfiable is 416', async () => {
    const first = await open({ range: 'bytes=0-9' });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-9/${pdf.length}`);
    expect(first.headers.get('content-length')).toBe('10');
    expect((await bytesOf(first)).equals(pdf.subarray(0, 10))).toBe(true);

    const suffix = await open({ range: 'bytes=-100' });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe(`bytes ${pdf.length - 100}-${pdf.length - 1}/${pdf.length}`);
    expect((await bytesOf(suffix)).equals(pdf.subarray(-100))).toBe(true);

    const rest = await open({ range: 'bytes=500-' });
    expect((await bytesOf(rest)).equals(pdf.subarray(500))).toBe(true);

    const several = await open({ range: 'bytes=0-1,5-6' });
    expect(several.status).toBe(200);
    expect((await bytesOf(several)).equals(pdf)).toBe(true);

    const err = await failure(open({ range: `bytes=${pdf.length}-` }), 416, 'RANGE_NOT_SATISFIABLE');
    expect(err.headers.get('content-range')).toBe(`bytes */${pdf.length}`);
    expect(err.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers 304 to a matching If-None-Match, and ignores a Range whose If-Range no longer matches', async () => {
    const full = await open();
    const etag = full.headers.get('etag') as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    for (const condition of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await open({ 'if-none-match': condition });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
    }
    expect((await open({ 'if-none-match': '"other"' })).status).toBe(200);
    expect((await open({ range: 'bytes=0-9', 'if-range': etag })).status).toBe(206);
    expect((await open({ range: 'bytes=0-9', 'if-range': '"stale"' })).status).toBe(200);
  });

  it('sends headers that keep a browser from running what it gets; images inline, documents as attachments', async () => {
    const image = await open({}, photo.id);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('content-disposition')).toMatch(/^inline; /);
    const document = await open();
    expect(document.headers.get('content-type')).toBe('application/pdf');
    expect(document.headers.get('content-disposition')).toBe(`attachment; filename="notes.pdf"; filename*=UTF-8''notes.pdf`);
    for (const res of [image, document]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe('sandbox');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    }
    const head = await me.client.media.open(doc.id, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(pdf.length));
    expect(head.headers.get('etag')).toBe(document.headers.get('etag'));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves SVG and HTML uploaded as files as downloads, never as a page', async () => {
    for (const [bytes, name] of [
      [files.svg(), 'logo.svg'],
      [files.html(), 'index.html'],
    ] as const) {
      const media = await me.client.media.upload('file', bytes, name);
      const res = await open({}, media.id);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe('sandbox');
    }
  });

  it('never reflects a hostile file name raw into Content-Disposition', async () => {
    const served = async (media: MediaObject) => {
      const res = await open({}, media.id);
      const disposition = res.headers.get('content-disposition');
      expect(disposition).toMatch(SAFE_DISPOSITION);
      expect(res.headers.get('x-injected')).toBeNull();
      return extendedFilename(disposition);
    };
    // fetch and browsers send ", CR and LF in a file name as %22, %0D and %0A.
    const viaForm = await me.client.media.upload('file', pdf, '"evil\r\nX-Injected: 1.pdf');
    expect(viaForm.filename).not.toMatch(/[\r\n]/);
    expect(await served(viaForm)).toBe('"evil X-Injected: 1.pdf');

    // Raw, as RFC 5987 `filename*`: a CR or LF there makes the part no file at all; quotes, `;` and bidi controls are cleaned.
    const postRaw = (filenameStar: string) => {
      const boundary = 'parley-hostile';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfile\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${filenameStar}\r\n\r\n`;
      return fetch(`${ms.stack.url}/api/v1/media`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${me.tokens.accessToken}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body: Buffer.concat([Buffer.from(head), pdf, Buffer.from(`\r\n--${boundary}--\r\n`)]),
      });
    };
    expect((await postRaw('%22evil%0D%0AX-Injected%3A%201.pdf')).status).toBe(400);
    const raw = await postRaw('%22evil%22%3B%20%E2%80%AEfdp.exe%20%E2%9C%93.pdf');
    expect(raw.status).toBe(201);
    const viaRaw = (await raw.json()) as MediaObject;
    expect(viaRaw.filename).toBe('"evil"; fdp.exe ✓.pdf');
    expect(await served(viaRaw)).toBe('"evil"; fdp.exe ✓.pdf');
    expect((await open({}, viaRaw.id)).headers.get('content-disposition')).toMatch(
      /^attachment; filename="_evil_; fdp.exe _.pdf"; /,
    );
  });

  it('reads with a signed URL and no token; an expired or tampered one is 404', async () => {
    const anonymous = ms.client;
    const signed = new URL(doc.signedUrl);
    const res = await anonymous.media.openUrl(doc.signedUrl);
    expect((await bytesOf(res)).equals(pdf)).toBe(true);
    expect(Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1])).toBeGreaterThan(0);

    const sig = signed.searchParams.get('sig') as string;
    const exp = Number(signed.searchParams.get('exp'));
    const variants = {
      expired: `${signed.pathname}?exp=${Math.floor(Date.now() / 1000) - 60}&sig=${sig}`,
      'tampered exp': `${signed.pathname}?exp=${exp + 3600}&sig=${sig}`,
      'tampered sig': `${signed.pathname}?exp=${exp}&sig=${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      'another media': `/api/v1/media/${photo.id}?exp=${exp}&sig=${sig}`,
      'no signature': signed.pathname,
    };
    for (const [what, url] of Object.entries(variants)) {
      const err = await failure(anonymous.media.openUrl(url), 404, 'MEDIA_NOT_FOUND');
      expect(err.problem.detail, what).toBeTruthy();
    }
  });

  it('hides my media from another user (404, as if missing) and deletes it for good', async () => {
    await failure(stranger.client.media.open(doc.id), 404, 'MEDIA_NOT_FOUND');
    await failure(stranger.client.media.delete(doc.id), 404, 'MEDIA_NOT_FOUND');
    await failure(stranger.client.media.open('no-such-media'), 404, 'MEDIA_NOT_FOUND');
    const gone = await me.client.media.upload('file', Buffer.concat([pdf, Buffer.from('% gone\n')]), 'gone.pdf');
    expect(await me.client.media.delete(gone.id)).toBeUndefined();
    await failure(me.client.media.open(gone.id), 404, 'MEDIA_NOT_FOUND');
    await failure(ms.client.media.openUrl(gone.signedUrl), 404, 'MEDIA_NOT_FOUND');
    expect((await me.client.media.list()).items.map((m) => m.id)).not.toContain(gone.id);
  });

  it('makes a WebP thumbnail of an image, served once thumbnailUrl is set', async () => {
    const ready = await waitForMedia(
      () => me.client.media.list({ kind: 'image' }),
      photo.id,
      (m) => m.thumbnailUrl !== null,
    );
    const res = await me.client.media.openUrl(ready.thumbnailUrl as string);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const meta = await sharp(await bytesOf(res)).metadata();
    expect(meta.format).toBe('webp');
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThan(640);
    await failure(stranger.client.media.open(photo.id, { thumbnail: true }), 404, 'MEDIA_NOT_FOUND');
    await failure(me.client.media.open(doc.id, { thumbnail: true }), 404, 'MEDIA_NOT_FOUND');
  });
});
