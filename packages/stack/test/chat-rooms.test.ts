import { randomUUID } from 'node:crypto';
import { ROOM_INITIAL_MEMBERS_MAX, ROOM_NAME_MAX_CHARS } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { expectBadRequest, idOf, roomOf, send } from './support/rooms.ts';

describe('rooms through the gateway', () => {
  let ms: MailStack;
  let alice: Account;
  let bob: Account;
  let carol: Account;
  beforeAll(async () => {
    ms = await startMailStack();
    alice = await registerVerified(ms, newUser('alice'));
    bob = await registerVerified(ms, newUser('bob'));
    carol = await registerVerified(ms, newUser('carol'));
  });
  afterAll(async () => ms?.close());

  it('creates a room I own, with the members I name in it: 201 and the room with its members', async () => {
    const created = await send(alice.client, 'POST', '/rooms', {
      name: 'Weekend trip',
      memberIds: [idOf(bob), idOf(bob), idOf(alice)],
    });
    expect(created.status).toBe(201);
    const room = created.body as unknown as import('@parley/contracts').RoomDetail;
    expect(room).toMatchObject({ name: 'Weekend trip', ownerId: idOf(alice), memberCount: 2 });
    expect(room.members.map((m) => [m.userId, m.role]).sort()).toEqual(
      [
        [idOf(alice), 'owner'],
        [idOf(bob), 'member'],
      ].sort(),
    );
    expect(room.lastActivityAt).toBe(room.createdAt);
    // Bob sees it as Alice does; Carol was not named.
    expect(await bob.client.rooms.get(room.id)).toEqual(room);
    await failure(carol.client.rooms.get(room.id), 404, 'ROOM_NOT_FOUND');
  });

  it('makes no room when a member named is nobody: 404 USER_NOT_FOUND', async () => {
    const owner = await registerVerified(ms, newUser('owner'));
    await failure(owner.client.rooms.create({ name: 'Ghosts', memberIds: [idOf(bob), randomUUID()] }), 404, 'USER_NOT_FOUND');
    expect((await owner.client.rooms.list()).items).toEqual([]);
    expect((await bob.client.rooms.list()).items.map((r) => r.name)).not.toContain('Ghosts');
  });

  it('refuses a bad room with 400 problem+json and makes nothing', async () => {
    const before = await alice.client.rooms.list({ limit: 100 });
    const tooMany = Array.from({ length: ROOM_INITIAL_MEMBERS_MAX + 1 }, () => randomUUID());
    for (const body of [
      {},
      { name: '' },
      { name: '   \t ' },
      { name: 'x'.repeat(ROOM_NAME_MAX_CHARS + 1) },
      { name: 42 },
      { name: 'nul\u0000' },
      { name: 'Ok', colour: 'red' },
      { name: 'Ok', memberIds: idOf(bob) },
      { name: 'Ok', memberIds: [''] },
      { name: 'Ok', memberIds: tooMany },
    ]) {
      await expectBadRequest(send(alice.client, 'POST', '/rooms', body));
    }
    const notJson = await alice.client.raw('POST', '/api/v1/rooms', {
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(await alice.client.rooms.list({ limit: 100 })).toEqual(before);
    // The longest name allowed is fine, kept as written.
    const longest = `  ${'n'.repeat(ROOM_NAME_MAX_CHARS - 2)}`;
    expect((await alice.client.rooms.create({ name: longest })).name).toBe(longest);
  });

  it('asks for a token: 401 without one', async () => {
    await failure(ms.client.rooms.create({ name: 'Anonymous' }), 401, 'UNAUTHORIZED');
    await failure(ms.client.rooms.list(), 401, 'UNAUTHORIZED');
  });

  it('lists my rooms only, most recent activity first, a page at a time', async () => {
    const dave = await registerVerified(ms, newUser('dave'));
    const mine = [];
    for (const name of ['one', 'two', 'three']) mine.push(await roomOf(dave, [], name));
    mine.push(await roomOf(alice, [dave], 'four (Alice’s)'));
    await roomOf(alice, [bob], 'not Dave’s');
    const names = async (query = {}) => (await dave.client.rooms.list(query)).items.map((r) => r.name);
    expect(await names()).toEqual(['four (Alice’s)', 'three', 'two', 'one']);

    // A message makes its room the most recent.
    await dave.client.rooms.post(mine[0]!.id, 'bump');
    expect(await names()).toEqual(['one', 'four (Alice’s)', 'three', 'two']);

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await dave.client.rooms.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      pages.push(page.items.map((r) => r.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages.length < 5);
    expect(pages[0]).toEqual(['one', 'four (Alice’s)', 'three']);
    expect(pages.flat()).toEqual(['one', 'four (Alice’s)', 'three', 'two']);

    await expectBadRequest(send(dave.client, 'GET', '/rooms?cursor=not-a-cursor'), 'BAD_REQUEST');
    await expectBadRequest(send(dave.client, 'GET', '/rooms?limit=0'));
    await expectBadRequest(send(dave.client, 'GET', '/rooms?limit=101'));
  });

  it('shows a room to its members only: to anyone else it is as missing as a room that never was', async () => {
    const room = await roomOf(alice, [bob]);
    const got = await bob.client.rooms.get(room.id);
    expect(got.members.map((m) => m.userId).sort()).toEqual([idOf(alice), idOf(bob)].sort());
    const outsider = await failure(carol.client.rooms.get(room.id), 404, 'ROOM_NOT_FOUND');
    const missing = await failure(carol.client.rooms.get(randomUUID()), 404, 'ROOM_NOT_FOUND');
    expect(outsider.problem.title).toBe(missing.problem.title);
    await failure(carol.client.rooms.get('x'.repeat(65)), 400, 'VALIDATION_FAILED');
  });

  it('lets the owner add members (201 the member), and nobody else', async () => {
    const room = await roomOf(alice);
    const added = await send(alice.client, 'POST', `/rooms/${room.id}/members`, { userId: idOf(bob) });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ userId: idOf(bob), role: 'member' });
    expect((await bob.client.rooms.get(room.id)).memberCount).toBe(2);

    await failure(bob.client.rooms.addMember(room.id, idOf(carol)), 403, 'NOT_ROOM_OWNER');
    await failure(carol.client.rooms.addMember(room.id, idOf(carol)), 404, 'ROOM_NOT_FOUND');
    await failure(alice.client.rooms.addMember(room.id, idOf(bob)), 409, 'ALREADY_MEMBER');
    await failure(alice.client.rooms.addMember(room.id, randomUUID()), 404, 'USER_NOT_FOUND');
    await expectBadRequest(send(alice.client, 'POST', `/rooms/${room.id}/members`, {}));
    await expectBadRequest(send(alice.client, 'POST', `/rooms/${room.id}/members`, { userId: idOf(carol), role: 'owner' }));
    // None of the refusals changed the room.
    expect((await alice.client.rooms.get(room.id)).members.map((m) => m.userId).sort()).toEqual([idOf(alice), idOf(bob)].sort());
  });

  it('lets the owner remove anyone and a member only leave: 204, and the room is gone for them', async () => {
    const room = await roomOf(alice, [bob, carol]);
    await failure(bob.client.rooms.removeMember(room.id, idOf(carol)), 403, 'NOT_ROOM_OWNER');
    await failure(bob.client.rooms.removeMember(room.id, idOf(alice)), 403, 'NOT_ROOM_OWNER');

    const removed = await send(alice.client, 'DELETE', `/rooms/${room.id}/members/${idOf(carol)}`);
    expect([removed.status, removed.body]).toEqual([204, null]);
    await failure(carol.client.rooms.get(room.id), 404, 'ROOM_NOT_FOUND');
    expect((await carol.client.rooms.list({ limit: 100 })).items.map((r) => r.id)).not.toContain(room.id);
    await failure(alice.client.rooms.removeMember(room.id, idOf(carol)), 404, 'MEMBER_NOT_FOUND');

    const left = await send(bob.client, 'DELETE', `/rooms/${room.id}/members/${idOf(bob)}`);
    expect(left.status).toBe(204);
    await failure(bob.client.rooms.get(room.id), 404, 'ROOM_NOT_FOUND');
    await failure(bob.client.rooms.post(room.id, 'still here?'), 404, 'ROOM_NOT_FOUND');
    expect(await alice.client.rooms.get(room.id)).toMatchObject({ memberCount: 1, ownerId: idOf(alice) });
  });

  it('hands the room to the longest-standing member when the owner leaves', async () => {
    const room = await roomOf(alice);
    await alice.client.rooms.addMember(room.id, idOf(bob));
    await alice.client.rooms.addMember(room.id, idOf(carol));
    await alice.client.rooms.removeMember(room.id, idOf(alice));

    const after = await bob.client.rooms.get(room.id);
    expect(after.ownerId).toBe(idOf(bob));
    expect(after.members.map((m) => [m.userId, m.role]).sort()).toEqual(
      [
        [idOf(bob), 'owner'],
        [idOf(carol), 'member'],
      ].sort(),
    );
    // The new owner has the owner's say; the old one is an outsider now.
    await failure(alice.client.rooms.get(room.id), 404, 'ROOM_NOT_FOUND');
    expect((await bob.client.rooms.addMember(room.id, idOf(alice))).role).toBe('member');
    await failure(carol.client.rooms.removeMember(room.id, idOf(alice)), 403, 'NOT_ROOM_OWNER');
  });

  it('documents every rooms route in /openapi.json', async () => {
    const { paths } = await ms.client.ops.openapi();
    const documented = Object.entries(paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /api/v1/rooms',
        'GET /api/v1/rooms',
        'GET /api/v1/rooms/{id}',
        'POST /api/v1/rooms/{id}/members',
        'DELETE /api/v1/rooms/{id}/members/{userId}',
        'POST /api/v1/rooms/{id}/messages',
        'GET /api/v1/rooms/{id}/messages',
        'POST /api/v1/rooms/{id}/attachments',
      ]),
    );
  });

  it('deletes a room its last member leaves', async () => {
    const room = await roomOf(alice, [bob]);
    await alice.client.rooms.post(room.id, 'last words');
    await alice.client.rooms.removeMember(room.id, idOf(alice));
    await bob.client.rooms.removeMember(room.id, idOf(bob));
    for (const someone of [alice, bob]) {
      await failure(someone.client.rooms.get(room.id), 404, 'ROOM_NOT_FOUND');
      await failure(someone.client.rooms.history(room.id), 404, 'ROOM_NOT_FOUND');
      expect((await someone.client.rooms.list({ limit: 100 })).items.map((r) => r.id)).not.toContain(room.id);
    }
  });
});
