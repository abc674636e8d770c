import { randomUUID } from 'node:crypto';
import { MESSAGE_MAX_CHARS, type Message } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { expectBadRequest, idOf, roomOf, send } from './support/rooms.ts';

describe('messages in rooms through the gateway', () => {
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

  it('posts a message: 201, stored, and every member reads it in the history', async () => {
    const room = await roomOf(alice, [bob]);
    const posted = await send(alice.client, 'POST', `/rooms/${room.id}/messages`, { text: 'hello, Bob' });
    expect(posted.status).toBe(201);
    const message = posted.body as unknown as Message;
    expect(message).toMatchObject({ roomId: room.id, senderId: idOf(alice), text: 'hello, Bob', media: null });
    expect(Date.parse(message.createdAt)).not.toBeNaN();
    expect((await bob.client.rooms.history(room.id)).items).toEqual([message]);
    expect((await alice.client.rooms.history(room.id)).items).toEqual([message]);
    // Posting counts as activity: the room's time is the message's.
    expect((await bob.client.rooms.get(room.id)).lastActivityAt).toBe(message.createdAt);
  });

  it('posts once per clientMessageId, so a client may retry after a timeout without a double', async () => {
    const room = await roomOf(alice, [bob]);
    const key = randomUUID();
    const first = await alice.client.rooms.post(room.id, 'are you there?', key);
    const retried = await alice.client.rooms.post(room.id, 'are you there?', key);
    expect(retried).toEqual(first);
    expect(first.clientMessageId).toBe(key);
    expect((await bob.client.rooms.history(room.id)).items).toEqual([first]);
    await expectBadRequest(send(alice.client, 'POST', `/rooms/${room.id}/messages`, { text: 'x', clientMessageId: 'has space' }));
  });

  it('keeps the text exactly as written, up to MESSAGE_MAX_CHARS', async () => {
    const room = await roomOf(alice, [bob]);
    const texts = [
      '  héllo 👋 <b>not html</b>\n\tsecond line  ',
      'x'.repeat(MESSAGE_MAX_CHARS),
      '"quoted" \\ backslash \u0007 bell',
    ];
    for (const text of texts) await alice.client.rooms.post(room.id, text);
    const history = (await bob.client.rooms.history(room.id)).items.map((m) => m.text);
    expect(history).toEqual([...texts].reverse());
  });

  it('refuses a bad message with 400 problem+json and stores nothing', async () => {
    const room = await roomOf(alice, [bob]);
    const path = `/rooms/${room.id}/messages`;
    for (const body of [
      {},
      { text: '' },
      { text: ' \n\t ' },
      { text: 'x'.repeat(MESSAGE_MAX_CHARS + 1) },
      { text: 7 },
      { text: 'nul \u0000 inside' },
      { text: 'hi', media: { id: 'sneaky' } },
      { text: 'hi', senderId: idOf(bob) },
    ]) {
      await expectBadRequest(send(alice.client, 'POST', path, body));
    }
    expect((await alice.client.rooms.history(room.id)).items).toEqual([]);
  });

  it('keeps a room’s messages to its members: an outsider posts and reads nothing (404, as for no room)', async () => {
    const room = await roomOf(alice, [bob]);
    await alice.client.rooms.post(room.id, 'members only');
    await failure(carol.client.rooms.post(room.id, 'let me in'), 404, 'ROOM_NOT_FOUND');
    await failure(carol.client.rooms.history(room.id), 404, 'ROOM_NOT_FOUND');
    await failure(carol.client.rooms.post(randomUUID(), 'anyone?'), 404, 'ROOM_NOT_FOUND');
    await failure(carol.client.rooms.history(randomUUID()), 404, 'ROOM_NOT_FOUND');
    expect((await bob.client.rooms.history(room.id)).items.map((m) => m.text)).toEqual(['members only']);
  });

  it('pages the history newest first: `limit`, then `cursor` or `before` for older ones', async () => {
    const room = await roomOf(alice, [bob]);
    const posted: Message[] = [];
    for (let i = 1; i <= 7; i++) posted.push(await (i % 2 ? alice : bob).client.rooms.post(room.id, `m${i}`));
    const texts = (items: Message[]) => items.map((m) => m.text);

    expect(texts((await bob.client.rooms.history(room.id)).items)).toEqual(['m7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1']);

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await bob.client.rooms.history(room.id, { limit: 3, ...(cursor ? { cursor } : {}) });
      pages.push(texts(page.items));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages.length < 5);
    expect(pages.slice(0, 3)).toEqual([['m7', 'm6', 'm5'], ['m4', 'm3', 'm2'], ['m1']]);
    expect(pages.flat()).toHaveLength(7);

    const m5 = posted[4] as Message;
    expect(texts((await bob.client.rooms.history(room.id, { before: m5.id })).items)).toEqual(['m4', 'm3', 'm2', 'm1']);
    expect(texts((await bob.client.rooms.history(room.id, { before: m5.id, limit: 2 })).items)).toEqual(['m4', 'm3']);
    expect((await bob.client.rooms.history(room.id, { before: (posted[0] as Message).id })).items).toEqual([]);
  });

  it('says 400 to a cursor or `before` it never handed out, or one of another room', async () => {
    const room = await roomOf(alice, [bob]);
    const other = await roomOf(alice, [bob]);
    await alice.client.rooms.post(room.id, 'a');
    await alice.client.rooms.post(room.id, 'b');
    const elsewhere = await alice.client.rooms.post(other.id, 'elsewhere');
    const { nextCursor } = await bob.client.rooms.history(room.id, { limit: 1 });
    expect(nextCursor).toEqual(expect.any(String));

    const path = `/rooms/${room.id}/messages`;
    await expectBadRequest(send(bob.client, 'GET', `${path}?cursor=not-a-cursor`), 'BAD_REQUEST');
    await expectBadRequest(send(bob.client, 'GET', `${path}?before=${randomUUID()}`), 'BAD_REQUEST');
    await expectBadRequest(send(bob.client, 'GET', `${path}?before=${elsewhere.id}`), 'BAD_REQUEST');
    await expectBadRequest(send(bob.client, 'GET', `/rooms/${other.id}/messages?cursor=${nextCursor}`), 'BAD_REQUEST');
    await expectBadRequest(send(bob.client, 'GET', `${path}?limit=0`));
    await expectBadRequest(send(bob.client, 'GET', `${path}?limit=101`));
    await expectBadRequest(send(bob.client, 'GET', `${path}?limit=ten`));
    // The cursor it did hand out still works.
    expect((await bob.client.rooms.history(room.id, { cursor: nextCursor as string })).items.map((m) => m.text)).toEqual(['a']);
  });
});
