import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, newUser } from './support/accounts.ts';
import { type AuditStack, allEvents, duplicateIds, eventFor, registerAgent, startAuditStack } from './support/audit.ts';

describe('the audit log’s hash chain', () => {
  let as: AuditStack;
  let user: Account;
  const roomIds: string[] = [];
  beforeAll(async () => {
    as = await startAuditStack();
    user = await registerAgent(as, newUser('chained'));
    for (const name of ['one', 'two', 'three']) roomIds.push((await user.client.rooms.create({ name })).id);
  });
  afterAll(async () => as?.close());

  it('verifies: every stored row recomputed, the head is the last one', async () => {
    for (const roomId of roomIds) await eventFor(as.admin.client, 'chat.room.created', 'roomId', roomId);
    const events = await allEvents(as.admin.client);
    expect(duplicateIds(events)).toEqual([]);
    const report = await as.admin.client.audit.verify();
    expect(report).toMatchObject({ ok: true });
    expect(report.firstBadId).toBeUndefined();
    expect(report.checked).toBeGreaterThanOrEqual(events.length);
    const newest = (await as.admin.client.audit.events({ limit: 1 })).items[0];
    expect(report.head?.seq).toBeGreaterThanOrEqual(newest?.seq as number);
  });

  it('names the first row edited behind its back (here: an address changed in the database)', async () => {
    const target = await eventFor(as.admin.client, 'chat.room.created', 'roomId', roomIds[1]);
    expect(target.id).toMatch(/^[\w-]+$/);
    const db = as.stack.services.get('audit-log')?.parley.database().db;
    if (!db) throw new Error('the stack has no audit-log service');
    await db.execute(`update audit_log.events set ip = '203.0.113.9' where id = '${target.id}'`);

    const report = await as.admin.client.audit.verify();
    expect(report).toMatchObject({ ok: false, firstBadId: target.id, firstBadSeq: target.seq });
    // The log does not hide the edit; it shows what is stored, and verify says it no longer holds.
    const [stored] = (await allEvents(as.admin.client, { type: 'chat.room.created' })).filter((e) => e.id === target.id);
    expect(stored?.ip).toBe('203.0.113.9');
  });
});
