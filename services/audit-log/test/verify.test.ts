import { AuditEndpoints, AuthEvents } from '@parley/contracts';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventRow } from '../src/db/schema/events.ts';
import { chainHash } from '../src/services/chain.ts';
import { createVerifier } from '../src/services/verify.ts';
import { type AuditWorld, range, startAudit } from './helpers/harness.ts';

describe('verifying the chain', () => {
  let world: AuditWorld;
  let rows: EventRow[];
  beforeAll(async () => {
    world = await startAudit();
  });
  afterAll(() => world?.close());
  beforeEach(async () => {
    await world.reset();
    const user = world.user();
    for (const i of range(1, 6)) {
      await world.publish(
        world.envelope(
          AuthEvents.nameChanged,
          { userId: user.userId, from: `name ${i - 1}`, to: `name ${i}` },
          { actor: user.userId, subject: user.userId },
        ),
      );
    }
    await world.storedCount(6);
    rows = await world.rows();
  });

  it('holds for an untouched log, and names the head an operator may note elsewhere', async () => {
    expect(await world.verify()).toEqual({
      ok: true,
      checked: 6,
      checkpoint: null,
      head: { seq: 6, hash: rows[5]!.hash },
    });
  });

  it('catches a row whose data was edited in the database', async () => {
    await world.sql(sql`update audit_log.events set data = jsonb_set(data, '{to}', '"mallory"') where seq = 3`);
    expect(await world.verify()).toMatchObject({
      ok: false,
      checked: 2,
      firstBadId: rows[2]!.id,
      firstBadSeq: 3,
      reason: 'hash-mismatch',
    });
  });

  it('catches a row whose IP address was edited', async () => {
    await world.sql(sql`update audit_log.events set ip = '192.0.2.1' where seq = 5`);
    expect(await world.verify()).toMatchObject({ ok: false, firstBadId: rows[4]!.id, reason: 'hash-mismatch' });
  });

  it('catches an edited row whose own hash was recomputed, at the row after it', async () => {
    const edited = { ...rows[1]!, ip: '192.0.2.1' };
    const hash = chainHash(edited.prevHash, edited);
    await world.sql(sql`update audit_log.events set ip = ${edited.ip}, hash = ${hash} where seq = 2`);
    expect(await world.verify()).toMatchObject({ ok: false, firstBadId: rows[2]!.id, firstBadSeq: 3, reason: 'broken-link' });
  });

  it('catches the last row rewritten with its hash recomputed, against the head', async () => {
    const edited = { ...rows[5]!, data: { ...(rows[5]!.data as object), to: 'mallory' } };
    const hash = chainHash(edited.prevHash, edited);
    await world.sql(sql`update audit_log.events set data = ${JSON.stringify(edited.data)}::jsonb, hash = ${hash} where seq = 6`);
    expect(await world.verify()).toMatchObject({
      ok: false,
      checked: 6,
      firstBadId: rows[5]!.id,
      firstBadSeq: 6,
      reason: 'head-mismatch',
    });
  });

  it('catches a row deleted from the middle, at the row after it', async () => {
    await world.sql(sql`delete from audit_log.events where seq = 4`);
    expect(await world.verify()).toMatchObject({
      ok: false,
      checked: 3,
      firstBadId: rows[4]!.id,
      firstBadSeq: 5,
      reason: 'broken-link',
    });
  });

  it('catches the last row deleted, against the head', async () => {
    await world.sql(sql`delete from audit_log.events where seq = 6`);
    expect(await world.verify()).toMatchObject({ ok: false, checked: 5, firstBadSeq: 6, reason: 'head-mismatch' });
  });

  it('catches a row appended without moving the head', async () => {
    await world.sql(
      sql`insert into audit_log.events (seq, id, type, version, at, source, data, prev_hash, hash)
          select 7, 'forged', type, version, at, source, data, hash, repeat('b', 64) from audit_log.events where seq = 6`,
    );
    expect(await world.verify()).toMatchObject({ ok: false, firstBadId: 'forged', firstBadSeq: 7, reason: 'head-mismatch' });
  });

  it('goes on appending after a check, and the longer chain holds', async () => {
    const user = world.user();
    await world.publish(world.envelope(AuthEvents.emailChanged, { userId: user.userId }, { subject: user.userId }));
    await world.storedCount(7);
    expect(await world.verify()).toMatchObject({ ok: true, checked: 7, head: { seq: 7 } });
  });

  it('reads the chain in pages, checking the links across their edges', async () => {
    const paged = createVerifier(world.deps, 4);
    expect(await paged()).toMatchObject({ ok: true, checked: 6 });
    await world.sql(sql`delete from audit_log.events where seq = 5`);
    expect(await paged()).toMatchObject({ ok: false, checked: 4, firstBadId: rows[5]!.id, reason: 'broken-link' });
  });

  it('is for administrators only', async () => {
    const error = await world.fail(AuditEndpoints.verify, { caller: world.user() });
    expect(error).toMatchObject({ code: 'ADMIN_ONLY', status: 403 });
    const { role: _, ...noRole } = world.admin;
    expect(await world.fail(AuditEndpoints.verify, { caller: noRole })).toMatchObject({ code: 'ADMIN_ONLY' });
  });
});
