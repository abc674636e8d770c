import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { png } from './support/media-files.ts';
import { connectReady, expectGapless, type Frame, type WsClient } from './support/ws.ts';

const idOf = (account: Account) => account.tokens.user.id;
const isMessage = (id: string) => (f: Frame) => f.type === 'message.created' && (f.message as { id: string }).id === id;
const isAdded = (roomId: string, userId: string) => (f: Frame) =>
  f.type === 'room.member.added' && f.roomId === roomId && (f.member as { userId: string }).userId === userId;
const isRemoved = (roomId: string, userId: string) => (f: Frame) =>
  f.type === 'room.member.removed' && f.roomId === roomId && f.userId === userId;

describe('pushes reach the members of a room and nobody else', () => {
  let ms: MailStack;
  let a: Account;
  let b: Account;
  let c: Account;
  const sockets: WsClient[] = [];
  const open = async (account: Account) => {
    const { client, hello } = await connectReady(ms.stack.url, account.tokens.accessToken);
    sockets.push(client);
    return { client, hello };
  };
  beforeAll(async () => {
    ms = await startMailStack();
    [a, b, c] = await Promise.all([
      registerVerified(ms, newUser('wsa')),
      registerVerified(ms, newUser('wsb')),
      registerVerified(ms, newUser('wsc')),
    ]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await ms?.close();
  });

  it('a message reaches every member’s socket, numbered, and never an outsider’s', async () => {
    const [sa, sb, sc] = await Promise.all([open(a), open(b), open(c)]);
    const room = await a.client.rooms.create({ name: 'pair', memberIds: [idOf(b)] });
    const message = await a.client.rooms.post(room.id, 'hello B');

    for (const s of [sa, sb]) {
      const got = await s.client.next(isMessage(message.id));
      expect(got).toMatchObject({ type: 'message.created', roomId: room.id, message, seq: expect.any(Number) });
    }
    // C hears of the first thing that concerns it, and nothing before: the message never reached it.
    const other = await b.client.rooms.create({ name: 'with C', memberIds: [] });
    await b.client.rooms.addMember(other.id, idOf(c));
    const first = await sc.client.next((f) => typeof f.seq === 'number');
    expect(first).toMatchObject({ type: 'room.member.added', roomId: other.id, member: { userId: idOf(c) } });
    expect(sc.client.events()).toHaveLength(1);
    for (const s of [sa, sb, sc]) expectGapless(s.client.events(), s.hello.seq as number);
  });

  it('membership changes reach the room, and a removed member hears nothing of it after', async () => {
    const [sa, sb, sc] = await Promise.all([open(a), open(b), open(c)]);
    const room = await a.client.rooms.create({ name: 'three', memberIds: [idOf(b)] });

    await a.client.rooms.addMember(room.id, idOf(c));
    for (const s of [sa, sb, sc]) {
      const added = await s.client.next(isAdded(room.id, idOf(c)));
      expect(added).toMatchObject({ by: idOf(a), room: { id: room.id, name: 'three' }, member: { role: 'member' } });
    }

    await a.client.rooms.removeMember(room.id, idOf(b));
    for (const s of [sa, sb, sc]) {
      expect(await s.client.next(isRemoved(room.id, idOf(b)))).toMatchObject({ by: idOf(a), reason: 'removed' });
    }
    const after = await a.client.rooms.post(room.id, 'B is gone');
    for (const s of [sa, sc]) await s.client.next(isMessage(after.id));

    await c.client.rooms.removeMember(room.id, idOf(c));
    for (const s of [sa, sc]) {
      expect(await s.client.next(isRemoved(room.id, idOf(c)))).toMatchObject({ by: idOf(c), reason: 'left' });
    }

    // What B hears next is about another room: the message after its removal never reached it.
    const elsewhere = await c.client.rooms.create({ name: 'elsewhere', memberIds: [] });
    await c.client.rooms.addMember(elsewhere.id, idOf(b));
    const next = await sb.client.next((f) => typeof f.seq === 'number');
    expect(next).toMatchObject({ type: 'room.member.added', roomId: elsewhere.id });
    expect(sb.client.events().some(isMessage(after.id))).toBe(false);
    for (const s of [sa, sb, sc]) expectGapless(s.client.events(), s.hello.seq as number);
  });

  it('every socket of a user gets the same events with the same seqs', async () => {
    const [first, second] = await Promise.all([open(b), open(b)]);
    const room = await a.client.rooms.create({ name: 'twice', memberIds: [idOf(b)] });
    const message = await a.client.rooms.post(room.id, 'to both of B’s sockets');
    const [x, y] = await Promise.all([first, second].map((s) => s.client.next(isMessage(message.id))));
    expect(x).toEqual(y);
  });

  it('an attachment reaches the members as a message carrying the media, then media.ready once its thumbnail exists', async () => {
    const [sa, sb] = await Promise.all([open(a), open(b)]);
    const room = await a.client.rooms.create({ name: 'pictures', memberIds: [idOf(b)] });
    const { message, media } = await a.client.rooms.attach(room.id, 'image', await png(), 'photo.png');
    for (const s of [sa, sb]) {
      const created = await s.client.next(isMessage(message.id));
      expect(created).toMatchObject({ roomId: room.id, message: { media: { id: media.id, kind: 'image', url: media.url } } });
      const ready = await s.client.next((f) => f.type === 'media.ready' && f.mediaId === media.id, 30_000);
      expect(ready).toMatchObject({ roomId: room.id, thumbnailUrl: expect.any(String) });
    }
    // The thumbnail it names is there for a member to read.
    const thumbnail = await b.client.media.open(media.id, { thumbnail: true });
    expect(thumbnail.status).toBe(200);
  });
});
