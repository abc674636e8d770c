import { randomUUID } from 'node:crypto';
import type { UploadKind } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, newUser, registerVerified } from './support/accounts.ts';
import { drivers, listedMedia, type MediaStack, sha256, startMediaStack, waitForThumbnails } from './support/media.ts';
import * as files from './support/media-files.ts';
import { streamUpload } from './support/media-http.ts';

const MiB = 1024 * 1024;

describe.each(drivers)('uploads checked by their bytes (BLOB_STORE=%s)', (driver) => {
  let ms: MediaStack;
  let me: Account;
  beforeAll(async () => {
    ms = await startMediaStack(driver);
    me = await registerVerified(ms, newUser('uploader'));
  });
  afterAll(async () => ms?.close());

  const accepted: [UploadKind, string, () => Buffer | Promise<Buffer>, string][] = [
    ['image', 'photo.png', () => files.png(), 'image/png'],
    ['image', 'photo.jpg', () => files.jpeg(), 'image/jpeg'],
    ['image', 'photo.gif', () => files.gif(), 'image/gif'],
    ['image', 'photo.webp', () => files.webp(), 'image/webp'],
    ['sticker', 'sticker.webp', () => files.webp(32, 32), 'image/webp'],
    ['voice', 'note.wav', () => files.wav(), 'audio/wav'],
    ['voice', 'note.opus', () => files.oggOpus(), 'audio/ogg'],
    ['file', 'report.pdf', () => files.pdf(), 'application/pdf'],
  ];
  it.each(accepted)('takes a real %s (%s) and records the type its bytes have', async (kind, name, make, type) => {
    const bytes = await make();
    const media = await me.client.media.upload(kind, bytes, name);
    expect(media).toMatchObject({ kind, contentType: type, size: bytes.length, filename: name, ownerId: me.tokens.user.id });
    expect(media.url).toBe(`/api/v1/media/${media.id}`);
    expect(Buffer.from(await me.client.media.bytes(media.id)).equals(bytes)).toBe(true);
    expect(await ms.blobs.stat(sha256(bytes))).toEqual({ size: bytes.length });
  });

  it('decides the type from the bytes: a PDF named x.png is no image (415); a PNG declared as JPEG is stored as PNG', async () => {
    const err = await failure(
      me.client.media.upload('image', new Blob([files.pdf()], { type: 'image/png' }), 'x.png'),
      415,
      'UNSUPPORTED_FILE_TYPE',
    );
    expect(err.problem.detail).toMatch(/application\/pdf/);
    const png = await files.png(20, 20);
    const media = await me.client.media.upload('image', new Blob([png], { type: 'image/jpeg' }), 'lies.jpg');
    expect(media.contentType).toBe('image/png');
    const res = await me.client.media.open(media.id);
    expect(res.headers.get('content-type')).toBe('image/png');
    await failure(me.client.media.upload('sticker', await files.jpeg(), 'sticker.jpg'), 415, 'UNSUPPORTED_FILE_TYPE');
    await failure(me.client.media.upload('voice', await files.png(), 'voice.ogg'), 415, 'UNSUPPORTED_FILE_TYPE');
  });

  it('never takes SVG or HTML as an image: they have no signature, so only `file` takes them, as octet-stream', async () => {
    await failure(me.client.media.upload('image', files.svg(), 'logo.svg'), 415, 'UNSUPPORTED_FILE_TYPE');
    await failure(me.client.media.upload('sticker', files.html(), 'page.png'), 415, 'UNSUPPORTED_FILE_TYPE');
    const asFile = await me.client.media.upload('file', files.svg(), 'logo.svg');
    expect(asFile.contentType).toBe('application/octet-stream');
  });

  it('refuses a sticker over 1 MB with 413 FILE_TOO_LARGE and keeps nothing of it', async () => {
    const big = await files.noisePng(700);
    expect(big.length).toBeGreaterThan(MiB);
    await waitForThumbnails(me.client);
    const before = await listedMedia(me.client);
    const stored = await ms.storeFingerprint();
    const err = await failure(me.client.media.upload('sticker', big, 'huge.png'), 413, 'FILE_TOO_LARGE');
    expect(err.problem).toMatchObject({ maxBytes: MiB });
    expect(await listedMedia(me.client)).toEqual(before);
    expect(await ms.storeFingerprint()).toBe(stored);
    expect(await ms.blobs.stat(sha256(big))).toBeNull();
    // The same bytes are fine as an image (10 MB).
    expect((await me.client.media.upload('image', big, 'huge.png')).size).toBe(big.length);
  });

  it('answers a client still sending past the limit at once, reads on only a bounded amount, then closes', async () => {
    const total = 256 * MiB;
    await waitForThumbnails(me.client);
    const stored = await ms.storeFingerprint();
    const run = await streamUpload({
      url: `${ms.stack.url}/api/v1/media`,
      token: me.tokens.accessToken,
      kind: 'sticker',
      head: await files.png(),
      total,
      keepSending: true,
    });
    expect(run.status).toBe(413);
    expect(run.body).toMatchObject({ code: 'FILE_TOO_LARGE', maxBytes: MiB });
    // The answer came while the client was still sending, long before the end of its file…
    expect(run.sentAtAnswer).toBeLessThan(total);
    // …and the gateway did not read the rest of it: it closed the connection.
    expect(run.cutOff).toBe(true);
    expect(run.sent).toBeLessThan(total);
    expect(await ms.storeFingerprint()).toBe(stored);
  });

  it('stores the same bytes once: two uploads, two media, one blob', async () => {
    const other = await registerVerified(ms, newUser('twin'));
    const bytes = Buffer.concat([files.pdf(), Buffer.from(`% ${randomUUID()}\n`)]);
    await waitForThumbnails(me.client);
    const a = await me.client.media.upload('file', bytes, 'a.pdf');
    const once = await ms.storeFingerprint();
    const b = await other.client.media.upload('file', bytes, 'b.pdf');
    expect(a.id).not.toBe(b.id);
    expect(await ms.storeFingerprint()).toBe(once);
    expect(await ms.blobs.stat(sha256(bytes))).toEqual({ size: bytes.length });
    const tags = await Promise.all([me.client.media.open(a.id), other.client.media.open(b.id)]);
    expect(tags.map((r) => r.headers.get('etag'))).toEqual([`"${sha256(bytes)}"`, `"${sha256(bytes)}"`]);
  });

  it('refuses a decompression bomb from its header: 413 IMAGE_TOO_LARGE, nothing kept', async () => {
    const bomb = files.bombPng();
    expect(bomb.length).toBeLessThan(1024);
    await waitForThumbnails(me.client);
    const stored = await ms.storeFingerprint();
    const err = await failure(me.client.media.upload('image', bomb, 'bomb.png'), 413, 'IMAGE_TOO_LARGE');
    expect(err.problem.detail).toBeTruthy();
    expect(await ms.blobs.stat(sha256(bomb))).toBeNull();
    expect(await ms.storeFingerprint()).toBe(stored);
  });

  it('wants a multipart form: `kind` (one it knows, before the file) and a `file` part', async () => {
    const post = (body: unknown, client = me.client) => client.raw('POST', '/api/v1/media', { body });
    const code = async (res: Response) => ((await res.json()) as { code: string }).code;
    const json = await post({ kind: 'file' });
    expect([json.status, await code(json)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const form = (...parts: [string, string | Blob][]) => {
      const f = new FormData();
      for (const [name, value] of parts) f.append(name, value);
      return f;
    };
    const pdf = new Blob([files.pdf()]);
    const avatar = await post(form(['kind', 'avatar'], ['file', pdf]));
    expect([avatar.status, await code(avatar)]).toEqual([400, 'VALIDATION_FAILED']);
    const late = await post(form(['file', pdf], ['kind', 'file']));
    expect([late.status, await code(late)]).toEqual([400, 'BAD_REQUEST']);
    const noFile = await post(form(['kind', 'file']));
    expect([noFile.status, await code(noFile)]).toEqual([400, 'BAD_REQUEST']);
    const byQuery = await me.client.raw('POST', '/api/v1/media?kind=file', { body: form(['file', pdf]) });
    expect(byQuery.status).toBe(201);
    await failure(ms.client.media.upload('file', files.pdf(), 'x.pdf'), 401, 'UNAUTHORIZED');
  });
});
