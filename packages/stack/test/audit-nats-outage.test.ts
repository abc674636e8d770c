import type { ParleyClient } from '@parley/client';
import { PROBLEM_CONTENT_TYPE, type StoredEvent } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, mailTo, newUser } from './support/accounts.ts';
import {
  ARRIVAL,
  type AuditStack,
  allEvents,
  duplicateIds,
  eventsWhen,
  type NatsServer,
  outboxTypes,
  registerAgent,
  startAuditStack,
  startNatsServer,
  unpublished,
} from './support/audit.ts';

const ROOMS = 20;
const POSTS = 20;

/** Every page of a list, by cursor. */
const everyItem = async <T>(page: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[]> => {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const got = await page(cursor);
    items.push(...got.items);
    cursor = got.nextCursor ?? undefined;
  } while (cursor);
  return items;
};

const roomIdsOf = async (client: ParleyClient): Promise<string[]> =>
  (await everyItem((cursor) => client.rooms.list({ limit: 100, ...(cursor ? { cursor } : {}) }))).map((r) => r.id);

const messageIdsOf = async (client: ParleyClient, roomId: string): Promise<string[]> =>
  (await everyItem((cursor) => client.rooms.history(roomId, { limit: 100, ...(cursor ? { cursor } : {}) }))).map((m) => m.id);

const sorted = (ids: string[]) => [...ids].sort();

// Always its own nats-server, whatever the mode: the test kills it. The database is the run's (PGlite or Postgres).
describe('while NATS is down', () => {
  let nats: NatsServer;
  let as: AuditStack;
  let user: Account;
  let homeId: string;
  beforeAll(async () => {
    nats = await startNatsServer();
    as = await startAuditStack({
      NATS_URL: nats.url,
      // A request nobody can answer gives up soon.
      BUS_TIMEOUT_MS: '2000',
      MAIL_RETRY_BASE_MS: '100',
      MAIL_RETRY_MAX_MS: '1000',
      MAIL_POLL_MS: '100',
      MAIL_MAX_ATTEMPTS: '100',
    });
    user = await registerAgent(as, newUser('outage'));
    homeId = (await user.client.rooms.create({ name: 'home' })).id;
  });
  afterAll(async () => {
    await nats?.start();
    await as?.close();
    await nats?.close();
  });

  it('commits go on, their events wait in the outboxes, and each arrives exactly once when NATS is back', async () => {
    const admin = as.admin.client;
    const userId = user.tokens.user.id;

    // A mail the SMTP server refuses until NATS is down: it is then sent with no NATS at all.
    as.smtp.refuseNext(Number.POSITIVE_INFINITY);
    const mark = as.smtp.messages.length;
    await as.agent().auth.requestLoginCode(user.user.email);
    await expect.poll(() => as.smtp.refused, ARRIVAL).toBeGreaterThan(0);

    // Writes in flight when the server dies: each either committed (event in the outbox) or not (no event).
    let killed: Promise<void> | undefined;
    const answer = async (res: Response) => {
      killed ??= nats.kill();
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
    };
    const writes = [
      ...Array.from({ length: ROOMS }, (_, i) =>
        user.client.raw('POST', '/api/v1/rooms', { body: { name: `batch ${i}` } }).then(answer),
      ),
      ...Array.from({ length: POSTS }, (_, i) =>
        user.client.raw('POST', `/api/v1/rooms/${homeId}/messages`, { body: { text: `batch ${i}` } }).then(answer),
      ),
    ];
    const answers = await Promise.all(writes);
    await killed;
    const killedAt = Date.now();
    for (const a of answers) {
      if (a.status === 201) continue;
      expect([503, 504], a.body).toContain(a.status);
      expect(a.contentType).toContain(PROBLEM_CONTENT_TYPE);
    }

    // NATS is down. A request is refused at once with a 503 problem (not held until a 504).
    const refused = await user.client.raw('GET', '/api/v1/rooms');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    // The mail goes out meanwhile; the record of it waits in chat-notify's outbox.
    as.smtp.refuseNext(0);
    await mailTo(as.smtp, user.user.email, mark, 30_000);
    await expect.poll(() => outboxTypes(as.stack, 'chat-notify'), ARRIVAL).toContain('notify.mail.sent');
    expect(await unpublished(as.stack)).toBeGreaterThan(0);

    await nats.start();
    const restartedAt = Date.now();

    // Every committed change has exactly one event, and no event names a change that did not commit.
    await expect
      .poll(
        async () => {
          try {
            const rooms = (await roomIdsOf(user.client)).filter((id) => id !== homeId);
            const messages = await messageIdsOf(user.client, homeId);
            const roomEvents = (await allEvents(admin, { type: 'chat.room.created', actor: userId }))
              .map((e) => (e.data as { roomId: string }).roomId)
              .filter((id) => id !== homeId);
            const messageEvents = (await allEvents(admin, { type: 'chat.message.created', actor: userId })).map(
              (e) => (e.data as { messageId: string }).messageId,
            );
            return {
              rooms: JSON.stringify(sorted(roomEvents)) === JSON.stringify(sorted(rooms)),
              messages: JSON.stringify(sorted(messageEvents)) === JSON.stringify(sorted(messages)),
              drained: (await unpublished(as.stack)) === 0,
            };
          } catch {
            return 'the stack is still reconnecting';
          }
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual({ rooms: true, messages: true, drained: true });

    const succeeded = answers.filter((a) => a.status === 201).map((a) => (JSON.parse(a.body) as { id: string }).id);
    const rooms = await roomIdsOf(user.client);
    const messages = await messageIdsOf(user.client, homeId);
    for (const id of succeeded) expect([...rooms, ...messages]).toContain(id);

    const mailEvents = await eventsWhen(
      admin,
      { type: 'notify.mail.sent', from: new Date(killedAt).toISOString() },
      (events) => events.length > 0,
    );
    const sent = mailEvents[0] as StoredEvent;
    expect(Date.parse(sent.at)).toBeLessThan(restartedAt);
    expect((sent.data as { attempts: number }).attempts).toBeGreaterThan(1);

    const everything = await allEvents(admin);
    expect(duplicateIds(everything)).toEqual([]);
    expect(await admin.audit.verify()).toMatchObject({ ok: true });
  });
});
