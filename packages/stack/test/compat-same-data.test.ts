import type { LoginRecord } from '@parley/contracts';
import { extractLink } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAt, type MailStack, mailTo, newUser, pollUntil, startMailStack } from './support/accounts.ts';
import { bearer, dialectBase, get, postJson, postMultipart } from './support/compat.ts';
import { jpeg, png } from './support/media-files.ts';

/** `2026-11-21 14:03:09`: how the status-codes dialect keys a login (UTC). */
const logKey = (iso: string): string => iso.slice(0, 19).replace('T', ' ');

/**
 * The dialects are views of one Parley: an account made through one is the account every other API sees,
 * an upload through one is an upload of that account, a login through any of them is in the one login history,
 * and a logout through one ends the session for all.
 */
describe('one user, one set of uploads, one login history, whichever API is used', () => {
  let ms: MailStack;
  let xphoto: string;
  let sessions: string;
  let statusCodes: string;
  const user = newUser('same');
  let jwtToken: string;
  let userId: string;

  beforeAll(async () => {
    ms = await startMailStack();
    xphoto = dialectBase(ms.stack, 'xphoto');
    sessions = dialectBase(ms.stack, 'sessions');
    statusCodes = dialectBase(ms.stack, 'status-codes');

    // Signed up through xphoto (its document's flow: signup, the mailed activation link, signin).
    const mark = ms.smtp.messages.length;
    const signup = await postJson(`${xphoto}/signup`, {
      username: user.name,
      email: user.email,
      password: user.password,
      repeat_password: user.password,
    });
    expect(signup.status, signup.text).toBe(200);
    const link = extractLink(await mailTo(ms.smtp, user.email, mark), '/active_account');
    expect((await get(link)).status).toBe(200);
    const signin = await postJson(`${xphoto}/signin`, { username: user.name, password: user.password });
    expect(signin.status, signin.text).toBe(200);
    jwtToken = signin.body.JWTToken;
    userId = (await get(`${xphoto}/userInfo`, bearer(jwtToken))).body.id;
  });
  afterAll(async () => ms?.close());

  it('is the same account for the canonical API and every dialect that logs in', async () => {
    const canonical = await ms.client.auth.login({ login: user.email, password: user.password });
    expect(canonical.user).toMatchObject({ id: userId, name: user.name, email: user.email, emailVerified: true });

    const viaSessions = await postJson(`${sessions}/api/v1/auth/login`, { name: user.name, password: user.password });
    expect(viaSessions.body.status).toBe('Success');
    const viaStatusCodes = await get(
      `${statusCodes}/Login?id=${encodeURIComponent(user.email)}&password=${encodeURIComponent(user.password)}`,
    );
    expect(viaStatusCodes.body.Status.Result).toBe(1);

    // Each dialect's token is a session of that account on the canonical API too.
    for (const token of [jwtToken, viaSessions.body.data.sig, viaStatusCodes.body.Token.Token]) {
      expect((await clientAt(ms.stack.url, token).users.me()).id).toBe(userId);
    }
    // A rename through the canonical API is what xphoto shows.
    const renamed = `${user.name}_x`;
    await clientAt(ms.stack.url, canonical.accessToken).users.rename(renamed);
    expect((await get(`${xphoto}/userInfo`, bearer(jwtToken))).body.username).toBe(renamed);
    await clientAt(ms.stack.url, canonical.accessToken).users.rename(user.name);
  });

  it('shares uploads both ways: xphoto’s upload is in the canonical list, a canonical upload is in xphoto’s /images', async () => {
    const canonical = clientAt(
      ms.stack.url,
      (await ms.client.auth.login({ login: user.name, password: user.password })).accessToken,
    );
    const bytes = await png(40, 30);
    const up = await postMultipart(
      `${xphoto}/upload`,
      [{ name: 'file', bytes, filename: 'a.png', type: 'image/png' }],
      bearer(jwtToken),
    );
    expect(up.status, up.text).toBe(200);
    expect(up.body.urls).toHaveLength(1);

    const mine = await canonical.media.list({ kind: 'image' });
    expect(mine.items).toHaveLength(1);
    expect(await canonical.media.bytes(mine.items[0]!.id)).toEqual(new Uint8Array(bytes));

    const other = await jpeg(50, 20);
    const uploaded = await canonical.media.upload('image', other, 'b.jpg');
    const images = await get(`${xphoto}/images`, bearer(jwtToken));
    expect(images.status).toBe(200);
    expect(images.body.urls).toHaveLength(2);
    const served = await Promise.all(
      images.body.urls.map(async (u: string) => new Uint8Array(await (await fetch(u)).arrayBuffer())),
    );
    expect(served).toContainEqual(new Uint8Array(other));
    expect(served).toContainEqual(new Uint8Array(bytes));
    expect(uploaded.kind).toBe('image');
  });

  it('keeps one login history: logins through any API are in the canonical history and in status-codes’ logs', async () => {
    const token = (
      await get(`${statusCodes}/Login?id=${encodeURIComponent(user.email)}&password=${encodeURIComponent(user.password)}`)
    ).body.Token.Token as string;
    const canonical = clientAt(ms.stack.url, token);
    let history: LoginRecord[] = [];
    // Logins so far: xphoto's signin, the canonical ones, sessions' and status-codes' (the audit log takes a moment).
    const arrived = await pollUntil(
      async () => {
        history = (await canonical.audit.logins({ limit: 100 })).items.filter((l) => l.success);
        return history.length >= 6;
      },
      20_000,
      200,
    );
    expect(arrived, `${history.length} successful logins recorded`).toBeDefined();

    const logs = await get(`${statusCodes}/GetAllLogs?token=${encodeURIComponent(token)}`);
    expect(logs.body.Status.Result).toBe(1);
    const keys = Object.keys(logs.body.Logs);
    expect(new Set(keys)).toEqual(new Set(history.map((l) => logKey(l.at))));
    for (const key of keys) expect(logs.body.Logs[key]).toBe(`Last Login: ${key}`);

    const latest = await get(`${statusCodes}/GetLatestLog?token=${encodeURIComponent(token)}`);
    expect(Object.keys(latest.body.Log)).toEqual([logKey(history[0]!.at)]);
  });

  it('ends a session everywhere when it is logged out through a dialect, and only that one', async () => {
    const login = await postJson(`${sessions}/api/v1/auth/login`, { name: user.name, password: user.password });
    const sig = login.body.data.sig as string;
    const other = await ms.client.auth.login({ login: user.name, password: user.password });
    expect((await clientAt(ms.stack.url, sig).auth.session()).userId).toBe(userId);

    const out = await postJson(`${sessions}/api/v1/auth/logout`, { name: user.name, token: sig });
    expect(out.body).toMatchObject({ status: 'Success', data: { message: 'Session is deleted.' } });

    const refused = await fetch(`${ms.stack.url}/api/v1/auth/session`, { headers: bearer(sig) });
    expect(refused.status).toBe(401);
    expect((await get(`${xphoto}/userInfo`, bearer(sig))).status).toBe(401);
    expect((await get(`${statusCodes}/GetLatestLog?token=${sig}`)).body.Status.Result).toBe(3);
    // The account's other sessions go on.
    expect((await clientAt(ms.stack.url, other.accessToken).users.me()).id).toBe(userId);
    expect((await get(`${xphoto}/userInfo`, bearer(jwtToken))).status).toBe(200);
  });
});
