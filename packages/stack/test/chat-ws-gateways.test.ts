import { WsCloseCodes } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { connectReady, type Frame, type WsClient } from './support/ws.ts';

const isMessage = (id: string) => (f: Frame) => f.type === 'message.created' && (f.message as { id: string }).id === id;

// On NATS when NATS_URL is set, on the in-process hub otherwise: the gateways share only the bus.
describe('two gateways over one bus', () => {
  let ms: MailStack;
  let second: { url: string; app: import('fastify').FastifyInstance };
  let a: Account;
  let b: Account;
  let roomId: string;
  const sockets: WsClient[] = [];
  beforeAll(async () => {
    ms = await startMailStack();
    second = await ms.stack.addGateway();
    [a, b] = await Promise.all([registerVerified(ms, newUser('gwa')), registerVerified(ms, newUser('gwb'))]);
    roomId = (await a.client.rooms.create({ name: 'across', memberIds: [b.tokens.user.id] })).id;
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await ms?.close();
  });

  it('a message posted through gateway 1 reaches a socket on gateway 2', async () => {
    const { client: onSecond } = await connectReady(second.url, b.tokens.accessToken);
    sockets.push(onSecond);
    const message = await a.client.rooms.post(roomId, 'over HTTP on gateway 1');
    expect(await onSecond.next(isMessage(message.id))).toMatchObject({ roomId, message: { text: 'over HTTP on gateway 1' } });
  });

  it('a message.send on a socket of gateway 1 is answered there and pushed to gateway 2', async () => {
    const [{ client: onFirst }, { client: onSecond }] = await Promise.all([
      connectReady(ms.stack.url, a.tokens.accessToken),
      connectReady(second.url, b.tokens.accessToken),
    ]);
    sockets.push(onFirst, onSecond);
    onFirst.send({ type: 'message.send', roomId, text: 'over the socket', ref: 'm1' });
    const sent = await onFirst.next((f) => f.type === 'message.sent');
    expect(sent).toMatchObject({ ref: 'm1', message: { roomId, text: 'over the socket', senderId: a.tokens.user.id } });
    const id = (sent.message as { id: string }).id;
    // The sender's own socket gets the numbered event too, before or after the reply.
    const onA = onFirst.frames.find(isMessage(id)) ?? (await onFirst.next(isMessage(id)));
    const onB = await onSecond.next(isMessage(id));
    expect(onB.message).toEqual(sent.message);
    expect(onA.message).toEqual(sent.message);
    // The history has it too: it was stored, not only pushed.
    const history = await b.client.rooms.history(roomId, { limit: 1 });
    expect(history.items[0]?.id).toBe(id);
  });

  it('a gateway that shuts down tells its sockets to reconnect elsewhere (1001), and they resume there', async () => {
    const third = await ms.stack.addGateway();
    const { client: onThird } = await connectReady(third.url, b.tokens.accessToken);
    const before = await a.client.rooms.post(roomId, 'before the shutdown');
    const last = (await onThird.next(isMessage(before.id))).seq as number;

    await third.app.close();
    expect((await onThird.closed).code).toBe(WsCloseCodes.GOING_AWAY);

    const missed = await a.client.rooms.post(roomId, 'while reconnecting');
    const { client: resumed, hello } = await connectReady(ms.stack.url, b.tokens.accessToken, { since: last });
    sockets.push(resumed);
    expect(hello).toMatchObject({ seq: last, replaying: true, reset: false });
    expect(await resumed.next(isMessage(missed.id))).toMatchObject({ seq: last + 1 });
  });
});
