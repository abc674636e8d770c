import { PROBLEM_CONTENT_TYPE } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, newUser } from './support/accounts.ts';
import {
  type AuditStack,
  allEvents,
  duplicateIds,
  eventFor,
  eventsWhen,
  registerAgent,
  startAuditStack,
} from './support/audit.ts';
import * as files from './support/media-files.ts';

describe('while the audit-log service is down', () => {
  let as: AuditStack;
  let before: Account;
  beforeAll(async () => {
    as = await startAuditStack();
    before = await registerAgent(as, newUser('before'));
  });
  afterAll(async () => as?.close());

  it('every other action still works, the audit routes answer 503, and on its return every event arrives exactly once', async () => {
    await eventFor(as.admin.client, 'auth.user.registered', 'userId', before.tokens.user.id);
    await as.stack.stopService('audit-log');

    // Reading the log needs the log; nothing else does.
    const res = await before.client.raw('GET', '/api/v1/audit/logins');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    expect(((await res.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');

    const during = await registerAgent(as, newUser('during'));
    const login = await as.agent().auth.login({ login: during.user.email, password: during.user.password });
    await failure(
      as.agent().auth.login({ login: during.user.email, password: 'Not-The-Password-42' }),
      401,
      'INVALID_CREDENTIALS',
    );
    const roomIds: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) roomIds.push((await during.client.rooms.create({ name })).id);
    const messageIds: string[] = [];
    for (const text of ['one', 'two', 'three']) messageIds.push((await during.client.rooms.post(roomIds[0] as string, text)).id);
    const upload = await during.client.media.upload('image', await files.png(), 'p.png');
    const identity = await during.client.faces.createIdentity('Raj');
    expect((await during.client.rooms.list()).items.length).toBe(roomIds.length);

    await as.stack.startService('audit-log');

    const admin = as.admin.client;
    const userId = during.tokens.user.id;
    for (const roomId of roomIds) await eventFor(admin, 'chat.room.created', 'roomId', roomId);
    for (const messageId of messageIds) await eventFor(admin, 'chat.message.created', 'messageId', messageId);
    await eventFor(admin, 'auth.user.registered', 'userId', userId);
    await eventFor(admin, 'media.uploaded', 'mediaId', upload.id);
    await eventFor(admin, 'face.identity.created', 'identityId', identity.id);
    const logins = await eventsWhen(admin, { type: 'auth.login.*', actor: userId }, (events) => events.length >= 3);
    expect(logins.map((e) => e.type).sort()).toEqual(['auth.login.failed', 'auth.login.succeeded', 'auth.login.succeeded']);
    expect(logins.some((e) => (e.data as { sessionId?: string }).sessionId === login.sessionId)).toBe(true);
    expect((await during.client.audit.logins()).items).toHaveLength(3);

    const everything = await allEvents(admin);
    expect(duplicateIds(everything)).toEqual([]);
    const report = await admin.audit.verify();
    expect(report).toMatchObject({ ok: true });
    expect(report.checked).toBeGreaterThanOrEqual(everything.length);
  });
});
