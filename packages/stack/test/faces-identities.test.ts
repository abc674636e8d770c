import { FaceRoutes, IDENTITY_NAME_MAX_CHARS, PHOTOS_PER_REQUEST_MAX } from '@parley/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { landscape, portrait, scratchFiles } from './support/faces.ts';
import * as files from './support/media-files.ts';

const MiB = 1024 * 1024;

// Nothing here reaches face inference: identities, and the requests the gateway refuses itself.
describe('face library: identities and the refusals of the photo routes', () => {
  let ms: MailStack;
  let a: Account;
  let b: Account;
  beforeAll(async () => {
    ms = await startMailStack();
    [a, b] = await Promise.all([registerVerified(ms, newUser('alice')), registerVerified(ms, newUser('bob'))]);
  });
  afterAll(async () => ms?.close());
  afterEach(async () => {
    expect(await scratchFiles()).toEqual([]);
  });

  it('creates (201), lists (200) and deletes (204) my identities', async () => {
    const created = await a.client.faces.createIdentity('Penny');
    expect(created).toEqual({ id: expect.any(String), name: 'Penny', photoCount: 0, createdAt: expect.any(String) });
    const res = await a.client.raw('POST', '/api/v1/faces/identities', { body: { name: 'Leonard' } });
    expect(res.status).toBe(201);
    const leonard = (await res.json()) as { id: string };
    const names = (await a.client.faces.listIdentities()).items.map((i) => i.name);
    expect(names.sort()).toEqual(['Leonard', 'Penny']);
    expect((await a.client.raw('DELETE', `/api/v1/faces/identities/${leonard.id}`)).status).toBe(204);
    expect((await a.client.faces.listIdentities()).items.map((i) => i.id)).toEqual([created.id]);
    await failure(a.client.faces.deleteIdentity(leonard.id), 404, 'IDENTITY_NOT_FOUND');
  });

  it('refuses a bad name with 400', async () => {
    const bad: unknown[] = [{}, { name: '' }, { name: '   ' }, { name: 'x'.repeat(IDENTITY_NAME_MAX_CHARS + 1) }, { name: 7 }];
    for (const body of bad) {
      await failure(a.client.call(FaceRoutes.createIdentity, { body: body as { name: string } }), 400, 'VALIDATION_FAILED');
    }
    await failure(
      a.client.call(FaceRoutes.createIdentity, { body: { name: 'Amy', extra: 1 } as { name: string } }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('keeps libraries private: another user’s identity is not in my list, and is 404 to add to or delete', async () => {
    const hers = await a.client.faces.createIdentity('Howard');
    expect((await b.client.faces.listIdentities()).items).toEqual([]);
    await failure(b.client.faces.deleteIdentity(hers.id), 404, 'IDENTITY_NOT_FOUND');
    await failure(b.client.faces.addPhotos(hers.id, [await portrait('howard', 1)]), 404, 'IDENTITY_NOT_FOUND');
    await failure(b.client.faces.addPhotos('x'.repeat(65), [await portrait('howard', 1)]), 404, 'IDENTITY_NOT_FOUND');
    expect((await a.client.faces.listIdentities()).items.map((i) => i.id)).toContain(hers.id);
  });

  it('answers 401 without a token, on every face route', async () => {
    const form = new FormData();
    form.append('file', new Blob([(await landscape()).bytes]), 'sky.png');
    const anon = ms.client;
    const calls: [string, string, unknown][] = [
      ['POST', '/api/v1/faces/identities', { name: 'Raj' }],
      ['GET', '/api/v1/faces/identities', undefined],
      ['DELETE', '/api/v1/faces/identities/abc', undefined],
      ['POST', '/api/v1/faces/identities/abc/photos', form],
      ['POST', '/api/v1/faces/search', form],
    ];
    for (const [method, path, body] of calls) {
      const res = await anon.raw(method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path}`).toBe(401);
      await res.arrayBuffer();
    }
  });

  it('refuses a search photo that is no image with 415, naming what its bytes are', async () => {
    const err = await failure(a.client.faces.search(Buffer.from('just some words\n'), 'notes.txt'), 415, 'UNSUPPORTED_FILE_TYPE');
    expect(err.problem.detail).toMatch(/image\/png/);
    await failure(a.client.faces.search(files.pdf(), 'face.png'), 415, 'UNSUPPORTED_FILE_TYPE');
  });

  it('refuses a photo over the image limit with 413, for search and for enrolment (the whole request)', async () => {
    const big = await files.noisePng(2_000);
    expect(big.length).toBeGreaterThan(10 * MiB);
    const err = await failure(a.client.faces.search(big, 'big.png'), 413, 'FILE_TOO_LARGE');
    expect(err.problem).toMatchObject({ maxBytes: 10 * MiB });
    const id = (await a.client.faces.createIdentity('Sheldon')).id;
    const sky = await landscape();
    const refused = await failure(
      a.client.faces.addPhotos(id, [sky, { bytes: big, filename: 'big.png' }]),
      413,
      'FILE_TOO_LARGE',
    );
    expect(refused.problem).toMatchObject({ file: 'big.png' });
    expect((await a.client.faces.listIdentities()).items.find((i) => i.id === id)?.photoCount).toBe(0);
  });

  it(`takes at most ${PHOTOS_PER_REQUEST_MAX} photos a request (413), and needs a form with a \`file\` (400, 415)`, async () => {
    const id = (await a.client.faces.createIdentity('Stuart')).id;
    const sky = await landscape();
    const many = Array.from({ length: PHOTOS_PER_REQUEST_MAX + 1 }, (_, i) => ({ ...sky, filename: `sky${i}.png` }));
    await failure(a.client.faces.addPhotos(id, many), 413, 'PAYLOAD_TOO_LARGE');
    await failure(a.client.faces.addPhotos(id, []), 400, 'BAD_REQUEST');
    const photos = `/api/v1/faces/identities/${id}/photos`;
    const wrong = new FormData();
    wrong.append('picture', new Blob([sky.bytes]), 'sky.png');
    await expectProblem(a.client.raw('POST', photos, { body: wrong }), 400, 'BAD_REQUEST');
    await expectProblem(a.client.raw('POST', photos, { body: { file: 'x' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectProblem(a.client.raw('POST', '/api/v1/faces/search', { body: { file: 'x' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

const expectProblem = async (response: Promise<Response>, status: number, code: string): Promise<void> => {
  const res = await response;
  const body = (await res.json()) as { code?: string };
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
};
