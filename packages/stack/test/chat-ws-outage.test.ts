import { chatNotifyApp, loadChatNotifyConfig } from '@parley/chat-notify';
import { createLogger, fastifyOptions } from '@parley/kit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { connect, connectReady, type Frame } from './support/ws.ts';

const TRY_AGAIN_LATER = 1013;
const isMessage = (id: string) => (f: Frame) => f.type === 'message.created' && (f.message as { id: string }).id === id;

describe('while chat-notify is down', () => {
  let ms: MailStack;
  let a: Account;
  let b: Account;
  let restarted: FastifyInstance | undefined;
  beforeAll(async () => {
    ms = await startMailStack();
    [a, b] = await Promise.all([registerVerified(ms, newUser('outa')), registerVerified(ms, newUser('outb'))]);
  });
  afterAll(async () => {
    await restarted?.close();
    await ms?.close();
  });

  it('a new socket is closed with 1013 (try again later), and resumes with nothing lost once it is back', async () => {
    const roomId = (await a.client.rooms.create({ name: 'outage', memberIds: [b.tokens.user.id] })).id;
    const { client: before } = await connectReady(ms.stack.url, b.tokens.accessToken);
    const first = await a.client.rooms.post(roomId, 'before the outage');
    const last = (await before.next(isMessage(first.id))).seq as number;
    await before.close();

    await ms.stack.services.get('chat-notify')?.close();
    const refused = await connect(ms.stack.url, b.tokens.accessToken, { since: last });
    const closed = await refused.closed;
    expect(closed.code).toBe(TRY_AGAIN_LATER);
    expect(closed.reason).toMatch(/reconnect/);
    expect(refused.frames).toEqual([]);

    restarted = Fastify(fastifyOptions(createLogger({ service: 'chat-notify', level: 'silent' })));
    await restarted.register(chatNotifyApp, { config: loadChatNotifyConfig(ms.stack.env), shared: ms.stack.shared });
    await restarted.ready();
    const second = await a.client.rooms.post(roomId, 'after the outage');
    const { client: back, hello } = await connectReady(ms.stack.url, b.tokens.accessToken, { since: last });
    expect(hello).toMatchObject({ seq: last, replaying: true, reset: false });
    expect(await back.next(isMessage(second.id))).toMatchObject({ seq: last + 1 });
    await back.close();
  });
});
