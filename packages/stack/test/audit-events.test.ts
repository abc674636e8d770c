import { randomUUID } from 'node:crypto';
import { type EventEnvelope, PROBLEM_CONTENT_TYPE, type StoredEvent } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, newUser } from './support/accounts.ts';
import {
  ARRIVAL,
  type AuditStack,
  allEvents,
  eventFor,
  eventsWhen,
  PEER_IP,
  registerAgent,
  startAuditStack,
  USER_AGENT,
} from './support/audit.ts';
import * as files from './support/media-files.ts';

const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

describe('the audit log, read by an admin through the gateway', () => {
  let as: AuditStack;
  let user: Account;
  let friend: Account;
  let roomId: string;
  let messageId: string;
  let mediaId: string;
  let identityId: string;
  beforeAll(async () => {
    as = await startAuditStack();
    [user, friend] = await Promise.all([registerAgent(as, newUser('doer')), registerAgent(as, newUser('friend'))]);
    await user.client.auth.login({ login: user.user.email, password: user.user.password });
    const uploaded = await user.client.media.upload('image', await files.png(), 'sky.png');
    mediaId = uploaded.id;
    roomId = (await user.client.rooms.create({ name: 'Audited', memberIds: [friend.tokens.user.id] })).id;
    messageId = (await user.client.rooms.post(roomId, 'hello, log')).id;
    identityId = (await user.client.faces.createIdentity('Penny')).id;
  });
  afterAll(async () => as?.close());

  const byAdmin = () => as.admin.client;
  const userId = () => user.tokens.user.id;

  it('holds what auth, media, chat-notify and face-match did, with who, from which address and user agent', async () => {
    const expected: [type: string, source: string, key: string, value: string][] = [
      ['auth.user.registered', 'auth', 'userId', userId()],
      ['auth.email.verified', 'auth', 'userId', userId()],
      ['media.uploaded', 'media', 'mediaId', mediaId],
      ['chat.room.created', 'chat-notify', 'roomId', roomId],
      ['chat.message.created', 'chat-notify', 'messageId', messageId],
      ['face.identity.created', 'face-match', 'identityId', identityId],
    ];
    for (const [type, source, key, value] of expected) {
      const event = await eventFor(byAdmin(), type, key, value);
      expect(event, type).toMatchObject({ type, version: 1, source, actor: userId(), ip: PEER_IP, userAgent: USER_AGENT });
      expect(event.id).toEqual(expect.any(String));
      expect(Date.parse(event.storedAt)).toBeGreaterThanOrEqual(Date.parse(event.at));
    }
    const logins = await eventsWhen(byAdmin(), { type: 'auth.login.succeeded', actor: userId() }, (events) => events.length >= 2);
    expect(logins.map((e) => (e.data as { method: string }).method).sort()).toEqual(['email-verification', 'password']);
    for (const e of logins) expect(e).toMatchObject({ source: 'auth', ip: PEER_IP, userAgent: USER_AGENT });
  });

  it('filters by a type prefix, by actor and by a time range (from inclusive, to exclusive)', async () => {
    await eventFor(byAdmin(), 'chat.message.created', 'messageId', messageId);
    const chat = await allEvents(byAdmin(), { type: 'chat.*' });
    expect(chat.length).toBeGreaterThanOrEqual(2);
    for (const e of chat) expect(e.type).toMatch(/^chat\./);
    expect(chat.map((e) => e.type)).toEqual(expect.arrayContaining(['chat.room.created', 'chat.message.created']));

    await eventFor(byAdmin(), 'face.identity.created', 'identityId', identityId);
    const mine = await allEvents(byAdmin(), { actor: userId() });
    for (const e of mine) expect(e.actor).toBe(userId());
    expect(new Set(mine.map((e) => e.source))).toEqual(new Set(['auth', 'media', 'chat-notify', 'face-match']));
    expect(mine.some((e) => e.actor === friend.tokens.user.id)).toBe(false);

    const room = await eventFor(byAdmin(), 'chat.room.created', 'roomId', roomId);
    const at = room.at;
    const ids = async (from: string, to: string) =>
      (await allEvents(byAdmin(), { type: 'chat.room.created', from, to })).map((e) => e.id);
    expect(await ids(at, plusMs(at, 1))).toEqual([room.id]);
    expect(await ids(plusMs(at, -1), at)).not.toContain(room.id);
    expect(await ids(plusMs(at, 1), plusMs(at, 60_000))).not.toContain(room.id);
  });

  it('pages newest first with a cursor, every event once', async () => {
    await eventFor(byAdmin(), 'face.identity.created', 'identityId', identityId);
    const whole = await allEvents(byAdmin(), { actor: userId() });
    expect(whole.length).toBeGreaterThanOrEqual(6);
    const paged: StoredEvent[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await byAdmin().audit.events({ actor: userId(), limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 100);
    expect(paged.map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect(pages).toBeGreaterThanOrEqual(3);
    const seqs = paged.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
  });

  it('refuses a bad filter with 400', async () => {
    const now = new Date().toISOString();
    await failure(byAdmin().audit.events({ from: now, to: now }), 400, 'BAD_RANGE');
    await failure(byAdmin().audit.events({ from: plusMs(now, 1000), to: now }), 400, 'BAD_RANGE');
    await failure(byAdmin().audit.events({ type: 'Not A Type!' }), 400, 'VALIDATION_FAILED');
    await failure(byAdmin().audit.events({ from: 'yesterday' }), 400, 'VALIDATION_FAILED');
    await failure(byAdmin().audit.events({ limit: 101 }), 400, 'VALIDATION_FAILED');
  });

  it('exports NDJSON: every line an event, oldest first, the same events the list shows for a type and range', async () => {
    await eventFor(byAdmin(), 'face.identity.created', 'identityId', identityId);
    const first = await eventFor(byAdmin(), 'auth.user.registered', 'userId', as.admin.tokens.user.id);
    const from = first.at;
    const to = new Date().toISOString();

    const res = await byAdmin().raw('GET', `/api/v1/audit/events/export?from=${from}&to=${to}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const stamp = (iso: string) => new Date(iso).toISOString().replace(/\.\d+/, '').replace(/[-:]/g, '');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="audit-${stamp(from)}-${stamp(to)}.ndjson"`);
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const exported = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as StoredEvent);
    expect(exported[0]).toEqual(first);
    // Late arrivals with an earlier `at` (a thumbnail, a mail) may still land: compare once the range is settled.
    await expect
      .poll(async () => {
        const [file, listed] = await Promise.all([
          byAdmin().audit.exportEvents({ from, to }),
          allEvents(byAdmin(), { from, to }),
        ]);
        return file.length > 0 && JSON.stringify(file.map((e) => e.id)) === JSON.stringify(listed.map((e) => e.id).reverse());
      }, ARRIVAL)
      .toBe(true);
    for (const e of exported) {
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Date.parse(from));
      expect(Date.parse(e.at)).toBeLessThan(Date.parse(to));
    }
    const seqs = exported.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const chat = await byAdmin().audit.exportEvents({ type: 'chat.*', from, to });
    const chatListed = await allEvents(byAdmin(), { type: 'chat.*', from, to });
    expect(chat.map((e) => e.id)).toEqual(chatListed.map((e) => e.id).reverse());
    expect(chat.length).toBeGreaterThanOrEqual(2);
    for (const e of chat) expect(e.type).toMatch(/^chat\./);
    expect(await byAdmin().audit.exportNdjson({ type: 'chat.*', from: plusMs(to, 60_000), to: plusMs(to, 120_000) })).toBe('');
  });

  it('exports more than one page of the log (1000 events a page), in order, nothing repeated or missed', async () => {
    // Old events from a year nobody else writes in, published the way a producer's relay does.
    const bus = as.stack.services.get('chat-notify')?.parley.bus;
    if (!bus) throw new Error('the stack has no chat-notify service');
    const day = Date.parse('2020-02-02T00:00:00.000Z');
    const envelopes: EventEnvelope[] = Array.from({ length: 1_234 }, (_, i) => ({
      id: randomUUID(),
      type: 'chat.room.created',
      version: 1,
      at: new Date(day + i * 1000).toISOString(),
      source: 'chat-notify',
      actor: userId(),
      subject: null,
      requestId: null,
      ip: null,
      userAgent: null,
      data: { roomId: `old-room-${i}`, ownerId: userId(), memberIds: [] },
    }));
    for (let i = 0; i < envelopes.length; i += 200) {
      await Promise.all(envelopes.slice(i, i + 200).map((e) => bus.publishEnvelope(e)));
    }
    const range = { from: '2020-02-02T00:00:00.000Z', to: '2020-02-03T00:00:00.000Z' };
    await eventsWhen(byAdmin(), range, (events) => events.length === envelopes.length, 'the 1234 old events');

    const res = await byAdmin().raw('GET', `/api/v1/audit/events/export?to=${range.to}`);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="audit-start-20200203T000000Z.ndjson"');
    const exported = (await res.text())
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as StoredEvent);
    // In the log's order (seq): the order the consumer stored them, which concurrent delivery may shuffle.
    expect(exported).toHaveLength(envelopes.length);
    expect(new Set(exported.map((e) => e.id))).toEqual(new Set(envelopes.map((e) => e.id)));
    const seqs = exported.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('keeps every admin route for admins: a user gets 403 ADMIN_ONLY problem+json, with no file; no token is 401', async () => {
    await failure(user.client.audit.events(), 403, 'ADMIN_ONLY');
    await failure(user.client.audit.verify(), 403, 'ADMIN_ONLY');
    await failure(user.client.audit.exportNdjson(), 403, 'ADMIN_ONLY');
    const res = await user.client.raw('GET', '/api/v1/audit/events/export?type=auth.*');
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    expect(res.headers.get('content-disposition')).toBeNull();
    expect(await res.json()).toMatchObject({ status: 403, code: 'ADMIN_ONLY' });

    for (const path of ['/audit/logins', '/audit/logins/latest', '/audit/events', '/audit/verify', '/audit/events/export']) {
      const anonymous = await as.client.raw('GET', `/api/v1${path}`);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('content-type'), path).toContain(PROBLEM_CONTENT_TYPE);
      expect(((await anonymous.json()) as { code: string }).code, path).toBe('UNAUTHORIZED');
    }
  });

  it('documents the audit routes, the export as NDJSON', async () => {
    const doc = (await as.client.ops.openapi()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    for (const path of ['/audit/logins', '/audit/logins/latest', '/audit/events', '/audit/verify', '/audit/events/export']) {
      expect(doc.paths[`/api/v1${path}`]?.get, path).toBeDefined();
    }
    expect(Object.keys(doc.paths['/api/v1/audit/events/export']?.get?.responses['200']?.content ?? {})).toEqual([
      'application/x-ndjson',
    ]);
  });
});
