import { AuditEndpoints, AuthEvents } from '@parley/contracts';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuditDeps } from '../src/app.ts';
import { createRetention } from '../src/services/retention.ts';
import { type AuditWorld, range, startAudit } from './helpers/harness.ts';

const DAY = 86_400;

describe('retention', () => {
  let world: AuditWorld;
  beforeAll(async () => {
    world = await startAudit({ AUDIT_RETENTION_DAYS: '30' });
  });
  afterAll(() => world?.close());

  const store = async (count: number, userId = 'u_someone') => {
    const before = (await world.rows()).length;
    for (const i of range(1, count)) {
      await world.publish(
        world.envelope(
          AuthEvents.loginSucceeded,
          { userId, sessionId: `s_${before + i}`, method: 'password' },
          { actor: userId, subject: userId },
        ),
      );
      await world.storedCount(before + i);
    }
  };

  beforeEach(() => world.reset());

  it('deletes the rows stored before the cutoff, records a checkpoint, and the rest still verifies', async () => {
    await store(5, 'u_old');
    world.clock.advance(10 * DAY);
    const cutoff = world.clock();
    world.clock.advance(DAY);
    await store(4, 'u_new');
    const kept = (await world.rows()).slice(5);

    const result = await world.domain.retention.prune({ olderThan: cutoff });
    expect(result).toEqual({ deleted: 5, checkpoint: { seq: 5, hash: kept[0]!.prevHash } });
    expect((await world.rows()).map((r) => r.seq)).toEqual([6, 7, 8, 9]);

    const report = await world.verify();
    expect(report).toMatchObject({ ok: true, checked: 4, head: { seq: 9, hash: kept[3]!.hash } });
    expect(report.checkpoint).toMatchObject({ throughSeq: 5, hash: kept[0]!.prevHash });
    // What was pruned is gone for its owner too.
    expect(await world.fail(AuditEndpoints.latestLogin, { caller: { ...world.user(), userId: 'u_old' } })).toMatchObject({
      code: 'NO_LOGIN_YET',
    });

    // Nothing more is old enough: a second run changes nothing.
    expect(await world.domain.retention.prune({ olderThan: cutoff })).toEqual({ ...result, deleted: 0 });

    // Tampering after retention is still caught.
    await world.sql(sql`update audit_log.events set user_agent = 'forged' where seq = 7`);
    expect(await world.verify()).toMatchObject({ ok: false, checked: 1, firstBadId: kept[1]!.id, reason: 'hash-mismatch' });
  });

  it('by default keeps AUDIT_RETENTION_DAYS, and goes on from its checkpoint', async () => {
    await store(3);
    world.clock.advance(31 * DAY);
    await store(2);
    expect(await world.domain.retention.prune()).toMatchObject({ deleted: 3, checkpoint: { seq: 3 } });
    world.clock.advance(31 * DAY);
    await store(1);
    expect(await world.domain.retention.prune()).toMatchObject({ deleted: 2, checkpoint: { seq: 5 } });
    const report = await world.verify();
    expect(report).toMatchObject({ ok: true, checked: 1, checkpoint: { throughSeq: 5 }, head: { seq: 6 } });
  });

  it('deletes everything when everything is old, and the empty chain still verifies against its head', async () => {
    await store(3);
    world.clock.advance(31 * DAY);
    expect(await world.domain.retention.prune()).toMatchObject({ deleted: 3 });
    expect(await world.rows()).toEqual([]);
    expect(await world.verify()).toMatchObject({ ok: true, checked: 0, checkpoint: { throughSeq: 3 }, head: { seq: 3 } });
    await store(1);
    expect(await world.verify()).toMatchObject({ ok: true, checked: 1, head: { seq: 4 } });
  });

  it('stops at a row that does not verify, keeping the evidence', async () => {
    await store(6);
    await world.sql(sql`update audit_log.events set ip = '192.0.2.99' where seq = 4`);
    world.clock.advance(31 * DAY);
    expect(await world.domain.retention.prune()).toMatchObject({ deleted: 3, checkpoint: { seq: 3 } });
    expect(await world.verify()).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'hash-mismatch' });
  });

  it('lets two copies prune at once without deleting past each other', async () => {
    await store(12);
    // Started before the rows are old: its own first run, on ready, finds nothing to do.
    const copy = await world.startCopy();
    world.clock.advance(31 * DAY);
    const other = createRetention(createAuditDeps(copy.parley, world.config, world.clock));
    const [a, b] = await Promise.all([world.domain.retention.prune(), other.prune()]);
    expect(a.deleted + b.deleted).toBe(12);
    expect(await world.rows()).toEqual([]);
    expect(await world.verify()).toMatchObject({ ok: true, checked: 0, checkpoint: { throughSeq: 12 } });
  });
});
