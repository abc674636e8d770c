import { AuditEndpoints, AuthEvents, ChatEvents, type EndpointRequest, type StoredEvent } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '../src/db/schema/events.ts';
import { type AuditWorld, range, startAudit } from './helpers/harness.ts';

type EventsRequest = EndpointRequest<typeof AuditEndpoints.events>;

const HOUR_MS = 3_600_000;
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const hour = (h: number) => new Date(T0 + h * HOUR_MS).toISOString();

describe('the admin’s event list', () => {
  let world: AuditWorld;
  let rows: EventRow[];
  const alice = 'u_alice';
  const bob = 'u_bob';

  /** Every page of a query, following its cursors. */
  const everyPage = async (request: Omit<EventsRequest, 'caller'>): Promise<StoredEvent[][]> => {
    const pages: StoredEvent[][] = [];
    let cursor: string | undefined;
    do {
      const page = await world.call(AuditEndpoints.events, { caller: world.admin, ...request, ...(cursor ? { cursor } : {}) });
      pages.push(page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return pages;
  };
  const ids = (events: { id: string }[]) => events.map((e) => e.id);
  const newestFirst = (filter: (row: EventRow) => boolean) => ids(rows.filter(filter).reverse());

  beforeAll(async () => {
    world = await startAudit();
    const envelopes = range(0, 24).map((i) => {
      const actor = i % 3 === 0 ? bob : alice;
      const options = { actor, subject: actor, at: hour(i) };
      if (i < 5)
        return world.envelope(AuthEvents.loginSucceeded, { userId: actor, sessionId: `s_${i}`, method: 'password' }, options);
      if (i < 8)
        return world.envelope(
          AuthEvents.loginFailed,
          { userId: actor, login: actor, method: 'password', reason: 'wrong-password' },
          options,
        );
      if (i < 18)
        return world.envelope(
          ChatEvents.roomCreated,
          { roomId: `r_${i}`, ownerId: actor, memberIds: [] },
          { ...options, source: 'chat-notify' },
        );
      if (i < 22)
        return world.envelope(
          ChatEvents.memberAdded,
          { roomId: 'r_5', userId: `u_${i}`, by: actor },
          { ...options, source: 'chat-notify' },
        );
      return world.envelope(
        ChatEvents.mailSent,
        { mailId: `m_${i}`, attempts: 1 },
        { actor: null, subject: actor, at: hour(i), source: 'chat-notify' },
      );
    });
    await Promise.all(envelopes.map((e) => world.publish(e)));
    await world.storedCount(25);
    rows = await world.rows();
  });
  afterAll(() => world?.close());

  it('lists every event newest first, as stored and chained', async () => {
    const page = await world.call(AuditEndpoints.events, { caller: world.admin });
    expect(page.items).toHaveLength(20);
    expect(ids(page.items)).toEqual(newestFirst(() => true).slice(0, 20));
    const newest = rows.at(-1)!;
    expect(page.items[0]).toEqual({
      seq: 25,
      id: newest.id,
      type: newest.type,
      version: 1,
      at: newest.at.toISOString(),
      storedAt: newest.storedAt.toISOString(),
      source: newest.source,
      actor: newest.actor,
      subject: newest.subject,
      requestId: newest.requestId,
      ip: newest.ip,
      userAgent: newest.userAgent,
      data: newest.data,
      hash: newest.hash,
    });
  });

  it('filters by exact type and by a type prefix', async () => {
    expect(ids((await everyPage({ type: 'chat.room.created' })).flat())).toEqual(
      newestFirst((r) => r.type === 'chat.room.created'),
    );
    const chat = ids((await everyPage({ type: 'chat.*' })).flat());
    expect(chat).toHaveLength(14);
    expect(chat).toEqual(newestFirst((r) => r.type.startsWith('chat.')));
    expect(ids((await everyPage({ type: 'auth.login.*' })).flat())).toEqual(newestFirst((r) => r.type.startsWith('auth.login.')));
    expect((await everyPage({ type: 'auth.login' })).flat()).toEqual([]);
  });

  it('filters by actor and by time, from inclusive to exclusive', async () => {
    expect(ids((await everyPage({ actor: bob })).flat())).toEqual(newestFirst((r) => r.actor === bob));
    const window = (await everyPage({ from: hour(3), to: hour(9) })).flat();
    expect(window.map((e) => e.at).sort()).toEqual(range(3, 8).map(hour));
    const both = (await everyPage({ actor: alice, type: 'auth.*', from: hour(4) })).flat();
    expect(ids(both)).toEqual(
      newestFirst((r) => r.actor === alice && r.type.startsWith('auth.') && r.at.getTime() >= Date.parse(hour(4))),
    );
  });

  it('pages oldest first or newest first, without repeating or skipping an event', async () => {
    const desc = await everyPage({ limit: 7 });
    expect(desc.map((p) => p.length)).toEqual([7, 7, 7, 4]);
    expect(ids(desc.flat())).toEqual(newestFirst(() => true));
    const asc = await everyPage({ order: 'asc', limit: 7, type: 'chat.*' });
    expect(asc.map((p) => p.length)).toEqual([7, 7]);
    expect(ids(asc.flat())).toEqual(newestFirst((r) => r.type.startsWith('chat.')).reverse());
  });

  it('refuses a reversed range and a cursor made for another query', async () => {
    const reversed = await world.fail(AuditEndpoints.events, { caller: world.admin, from: hour(5), to: hour(5) });
    expect(reversed).toMatchObject({ code: 'BAD_RANGE', status: 400 });
    const { nextCursor } = await world.call(AuditEndpoints.events, { caller: world.admin, type: 'chat.*', limit: 2 });
    const misused = await world.fail(AuditEndpoints.events, { caller: world.admin, type: 'auth.*', cursor: nextCursor! });
    expect(misused).toMatchObject({ code: 'BAD_RANGE' });
    const garbled = await world.fail(AuditEndpoints.events, { caller: world.admin, cursor: '%%%' });
    expect(garbled).toMatchObject({ code: 'BAD_RANGE' });
  });

  it('refuses a malformed filter as a bad request', async () => {
    for (const bad of [{ type: "auth.%' or 1=1" }, { limit: 1001 }, { from: 'last week' }, { to: '2030-06-30T23:59:60Z' }]) {
      const error = await world.fail(AuditEndpoints.events, { caller: world.admin, ...(bad as object) });
      expect(error.status).toBe(400);
    }
  });

  it('is for administrators only', async () => {
    expect(await world.fail(AuditEndpoints.events, { caller: world.user() })).toMatchObject({ code: 'ADMIN_ONLY', status: 403 });
  });

  it('stops a page of large events early so a reply fits in one bus message, and goes on by cursor', async () => {
    const big = 'x'.repeat(150_000);
    const large = range(1, 8).map((i) =>
      world.envelope(AuthEvents.nameChanged, { userId: alice, from: `${i}`, to: big }, { actor: alice, subject: alice }),
    );
    for (const e of large) await world.publish(e);
    await world.storedCount(33);
    const first = await world.call(AuditEndpoints.events, { caller: world.admin, type: 'auth.name.changed', limit: 100 });
    expect(first.items.length).toBeGreaterThan(0);
    expect(first.items.length).toBeLessThan(8);
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThan(1024 * 1024);
    const pages = await everyPage({ type: 'auth.name.changed', limit: 100 });
    expect(ids(pages.flat())).toEqual(ids([...large].reverse()));
  });
});
