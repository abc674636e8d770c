import { randomUUID } from 'node:crypto';
import { AuthEvents, ChatEvents, type EventEnvelope } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_DURABLE } from '../src/handlers/ingest.ts';
import { type AuditWorld, range, startAudit } from './helpers/harness.ts';

/** A counter's value from the service's own /metrics page, as an operator reads it. */
const metric = async (app: FastifyInstance, name: string): Promise<number> => {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  const line = res.body.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
};

describe('storing events', () => {
  let world: AuditWorld;
  beforeAll(async () => {
    world = await startAudit();
  });
  afterAll(() => world?.close());

  it('stores every field the envelope carries, numbered and chained from genesis', async () => {
    const user = world.user();
    const sent = await world.publish(
      world.envelope(
        AuthEvents.loginSucceeded,
        { userId: user.userId, sessionId: 's_1', method: 'password' },
        { actor: user.userId, subject: user.userId, ip: '198.51.100.23', userAgent: 'Firefox/140' },
      ),
    );
    await world.storedCount(1);
    const [row] = await world.rows();
    expect(row).toMatchObject({
      seq: 1,
      id: sent.id,
      type: 'auth.login.succeeded',
      version: 1,
      at: new Date(sent.at),
      source: 'auth',
      actor: user.userId,
      subject: user.userId,
      requestId: sent.requestId,
      ip: '198.51.100.23',
      userAgent: 'Firefox/140',
      data: { userId: user.userId, sessionId: 's_1', method: 'password' },
      prevHash: '0'.repeat(64),
    });
    expect(row!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await world.verify()).toMatchObject({ ok: true, checked: 1, head: { seq: 1, hash: row!.hash }, checkpoint: null });
  });

  it('chains text of any kind the same way the database hands it back', async () => {
    const before = (await world.rows()).length;
    const user = world.user();
    await world.publish(
      world.envelope(
        AuthEvents.nameChanged,
        { userId: user.userId, from: 'Zoë "the \\ quoted"', to: '名前 🦊 \u2028 tab\t end' },
        { subject: user.userId, userAgent: 'Mozilla/5.0 (ü; 😀)', at: '2030-05-06T07:08:09.123456+05:30' },
      ),
    );
    await world.storedCount(before + 1);
    expect(await world.verify()).toMatchObject({ ok: true, checked: before + 1 });
  });

  it('stores an event delivered twice (past the stream’s duplicate window) once', async () => {
    const before = (await world.rows()).length;
    const user = world.user();
    const twice = world.envelope(AuthEvents.passwordChanged, { userId: user.userId }, { subject: user.userId });
    await world.publish(twice, `${twice.id}-first`);
    await world.publish(twice, `${twice.id}-again`);
    await expect.poll(() => metric(world.app, 'parley_audit_duplicates_dropped_total'), { timeout: 15_000 }).toBe(1);
    const rows = await world.rows();
    expect(rows).toHaveLength(before + 1);
    expect(rows.filter((r) => r.id === twice.id)).toHaveLength(1);
    expect(await world.verify()).toMatchObject({ ok: true, checked: before + 1 });
  });

  it('dead-letters events outside the vocabulary or with invalid data, and stores none of them', async () => {
    const before = (await world.rows()).length;
    const user = world.user();
    const valid = world.envelope(AuthEvents.emailVerified, { userId: user.userId });
    const unknownType: EventEnvelope = { ...valid, id: randomUUID(), type: 'auth.telepathy.used' };
    const unknownVersion: EventEnvelope = { ...valid, id: randomUUID(), version: 9 };
    const badData: EventEnvelope = { ...valid, id: randomUUID(), data: { userId: 42 } };
    const missingField: EventEnvelope = { ...valid, id: randomUUID(), data: {} };
    const badTime: EventEnvelope = { ...valid, id: randomUUID(), at: 'yesterday' };
    const nul: EventEnvelope = { ...valid, id: randomUUID(), data: { userId: 'a\u0000b' } };
    const refused = [unknownType, unknownVersion, badData, missingField, badTime, nul];
    for (const envelope of refused) await world.publish(envelope);
    await world.publish(valid);

    await expect
      .poll(async () => (await world.bus.deadLetters(AUDIT_DURABLE)).map((l) => l.envelope.id).sort(), { timeout: 15_000 })
      .toEqual(refused.map((e) => e.id).sort());
    await world.storedCount(before + 1);
    const ids = (await world.rows()).map((r) => r.id);
    expect(ids).toContain(valid.id);
    for (const envelope of refused) expect(ids).not.toContain(envelope.id);
    expect(await metric(world.app, 'parley_audit_events_rejected_total')).toBe(refused.length);
    expect(await world.verify()).toMatchObject({ ok: true, checked: before + 1 });
  });
});

describe('two copies of the service', () => {
  let world: AuditWorld;
  let copy: FastifyInstance;
  beforeAll(async () => {
    world = await startAudit();
    copy = await world.startCopy();
  });
  afterAll(() => world?.close());

  it('append 300 events published at once into one chain without holes, each once', async () => {
    const owner = world.user();
    const envelopes = range(1, 300).map((i) =>
      world.envelope(
        ChatEvents.roomCreated,
        { roomId: `r_${i}`, ownerId: owner.userId, memberIds: [] },
        { source: 'chat-notify', actor: owner.userId },
      ),
    );
    // A tenth of them delivered twice, as after a relay's lost acknowledgement.
    const resent = envelopes.filter((_, i) => i % 10 === 0);
    await Promise.all([...envelopes.map((e) => world.publish(e)), ...resent.map((e) => world.publish(e, `${e.id}-resent`))]);
    const dropped = async () =>
      (await metric(world.app, 'parley_audit_duplicates_dropped_total')) +
      (await metric(copy, 'parley_audit_duplicates_dropped_total'));
    await expect.poll(dropped, { timeout: 15_000 }).toBeGreaterThanOrEqual(resent.length);
    await world.storedCount(300);
    const rows = await world.rows();
    expect(rows.map((r) => r.seq)).toEqual(range(1, 300));
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(envelopes.map((e) => e.id)));
    expect(await world.verify()).toMatchObject({ ok: true, checked: 300, head: { seq: 300 } });
  });
});
