import { randomBytes } from 'node:crypto';
import type { CapturedMail } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailStack, mailTo, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { type Answer, bearer, dialectBase, get, postForm, postJson, send } from './support/compat.ts';

// Written from ../shared/seeds/003_1f6053b7ada8fd76.txt: every path, every documented Result and its exact body.
// The dialect always answers HTTP 200; its clients read `Status.Result`.

const ARRIVAL = { timeout: 30_000, interval: 200 } as const;
const STRONG = 'Quiet-Otter-Lantern-Harbor-91';

/** Letters only: unique, and never mistaken for the mailed code. */
const tag = (): string => [...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('');

/** The 4-character code of a verification mail (it stands alone on its line). */
const codeIn = (mail: CapturedMail): string => {
  const match = /^([A-Za-z0-9]{4})$/m.exec(mail.text);
  if (!match?.[1]) throw new Error(`No 4-character code in ${JSON.stringify(mail.text)}`);
  return match[1];
};

/** `YYYY-MM-DD HH:MM:SS` in UTC, as the document's log keys. */
const stamp = (iso: string): string => new Date(iso).toISOString().replace('T', ' ').slice(0, 19);

const ok = (a: Answer, body: unknown): void => {
  expect(a.status, a.text).toBe(200);
  expect(a.headers.get('content-type')).toContain('application/json');
  expect(a.body).toEqual(body);
};

describe('status-codes dialect (003): {"Status":{"Result":N}} at /compat/status-codes', () => {
  let ms: MailStack;
  let base: string;
  const at = (path: string, params: Record<string, string> = {}): string => {
    const qs = new URLSearchParams(params).toString();
    return `${base}${path}${qs ? `?${qs}` : ''}`;
  };
  const call = (path: string, params: Record<string, string> = {}): Promise<Answer> => get(at(path, params));

  /** Register → mailed code → VerifyCode → Login, all through the dialect: the account and its token. */
  const signUp = async (email = `tmy.${tag()}@example.test`, password = STRONG) => {
    const mark = ms.smtp.messages.length;
    const reg = await call('/Register', { id: email, password });
    expect(reg.body).toEqual({ Status: { Result: 1 }, Strength: expect.any(Number) });
    const code = codeIn(await mailTo(ms.smtp, email, mark));
    ok(await call('/VerifyCode', { address: email, code }), { Status: { Result: 1 } });
    const login = await call('/Login', { id: email, password });
    expect(login.body).toEqual({ Status: { Result: 1 }, Token: { Token: expect.stringMatching(/^ps_/) } });
    return { email, password, token: login.body.Token.Token as string };
  };

  beforeAll(async () => {
    ms = await startMailStack();
    base = dialectBase(ms.stack, 'status-codes');
  });
  afterAll(async () => ms?.close());

  it('walks the documented flow: Register (1, Strength) → a 4-character code valid 10 minutes → VerifyCode (1) → Login (1, token)', async () => {
    const email = `tmy.${tag()}@example.test`;
    const mark = ms.smtp.messages.length;
    const reg = await call('/Register', { id: email, password: STRONG });
    const expected = await ms.client.auth.passwordStrength({ password: STRONG, name: email.split('@')[0], email });
    ok(reg, { Status: { Result: 1 }, Strength: expected.score });
    expect(expected.score).toBeGreaterThanOrEqual(3);

    const mail = await mailTo(ms.smtp, email, mark);
    const code = codeIn(mail);
    expect(code).toMatch(/^[A-Z0-9]{4}$/);
    expect(mail.text).toContain('10 minutes');

    // Not confirmed yet: the login is refused like a wrong password.
    ok(await call('/Login', { id: email, password: STRONG }), { Status: { Result: 2 }, Token: {} });
    // Case-blind code.
    ok(await call('/VerifyCode', { address: email, code: code.toLowerCase() }), { Status: { Result: 1 } });
    // Spent: a second use is "wrong or expired".
    ok(await call('/VerifyCode', { address: email, code }), { Status: { Result: 2 } });

    const login = await call('/Login', { id: email, password: STRONG });
    ok(login, { Status: { Result: 1 }, Token: { Token: expect.stringMatching(/^ps_[A-Za-z0-9_-]+$/) } });
    const token = login.body.Token.Token as string;

    // The token is a canonical session token: the account is named after the address's local part, and the
    // confirmation's own session was ended (only the login's is open).
    const canonical = ms.client.withToken(token);
    expect(await canonical.users.me()).toMatchObject({ email, name: email.split('@')[0], emailVerified: true });
    expect((await canonical.auth.sessions()).items).toHaveLength(1);
  });

  it('Register: 5 with the strength when too weak (no account), 3 for a taken address, 2 for missing or bad arguments', async () => {
    const email = `weak.${tag()}@example.test`;
    const weak = await call('/Register', { id: email, password: 'password1' });
    ok(weak, { Status: { Result: 5 }, Strength: expect.any(Number) });
    expect(weak.body.Strength).toBeLessThan(3);
    // Nothing was created: the same address registers afterwards.
    ok(await call('/Register', { id: email, password: STRONG }), { Status: { Result: 1 }, Strength: expect.any(Number) });
    // Taken (registered, not yet confirmed) and taken by a canonical account.
    ok(await call('/Register', { id: email, password: STRONG }), { Status: { Result: 3 }, Strength: expect.any(Number) });
    const other = await registerVerified(ms, newUser('canon'));
    const taken = await call('/Register', { id: other.user.email.toUpperCase(), password: STRONG });
    expect(taken.body).toEqual({ Status: { Result: 3 }, Strength: expect.any(Number) });

    ok(await call('/Register', { id: `x.${tag()}@example.test` }), { Status: { Result: 2 }, Strength: 0 });
    ok(await call('/Register', { password: STRONG }), { Status: { Result: 2 }, Strength: expect.any(Number) });
    ok(await call('/Register', { id: 'not-an-address', password: STRONG }), {
      Status: { Result: 2 },
      Strength: expect.any(Number),
    });
    ok(await call('/Register', { id: `x.${tag()}@example.test`, password: 'x'.repeat(300) }), {
      Status: { Result: 2 },
      Strength: 0,
    });
  });

  it('Register: two addresses with the same local part both get accounts (the second name gets a suffix)', async () => {
    const local = `same.${tag()}`;
    const first = await signUp(`${local}@one.test`);
    const second = await signUp(`${local}@two.test`);
    const a = await ms.client.withToken(first.token).users.me();
    const b = await ms.client.withToken(second.token).users.me();
    expect(a.name).toBe(local);
    expect(b.name).toMatch(new RegExp(`^${local.replace('.', '\\.')}-\\d{4}$`));
  });

  it('VerifyCode: 2 for a wrong code, an unknown address, or a missing argument', async () => {
    const email = `code.${tag()}@example.test`;
    const mark = ms.smtp.messages.length;
    ok(await call('/Register', { id: email, password: STRONG }), { Status: { Result: 1 }, Strength: expect.any(Number) });
    const code = codeIn(await mailTo(ms.smtp, email, mark));
    const wrong = code === 'AAAA' ? 'BBBB' : 'AAAA';
    ok(await call('/VerifyCode', { address: email, code: wrong }), { Status: { Result: 2 } });
    ok(await call('/VerifyCode', { address: email, code: '12' }), { Status: { Result: 2 } });
    ok(await call('/VerifyCode', { address: `nobody.${tag()}@example.test`, code }), { Status: { Result: 2 } });
    ok(await call('/VerifyCode', { address: email }), { Status: { Result: 2 } });
    ok(await call('/VerifyCode', { code }), { Status: { Result: 2 } });
    // The right code still works after the wrong ones; POST with a JSON body is the same call.
    ok(await postJson(at('/VerifyCode'), { address: email, code }), { Status: { Result: 1 } });
  });

  it('Login: 2 for a wrong password, an unknown id, missing arguments, bad JSON, and once rate-limited; POST bodies work', async () => {
    const user = await signUp();
    ok(await call('/Login', { id: user.email, password: `${STRONG}-no` }), { Status: { Result: 2 }, Token: {} });
    ok(await call('/Login', { id: `nobody.${tag()}@example.test`, password: STRONG }), { Status: { Result: 2 }, Token: {} });
    ok(await call('/Login', { id: user.email }), { Status: { Result: 2 }, Token: {} });
    ok(await call('/Login', { password: STRONG }), { Status: { Result: 2 }, Token: {} });
    ok(await call('/Login'), { Status: { Result: 2 }, Token: {} });
    const badJson = await send(at('/Login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id": ',
    });
    ok(badJson, { Status: { Result: 2 }, Token: {} });

    const json = await postJson(at('/Login'), { id: user.email, password: user.password });
    ok(json, { Status: { Result: 1 }, Token: { Token: expect.stringMatching(/^ps_/) } });
    const form = await postForm(at('/Login'), { id: user.email, password: user.password });
    ok(form, { Status: { Result: 1 }, Token: { Token: expect.stringMatching(/^ps_/) } });
    // An empty JSON body with the fields in the query string, as some clients send.
    const empty = await send(at('/Login', { id: user.email, password: user.password }), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    ok(empty, { Status: { Result: 1 }, Token: { Token: expect.stringMatching(/^ps_/) } });
    expect(new Set([json.body.Token.Token, form.body.Token.Token, empty.body.Token.Token]).size).toBe(3);

    // Five wrong passwords in a row for this address: then even the right one is refused for a while.
    for (let i = 0; i < 5; i++) {
      ok(await call('/Login', { id: user.email, password: `${STRONG}-${i}` }), { Status: { Result: 2 }, Token: {} });
    }
    ok(await call('/Login', { id: user.email, password: user.password }), { Status: { Result: 2 }, Token: {} });
  });

  it('a token its session ended answers 3, an unknown or missing one 4, on every token route, each in its documented shape', async () => {
    const user = await signUp();
    const routes: [string, Record<string, string>, Record<string, unknown>][] = [
      ['/SearchAllUsers', { id: 'tmy' }, { Users: {} }],
      ['/GetAllLogs', {}, { Logs: {} }],
      ['/GetLatestLog', {}, { Log: {} }],
      ['/CreateIdentity', { name: 'tmy' }, {}],
      ['/SearchIdentityByUser', {}, { identities: {} }],
    ];
    // GetAllLogs' "token不存在" is documented with "Log", not "Logs".
    const unknownShape = (path: string, shape: Record<string, unknown>) => (path === '/GetAllLogs' ? { Log: {} } : shape);
    for (const [path, params, shape] of routes) {
      ok(await call(path, params), { Status: { Result: 4 }, ...unknownShape(path, shape) });
      ok(await call(path, { ...params, token: `ps_${'A'.repeat(40)}` }), { Status: { Result: 4 }, ...unknownShape(path, shape) });
      ok(await call(path, { ...params, token: 'eyJhbGciOiJIUzI1NiJ9.e30.abc' }), {
        Status: { Result: 4 },
        ...unknownShape(path, shape),
      });
    }

    // The session token is the canonical session: it works there too, and a canonical logout ends it here.
    expect((await get(`${ms.stack.url}/api/v1/auth/session`, bearer(user.token))).status).toBe(200);
    expect((await send(`${ms.stack.url}/api/v1/auth/logout`, { method: 'POST', headers: bearer(user.token) })).status).toBe(204);
    expect((await get(`${ms.stack.url}/api/v1/auth/session`, bearer(user.token))).status).toBe(401);
    for (const [path, params, shape] of routes) {
      ok(await call(path, { ...params, token: user.token }), { Status: { Result: 3 }, ...shape });
    }
  });

  it('SearchAllUsers: names by fuzzy match, the address only for the account that has exactly the one asked; 1 with {} for none; 2 without id', async () => {
    const me = await signUp();
    const stem = `zeb${tag()}`;
    await signUp(`${stem}.one@example.test`);
    await signUp(`${stem}.two@example.test`);
    // Not the `tmy.` every other account of this file starts with: two random `tmy.` names can be
    // similar enough for the fuzzy match (seen in CI: tmy.egjptytv also found tmy.egtpvesb).
    const solo = await signUp(`solo${tag()}@example.test`);
    const soloName = solo.email.split('@')[0] as string;

    // Several matches: "User Id" holds them all (names, never addresses).
    const several = await call('/SearchAllUsers', { token: me.token, id: stem });
    expect(several.status).toBe(200);
    expect(several.body.Status).toEqual({ Result: 1 });
    expect([...several.body.Users['User Id']].sort()).toEqual([`${stem}.one`, `${stem}.two`]);

    // One match: exactly the document's shape.
    ok(await call('/SearchAllUsers', { token: me.token, id: soloName }), {
      Status: { Result: 1 },
      Users: { 'User Id': soloName },
    });
    // The exact address (any case): that account is shown by it, as in the document's example.
    ok(await call('/SearchAllUsers', { token: me.token, id: solo.email }), {
      Status: { Result: 1 },
      Users: { 'User Id': solo.email },
    });
    ok(await call('/SearchAllUsers', { token: me.token, id: solo.email.toUpperCase() }), {
      Status: { Result: 1 },
      Users: { 'User Id': solo.email.toUpperCase() },
    });
    // A similar address nobody has: the look-alike account by its name, no address invented.
    ok(await call('/SearchAllUsers', { token: me.token, id: `${soloName}@elsewhere.test` }), {
      Status: { Result: 1 },
      Users: { 'User Id': soloName },
    });

    ok(await postForm(at('/SearchAllUsers'), { token: me.token, id: `qqq${tag()}` }), { Status: { Result: 1 }, Users: {} });
    ok(await call('/SearchAllUsers', { token: me.token }), { Status: { Result: 2 }, Users: {} });
    ok(await call('/SearchAllUsers', { token: me.token, id: 'x'.repeat(101) }), { Status: { Result: 2 }, Users: {} });
  });

  it('GetAllLogs and GetLatestLog: every successful login, canonical ones included, as "Last Login: <UTC time>"', async () => {
    const user = await signUp();
    const canonical = await ms.client.auth.login({ login: user.email, password: user.password });
    const viewer = ms.client.withToken(canonical.accessToken);
    // Confirmation, dialect login, canonical login: wait until the audit log holds them all.
    await expect
      .poll(async () => (await viewer.audit.logins({ limit: 100 })).items.filter((r) => r.success).length, ARRIVAL)
      .toBe(3);
    const records = (await viewer.audit.logins({ limit: 100 })).items.filter((r) => r.success);
    const keys = [...new Set(records.map((r) => stamp(r.at)))].sort();

    const all = await call('/GetAllLogs', { token: user.token });
    ok(all, { Status: { Result: 1 }, Logs: Object.fromEntries(keys.map((k) => [k, `Last Login: ${k}`])) });
    expect(Object.keys(all.body.Logs)).toEqual(keys);
    for (const key of keys) expect(key).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const latest = stamp((await viewer.audit.latestLogin()).at);
    expect(latest).toBe(keys.at(-1));
    ok(await postJson(at('/GetLatestLog'), { token: user.token }), {
      Status: { Result: 1 },
      Log: { [latest]: `Last Login: ${latest}` },
    });
  });

  it('CreateIdentity and SearchIdentityByUser share the canonical face library; 2 for a missing or unusable name', async () => {
    const user = await signUp();
    ok(await call('/SearchIdentityByUser', { token: user.token }), { Status: { Result: 1 }, identities: {} });
    ok(await call('/CreateIdentity', { name: 'tmy', token: user.token }), { Status: { Result: 1 } });
    ok(await call('/SearchIdentityByUser', { token: user.token }), { Status: { Result: 1 }, identities: { name: 'tmy' } });

    const canonical = ms.client.withToken(user.token);
    expect((await canonical.faces.listIdentities()).items.map((i) => i.name)).toEqual(['tmy']);
    await canonical.faces.createIdentity('Penny');
    ok(await postForm(at('/CreateIdentity'), { name: 'Raj Koothrappali', token: user.token }), { Status: { Result: 1 } });
    const listed = await call('/SearchIdentityByUser', { token: user.token });
    expect(listed.body.Status).toEqual({ Result: 1 });
    expect([...listed.body.identities.name].sort()).toEqual(['Penny', 'Raj Koothrappali', 'tmy']);

    ok(await call('/CreateIdentity', { token: user.token }), { Status: { Result: 2 } });
    ok(await call('/CreateIdentity', { name: '   ', token: user.token }), { Status: { Result: 2 } });
    ok(await call('/CreateIdentity', { name: 'x'.repeat(101), token: user.token }), { Status: { Result: 2 } });
    expect((await canonical.faces.listIdentities()).items).toHaveLength(3);
  });

  it('answers 404 in its envelope for a path the document does not have (paths are case-sensitive)', async () => {
    const lower = await call('/login', { id: 'a@b.test', password: 'x' });
    expect(lower.status).toBe(404);
    expect(lower.body).toEqual({ Status: { Result: 2 } });
  });

  // Last: these stop services. Register's 2 (the mail could not be queued), and the "query failed" 2s.
  it('answers each documented failure code when a service is down, and loses nothing', async () => {
    const user = await signUp();
    await ms.client.withToken(user.token).faces.createIdentity('kept');

    await ms.stack.stopService('chat-notify');
    const email = `mailless.${tag()}@example.test`;
    const failed = await call('/Register', { id: email, password: STRONG });
    ok(failed, { Status: { Result: 2 }, Strength: expect.any(Number) });
    expect(failed.body.Strength).toBeGreaterThanOrEqual(3);
    await ms.stack.startService('chat-notify');
    // The account was undone: the address registers now.
    ok(await call('/Register', { id: email, password: STRONG }), { Status: { Result: 1 }, Strength: expect.any(Number) });

    await ms.stack.stopService('audit-log');
    ok(await call('/GetAllLogs', { token: user.token }), { Status: { Result: 2 }, Logs: {} });
    ok(await call('/GetLatestLog', { token: user.token }), { Status: { Result: 2 }, Log: {} });
    await ms.stack.startService('audit-log');
    await expect.poll(async () => (await call('/GetLatestLog', { token: user.token })).body.Status.Result, ARRIVAL).toBe(1);

    await ms.stack.stopService('face-match');
    ok(await call('/SearchIdentityByUser', { token: user.token }), { Status: { Result: 2 }, identities: {} });
    ok(await call('/CreateIdentity', { name: 'lost', token: user.token }), { Status: { Result: 2 } });
    await ms.stack.startService('face-match');
    ok(await call('/SearchIdentityByUser', { token: user.token }), { Status: { Result: 1 }, identities: { name: 'kept' } });
  });
});
