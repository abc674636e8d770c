import { ChatEndpoints, MESSAGE_MAX_CHARS, type MessageMedia } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatWorld, startChat } from './helpers/harness.ts';

describe('messages', () => {
  let world: ChatWorld;
  beforeAll(async () => {
    world = await startChat();
  });
  afterAll(() => world?.close());

  const media = (id: string): MessageMedia => ({
    id,
    kind: 'file',
    contentType: 'application/pdf',
    size: 2048,
    filename: 'report.pdf',
    url: `/api/v1/media/${id}`,
    thumbnailUrl: null,
  });

  it('stores what a member posts and shows it in the history', async () => {
    const [alice, bob] = [world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(alice, [bob]);
    const text = 'x'.repeat(MESSAGE_MAX_CHARS);
    const message = await world.call(ChatEndpoints.postMessage, { caller: bob, roomId, text });
    expect(message).toMatchObject({ roomId, senderId: bob.userId, text, media: null });
    const history = await world.call(ChatEndpoints.listMessages, { caller: alice, roomId });
    expect(history).toEqual({ items: [message], nextCursor: null });
  });

  it('stores one message per clientMessageId: a repeat gets the stored one back and pushes nothing', async () => {
    const [alice, bob] = [world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(alice, [bob]);
    const first = await world.call(ChatEndpoints.postMessage, { caller: alice, roomId, text: 'once', clientMessageId: 'k-1' });
    expect(first.clientMessageId).toBe('k-1');
    const feedBefore = (await world.feedOf(bob)).length;
    const again = await Promise.all(
      [1, 2, 3].map(() => world.call(ChatEndpoints.postMessage, { caller: alice, roomId, text: 'once', clientMessageId: 'k-1' })),
    );
    expect(again).toEqual([first, first, first]);
    expect((await world.feedOf(bob)).length).toBe(feedBefore);
    // The key is the sender's own: another member may use the same one.
    const bobs = await world.call(ChatEndpoints.postMessage, { caller: bob, roomId, text: 'mine', clientMessageId: 'k-1' });
    expect(bobs.id).not.toBe(first.id);
    const history = await world.call(ChatEndpoints.listMessages, { caller: alice, roomId });
    expect(history.items.map((m) => m.text)).toEqual(['mine', 'once']);
  });

  it('takes an attachment with empty text, but not empty text alone', async () => {
    const alice = world.newUser();
    const { id: roomId } = await world.room(alice);
    const attached = await world.call(ChatEndpoints.postMessage, { caller: alice, roomId, text: '', media: media('m1') });
    expect(attached).toMatchObject({ text: '', media: media('m1') });
    const err = await world.fail(ChatEndpoints.postMessage, { caller: alice, roomId, text: '' });
    expect([err.code, err.status]).toEqual(['VALIDATION_FAILED', 400]);
    const tooLong = await world.fail(ChatEndpoints.postMessage, {
      caller: alice,
      roomId,
      text: 'x'.repeat(MESSAGE_MAX_CHARS + 1),
    });
    expect([tooLong.code, tooLong.status]).toEqual(['VALIDATION_FAILED', 400]);
    expect((await world.call(ChatEndpoints.listMessages, { caller: alice, roomId })).items).toEqual([attached]);
  });

  it('refuses posts and reads from outside the room as if it did not exist', async () => {
    const [alice, outsider] = [world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(alice);
    await world.post(alice, roomId);
    for (const id of [roomId, 'no-such-room']) {
      const post = await world.fail(ChatEndpoints.postMessage, { caller: outsider, roomId: id, text: 'hi' });
      expect([post.code, post.status]).toEqual(['ROOM_NOT_FOUND', 404]);
      const read = await world.fail(ChatEndpoints.listMessages, { caller: outsider, roomId: id });
      expect([read.code, read.status]).toEqual(['ROOM_NOT_FOUND', 404]);
    }
  });

  it('pages the history newest first, by cursor and by message id', async () => {
    const alice = world.newUser();
    const { id: roomId } = await world.room(alice);
    const posted = [];
    for (let i = 1; i <= 7; i++) posted.push(await world.post(alice, roomId, `message ${i}`));
    const newestFirst = posted.map((m) => m.text).reverse();

    const texts: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await world.call(ChatEndpoints.listMessages, {
        caller: alice,
        roomId,
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      texts.push(...page.items.map((m) => m.text));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(texts).toEqual(newestFirst);

    const before = await world.call(ChatEndpoints.listMessages, { caller: alice, roomId, before: posted[4]!.id, limit: 2 });
    expect(before.items.map((m) => m.text)).toEqual(['message 4', 'message 3']);
    const rest = await world.call(ChatEndpoints.listMessages, { caller: alice, roomId, cursor: before.nextCursor! });
    expect(rest).toEqual({ items: [posted[1], posted[0]], nextCursor: null });
    expect((await world.call(ChatEndpoints.listMessages, { caller: alice, roomId, before: posted[0]!.id })).items).toEqual([]);
  });

  it('refuses a cursor or a message id that does not belong to the room', async () => {
    const alice = world.newUser();
    const { id: roomId } = await world.room(alice);
    const { id: otherRoom } = await world.room(alice);
    for (let i = 0; i < 3; i++) await world.post(alice, otherRoom);
    const foreign = await world.call(ChatEndpoints.listMessages, { caller: alice, roomId: otherRoom, limit: 1 });
    const bad = [
      { cursor: 'not-a-cursor' },
      { cursor: foreign.nextCursor! },
      { before: foreign.items[0]!.id },
      { before: 'no-such-message' },
      { before: foreign.items[0]!.id, cursor: foreign.nextCursor! },
    ];
    for (const query of bad) {
      const err = await world.fail(ChatEndpoints.listMessages, { caller: alice, roomId, ...query });
      expect([err.code, err.status]).toEqual(['BAD_REQUEST', 400]);
    }
  });
});
