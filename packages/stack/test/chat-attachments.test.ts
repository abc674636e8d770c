import { randomUUID } from 'node:crypto';
import { type AttachmentReply, ChatEndpoints, type Message, type RoomDetail, type UploadKind } from '@parley/contracts';
import type { Static } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, newUser, pollUntil, registerVerified } from './support/accounts.ts';
import { listedMedia, type MediaStack, startMediaStack, waitForThumbnails } from './support/media.ts';
import * as files from './support/media-files.ts';
import { streamUpload } from './support/media-http.ts';
import { idOf, roomOf } from './support/rooms.ts';

const MiB = 1024 * 1024;
const path = (roomId: string) => `/api/v1/rooms/${encodeURIComponent(roomId)}/attachments`;
const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());

describe('attachments: a file stored in the room and posted as a message', () => {
  let ms: MediaStack;
  let alice: Account;
  let bob: Account;
  let carol: Account;
  let room: RoomDetail;
  beforeAll(async () => {
    ms = await startMediaStack('fs');
    alice = await registerVerified(ms, newUser('alice'));
    bob = await registerVerified(ms, newUser('bob'));
    carol = await registerVerified(ms, newUser('carol'));
    room = await roomOf(alice, [bob], 'Photos');
  });
  afterAll(async () => ms?.close());

  const history = async (roomId = room.id) => (await alice.client.rooms.history(roomId, { limit: 100 })).items;
  /** Thumbnails land in the store in the background: what it holds is compared once they are all in. */
  const settledStore = async () => {
    for (const someone of [alice, bob, carol]) await waitForThumbnails(someone.client);
    return ms.storeFingerprint();
  };

  it('refuses an outsider, or a room that is not there, with 404 before reading the file, and keeps nothing', async () => {
    const stored = await settledStore();
    const before = await history();
    await failure(carol.client.rooms.attach(room.id, 'file', files.pdf(), 'in.pdf'), 404, 'ROOM_NOT_FOUND');
    await failure(carol.client.rooms.attach(randomUUID(), 'file', files.pdf(), 'in.pdf'), 404, 'ROOM_NOT_FOUND');
    await failure(bob.client.rooms.attach('r'.repeat(65), 'file', files.pdf(), 'in.pdf'), 404, 'ROOM_NOT_FOUND');

    // A big file (under the 100 MiB a `file` may be) is answered while it is still being sent, and the
    // gateway stops reading it: the room was checked before the bytes.
    const total = 64 * MiB;
    const run = await streamUpload({
      url: `${ms.stack.url}${path(room.id)}`,
      token: carol.tokens.accessToken,
      kind: 'file',
      head: files.pdf(),
      total,
      keepSending: true,
    });
    expect(run.status).toBe(404);
    expect(run.body).toMatchObject({ code: 'ROOM_NOT_FOUND' });
    expect(run.sentAtAnswer).toBeLessThan(total);
    expect(run.sent).toBeLessThan(total);

    expect((await carol.client.media.list()).items).toEqual([]);
    expect(await history()).toEqual(before);
    expect(await ms.storeFingerprint()).toBe(stored);
  });

  const kinds: [UploadKind, string, () => Buffer | Promise<Buffer>, string][] = [
    ['image', 'beach.jpg', () => files.jpeg(), 'image/jpeg'],
    ['sticker', 'wave.webp', () => files.webp(32, 32), 'image/webp'],
    ['voice', 'hello.opus', () => files.oggOpus(), 'audio/ogg'],
    ['voice', 'hello.wav', () => files.wav(), 'audio/wav'],
    ['file', 'plan.pdf', () => files.pdf(), 'application/pdf'],
  ];
  it.each(kinds)(
    'posts a real %s (%s) as a message whose media the members read and outsiders do not',
    async (kind, name, make, type) => {
      const bytes = await make();
      const { message, media } = await bob.client.rooms.attach(room.id, kind, bytes, name);
      expect(media).toMatchObject({
        kind,
        contentType: type,
        size: bytes.length,
        filename: name,
        ownerId: idOf(bob),
        roomId: room.id,
      });
      expect(message).toMatchObject({
        roomId: room.id,
        senderId: idOf(bob),
        text: '',
        media: { id: media.id, kind, contentType: type, size: bytes.length, filename: name, url: media.url },
      });
      expect(media.url).toBe(`/api/v1/media/${media.id}`);

      const shown = (await history()).find((m) => m.id === message.id);
      expect(shown?.media?.url).toBe(media.url);
      expect(await bytesOf(await alice.client.media.openUrl(media.url))).toEqual(bytes);
      await failure(carol.client.media.openUrl(media.url), 404, 'MEDIA_NOT_FOUND');
    },
  );

  it('answers 201 with the media URL as Location; `?kind=` names the kind as well as the form field', async () => {
    const form = new FormData();
    form.append('file', new Blob([files.pdf()]), 'minutes.pdf');
    const res = await bob.client.raw('POST', `${path(room.id)}?kind=file`, { body: form });
    expect(res.status).toBe(201);
    const reply = (await res.json()) as Static<typeof AttachmentReply>;
    expect(res.headers.get('location')).toBe(reply.media.url);
    expect(reply.message.media).toMatchObject({ id: reply.media.id, kind: 'file', filename: 'minutes.pdf' });
  });

  it('refuses bytes its kind does not take (415) and posts nothing', async () => {
    const before = { history: await history(), media: await listedMedia(bob.client) };
    await failure(bob.client.rooms.attach(room.id, 'sticker', await files.jpeg(), 'sticker.jpg'), 415, 'UNSUPPORTED_FILE_TYPE');
    await failure(bob.client.rooms.attach(room.id, 'image', files.pdf(), 'photo.png'), 415, 'UNSUPPORTED_FILE_TYPE');
    await failure(bob.client.rooms.attach(room.id, 'voice', await files.png(), 'voice.ogg'), 415, 'UNSUPPORTED_FILE_TYPE');
    expect({ history: await history(), media: await listedMedia(bob.client) }).toEqual(before);
  });

  it('refuses a file over its kind’s limit (413) and posts nothing', async () => {
    const big = await files.noisePng(700);
    expect(big.length).toBeGreaterThan(MiB);
    const stored = await settledStore();
    const before = { history: await history(), media: await listedMedia(bob.client) };
    const err = await failure(bob.client.rooms.attach(room.id, 'sticker', big, 'huge.png'), 413, 'FILE_TOO_LARGE');
    expect(err.problem).toMatchObject({ maxBytes: MiB });
    expect({ history: await history(), media: await listedMedia(bob.client) }).toEqual(before);
    expect(await ms.storeFingerprint()).toBe(stored);
  });

  it('wants a multipart form with a kind it knows, and a token', async () => {
    const before = await history();
    const post = async (body: unknown, client = bob.client) => {
      const res = await client.raw('POST', path(room.id), { body });
      return [res.status, ((await res.json()) as { code: string }).code];
    };
    const form = (...parts: [string, string | Blob][]) => {
      const f = new FormData();
      for (const [name, value] of parts) f.append(name, value);
      return f;
    };
    const pdf = new Blob([files.pdf()]);
    expect(await post({ kind: 'file' })).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await post(form(['kind', 'avatar'], ['file', pdf]))).toEqual([400, 'VALIDATION_FAILED']);
    expect(await post(form(['file', pdf]))).toEqual([400, 'BAD_REQUEST']);
    expect(await post(form(['kind', 'file']))).toEqual([400, 'BAD_REQUEST']);
    expect(await post(form(['kind', 'file'], ['file', pdf]), ms.client)).toEqual([401, 'UNAUTHORIZED']);
    expect(await history()).toEqual(before);
  });

  it('shows the image’s thumbnail in the history once it is made', async () => {
    const { message, media } = await bob.client.rooms.attach(room.id, 'image', await files.png(320, 200), 'wide.png');
    let shown: Message | undefined;
    const took = await pollUntil(async () => {
      shown = (await history()).find((m) => m.id === message.id);
      return typeof shown?.media?.thumbnailUrl === 'string';
    }, 20_000);
    expect(took, `no thumbnailUrl in the history: ${JSON.stringify(shown)}`).toBeDefined();
    expect(shown?.media?.thumbnailUrl).toBe(`/api/v1/media/${media.id}/thumbnail`);
    const thumbnail = await alice.client.media.openUrl(shown?.media?.thumbnailUrl as string);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
  });

  it('stops showing a room’s attachments to a member once they are removed', async () => {
    const shared = await roomOf(alice, [bob, carol], 'Shared');
    const { media } = await bob.client.rooms.attach(shared.id, 'file', files.pdf(), 'shared.pdf');
    expect((await carol.client.media.openUrl(media.url)).status).toBe(200);
    await alice.client.rooms.removeMember(shared.id, idOf(carol));
    await failure(carol.client.media.openUrl(media.url), 404, 'MEDIA_NOT_FOUND');
    expect((await alice.client.media.openUrl(media.url)).status).toBe(200);
  });
});

describe('an attachment whose message cannot be posted', () => {
  let ms: MediaStack;
  let bob: Account;
  beforeAll(async () => {
    ms = await startMediaStack('fs');
    bob = await registerVerified(ms, newUser('bob'));
  });
  afterAll(async () => ms?.close());

  it('is deleted again: the answer is the failure, and nothing is left in my media', async () => {
    // chat-notify goes away after saying Bob is a member: the upload is admitted and stored, the message cannot be posted.
    const gateway = ms.stack.gateway.parley.bus;
    gateway.serve(ChatEndpoints.membership, () => ({ member: true }), { queue: 'membership-stand-in' });
    await ms.stack.services.get('chat-notify')?.close();

    await failure(bob.client.rooms.attach(randomUUID(), 'file', files.pdf(), 'lost.pdf'), 503, 'SERVICE_UNAVAILABLE');
    expect((await bob.client.media.list()).items).toEqual([]);
  });
});
