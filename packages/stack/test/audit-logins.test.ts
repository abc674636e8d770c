import { createClient, type ParleyClient } from '@parley/client';
import type { LoginRecord } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, newUser } from './support/accounts.ts';
import { ARRIVAL, type AuditStack, eventsWhen, PEER_IP, registerAgent, startAuditStack, USER_AGENT } from './support/audit.ts';

const OTHER_AGENT = 'SomeoneElse/2.0';

/** Every login record of the client's account, newest first, paged. */
const history = async (client: ParleyClient): Promise<LoginRecord[]> => {
  const records: LoginRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.audit.logins({ limit: 100, ...(cursor ? { cursor } : {}) });
    records.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return records;
};

/** Waits until the history holds `count` records; returns them. */
const historyOf = async (client: ParleyClient, count: number): Promise<LoginRecord[]> => {
  let records: LoginRecord[] = [];
  await expect
    .poll(async () => {
      records = await history(client);
      return records.length;
    }, ARRIVAL)
    .toBeGreaterThanOrEqual(count);
  return records;
};

describe('my login history', () => {
  let as: AuditStack;
  let a: Account;
  let b: Account;
  let aPassword: Account;
  let other: ParleyClient;
  beforeAll(async () => {
    as = await startAuditStack();
    other = createClient({ baseUrl: as.stack.url, headers: { 'user-agent': OTHER_AGENT } });
    [a, b] = await Promise.all([registerAgent(as, newUser('alice')), registerAgent(as, newUser('bob'))]);
    // A's history, oldest first: verification (a login), a wrong password from elsewhere, a password login.
    await failure(other.auth.login({ login: a.user.email, password: `${a.user.password}-nope` }), 401, 'INVALID_CREDENTIALS');
    const tokens = await as.agent().auth.login({ login: a.user.email, password: a.user.password });
    aPassword = { user: a.user, tokens, client: as.agent(tokens.accessToken) };
  });
  afterAll(async () => as?.close());

  it('lists my successes and failures, newest first, with address, user agent, method and session', async () => {
    const records = await historyOf(a.client, 3);
    expect(records).toHaveLength(3);
    const [latest, failed, verified] = records as [LoginRecord, LoginRecord, LoginRecord];
    expect(latest).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      ip: PEER_IP,
      userAgent: USER_AGENT,
      method: 'password',
      success: true,
      reason: null,
      sessionId: aPassword.tokens.sessionId,
    });
    expect(failed).toMatchObject({ ip: PEER_IP, userAgent: OTHER_AGENT, method: 'password', success: false, sessionId: null });
    expect(failed.reason).toEqual(expect.any(String));
    expect(verified).toMatchObject({
      userAgent: USER_AGENT,
      method: 'email-verification',
      success: true,
      sessionId: a.tokens.sessionId,
    });
    const times = records.map((r) => Date.parse(r.at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    // Any session of mine reads the same history.
    expect((await history(aPassword.client)).map((r) => r.id)).toEqual(records.map((r) => r.id));
  });

  it('pages with a cursor', async () => {
    const whole = await historyOf(a.client, 3);
    const first = await a.client.audit.logins({ limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual(whole.slice(0, 2).map((r) => r.id));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await a.client.audit.logins({ limit: 2, cursor: first.nextCursor as string });
    expect(second.items.map((r) => r.id)).toEqual(whole.slice(2, 4).map((r) => r.id));
  });

  it('shows my latest successful login', async () => {
    const records = await historyOf(a.client, 3);
    const latest = await a.client.audit.latestLogin();
    expect(latest).toEqual(records.find((r) => r.success));
    expect(latest.sessionId).toBe(aPassword.tokens.sessionId);
  });

  it('is private: B never sees A’s logins, and a failed attempt on A’s name is in A’s history, not B’s', async () => {
    await failure(
      b.client.auth.login({ login: a.user.email, password: 'Wrong-Password-From-B-123' }),
      401,
      'INVALID_CREDENTIALS',
    );
    const aRecords = await historyOf(a.client, 4);
    const bRecords = await historyOf(b.client, 1);
    const aIds = new Set(aRecords.map((r) => r.id));
    expect(bRecords.some((r) => aIds.has(r.id))).toBe(false);
    expect(bRecords.every((r) => r.success)).toBe(true);
    expect(bRecords.map((r) => r.sessionId)).toEqual([b.tokens.sessionId]);
    expect(aRecords[0]).toMatchObject({ success: false, userAgent: USER_AGENT });
    expect((await b.client.audit.latestLogin()).sessionId).toBe(b.tokens.sessionId);
  });

  it('keeps an attempt on an unknown address out of everyone’s history; an admin sees it with the address tried', async () => {
    const nobody = `nobody.${Date.now()}@example.test`;
    await failure(other.auth.login({ login: nobody, password: 'Whatever-Password-123' }), 401, 'INVALID_CREDENTIALS');
    const [event] = await eventsWhen(as.admin.client, { type: 'auth.login.failed' }, (events) =>
      events.some((e) => (e.data as { login: string }).login === nobody),
    ).then((events) => events.filter((e) => (e.data as { login: string }).login === nobody));
    expect(event).toMatchObject({ actor: null, subject: null, ip: PEER_IP, userAgent: OTHER_AGENT, data: { userId: null } });
    for (const client of [a.client, b.client, as.admin.client]) {
      expect((await history(client)).some((r) => r.id === event?.id)).toBe(false);
    }
  });

  it('needs a token', async () => {
    await failure(as.client.audit.logins(), 401, 'UNAUTHORIZED');
    await failure(as.client.audit.latestLogin(), 401, 'UNAUTHORIZED');
  });
});
