import { setTimeout as sleep } from 'node:timers/promises';
import { AuditEndpoints, AuthEvents, type EventEnvelope } from '@parley/contracts';
import { type PostgresServer, startPostgresServer } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_DURABLE } from '../src/handlers/ingest.ts';
import { type AuditWorld, range, startAudit } from './helpers/harness.ts';

/** Longer than the deliveries a consumer allows by default would last (dead-lettered after about 4 s). */
const OUTAGE_MS = 10_000;

// Its own Postgres server in both test modes: the test stops and starts it.
describe('the audit log across a restart of its Postgres', () => {
  let pg: PostgresServer;
  let world: AuditWorld;
  beforeAll(async () => {
    pg = await startPostgresServer();
    world = await startAudit({ DATABASE_URL: pg.url });
  });
  afterAll(async () => {
    await pg?.start();
    await world?.close();
    await pg?.close();
  });

  it('stores every event delivered during a 10 s outage exactly once when it is back, none dead-lettered', async () => {
    const user = world.user();
    const login = (n: number): EventEnvelope =>
      world.envelope(
        AuthEvents.loginFailed,
        { userId: user.userId, login: `outage-${n}@example.test`, method: 'password', reason: 'wrong-password' },
        {
          subject: user.userId,
        },
      );
    const before = range(1, 20).map(login);
    for (const e of before) await world.publish(e);
    await world.storedCount(before.length);

    await pg.stop('fast');
    const during = range(21, 70).map(login);
    for (const e of during) await world.publish(e);
    // Delivered again under other message ids (as after a producer's crash): still one row each.
    for (const e of [...before.slice(0, 5), ...during.slice(0, 5)]) await world.publish(e, `again-${e.id}`);
    const refused = await world.fail(AuditEndpoints.verify, { caller: world.admin });
    expect(refused.toWire()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, extra: { retryAfter: 2 } });
    await sleep(OUTAGE_MS);

    await pg.start();
    const back = Date.now();
    await world.storedCount(before.length + during.length);
    const recoveryMs = Date.now() - back;
    expect(recoveryMs).toBeLessThan(5_000);

    const ids = (await world.rows()).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...before, ...during].map((e) => e.id).sort());
    expect(await world.bus.deadLetters(AUDIT_DURABLE)).toEqual([]);
    expect(await world.verify()).toMatchObject({ ok: true, checked: ids.length });
  });
});
