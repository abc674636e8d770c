import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, newUser, registerVerified } from './support/accounts.ts';
import { drivers, type MediaStack, startMediaStack } from './support/media.ts';
import * as files from './support/media-files.ts';

describe.each(drivers)('my avatar (BLOB_STORE=%s)', (driver) => {
  let ms: MediaStack;
  let me: Account;
  let friend: Account;
  beforeAll(async () => {
    ms = await startMediaStack(driver);
    [me, friend] = await Promise.all([registerVerified(ms, newUser('face')), registerVerified(ms, newUser('friend'))]);
  });
  afterAll(async () => ms?.close());

  it('sets it from an image: my profile shows it and another user can see it', async () => {
    const png = await files.png(96, 96);
    const { avatarUrl } = await me.client.users.setAvatar(png, 'me.png');
    expect(avatarUrl).toMatch(/^\/api\/v1\/media\/[\w-]+$/);
    expect((await me.client.users.me()).avatarUrl).toBe(avatarUrl);
    expect((await friend.client.users.get(me.tokens.user.id)).avatarUrl).toBe(avatarUrl);

    const seen = await friend.client.media.openUrl(avatarUrl as string);
    expect(seen.headers.get('content-type')).toBe('image/png');
    expect(seen.headers.get('content-disposition')).toMatch(/^inline; /);
    expect(Buffer.from(await seen.arrayBuffer()).equals(png)).toBe(true);

    const mine = await me.client.media.list({ kind: 'avatar' });
    expect(mine.items.map((m) => m.url)).toContain(avatarUrl);
  });

  it('replaces it with a newer one', async () => {
    const first = await me.client.users.setAvatar(await files.jpeg(), 'a.jpg');
    const second = await me.client.users.setAvatar(await files.webp(), 'b.webp');
    expect(second.avatarUrl).not.toBe(first.avatarUrl);
    expect((await me.client.users.me()).avatarUrl).toBe(second.avatarUrl);
    const res = await friend.client.media.openUrl(second.avatarUrl as string);
    expect(res.headers.get('content-type')).toBe('image/webp');
  });

  it('takes only PNG, JPEG or WebP by their bytes (415), up to 5 MB (413), with a token (401)', async () => {
    const before = (await me.client.users.me()).avatarUrl;
    await failure(me.client.users.setAvatar(files.pdf(), 'me.png'), 415, 'UNSUPPORTED_FILE_TYPE');
    await failure(me.client.users.setAvatar(await files.gif(), 'me.gif'), 415, 'UNSUPPORTED_FILE_TYPE');
    await failure(me.client.users.setAvatar(files.svg(), 'me.svg'), 415, 'UNSUPPORTED_FILE_TYPE');
    const big = await files.noisePng(1400);
    const err = await failure(me.client.users.setAvatar(big, 'big.png'), 413, 'FILE_TOO_LARGE');
    expect(err.problem).toMatchObject({ maxBytes: 5 * 1024 * 1024 });
    await failure(me.client.users.setAvatar(files.bombPng(), 'bomb.png'), 413, 'IMAGE_TOO_LARGE');
    await failure(ms.client.users.setAvatar(await files.png(), 'me.png'), 401, 'UNAUTHORIZED');
    expect((await me.client.users.me()).avatarUrl).toBe(before);
  });

  it('is documented as a multipart upload answering 200 {avatarUrl}, 413 or 415', async () => {
    const doc = (await ms.client.ops.openapi()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> }>
      >;
    };
    const put = doc.paths['/api/v1/users/me/avatar']?.put;
    expect(Object.keys(put?.requestBody?.content ?? {})).toEqual(['multipart/form-data']);
    expect(Object.keys(put?.responses ?? {})).toEqual(expect.arrayContaining(['200', '4XX']));
    expect(Object.keys(doc.paths['/api/v1/media']?.post?.requestBody?.content ?? {})).toEqual(['multipart/form-data']);
  });
});
