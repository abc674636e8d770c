import { extractLink } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailStack, mailTo, type NewUser, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { type Answer, bearer, dialectBase, get, postForm, postJson, postMultipart, send } from './support/compat.ts';
import { landscape, portrait } from './support/faces.ts';
import * as files from './support/media-files.ts';

/**
 * The `xphoto` document (../shared/seeds/004_9a673aae3d4814ca.txt), walked as its client would: signup, the mailed
 * activation link, signin by name or address, userInfo, uploads, images, the face library; every documented
 * answer and the refusals a client meets.
 */

const MSG = {
  signedUp: '欢迎加入 xphoto！我们已给您的注册邮箱发送了一封邮件，请点击里面的链接来激活您的帐号。',
  taken: '用户名或邮箱已被使用。',
  activated: '帐号已被激活，请登录',
  alreadyActive: '帐号已经是激活状态。',
  signedIn: '登录成功！',
  notActivated: (email: string) => `此帐号还没有被激活，激活链接已发送到 ${email} 邮箱，请查收。`,
  wrongCredentials: '用户名或密码错误',
  badFormat: 'File format must be png or jpg!',
  tooLarge: 'File size too large. Max is 1MB',
  noImages: (id: string) => `there is no image about userId: ${id}`,
  registered: 'register success!',
};

/** An xphoto username: the document allows letters, digits, `-` and `_` only (newUser's are that already). */
const xUser = (prefix: string): NewUser => newUser(prefix);

const bytesOf = async (res: Response): Promise<Buffer> => Buffer.from(await res.arrayBuffer());

const expectError = (answer: Answer, status: number, error: string): void => {
  expect({ status: answer.status, body: answer.body }).toEqual({ status, body: { error } });
};

describe('the xphoto dialect, as its document walks it', () => {
  let ms: MailStack;
  let base: string;
  let alice: NewUser;
  let aliceId: string;
  let token: string;
  const signupBody = (u: NewUser) => ({ username: u.name, email: u.email, password: u.password, repeat_password: u.password });

  beforeAll(async () => {
    ms = await startMailStack();
    base = dialectBase(ms.stack, 'xphoto');
    alice = xUser('alice');
  }, 60_000);
  afterAll(async () => ms?.close());

  /** Signs up (JSON), opens the mailed link: the account is active. */
  const activated = async (u: NewUser): Promise<void> => {
    const mark = ms.smtp.messages.length;
    expect((await postJson(`${base}/signup`, signupBody(u))).body).toEqual({ success: MSG.signedUp });
    const link = extractLink(await mailTo(ms.smtp, u.email, mark), '/active_account');
    expect((await get(link)).body).toEqual({ success: MSG.activated });
  };
  const signin = async (fields: Record<string, string>): Promise<string> => {
    const answer = await postJson(`${base}/signin`, fields);
    expect(answer.status).toBe(200);
    return answer.body.JWTToken as string;
  };

  it('signup → mailed link → activation → signin → userInfo; a signin before activation mails the link again', async () => {
    let mark = ms.smtp.messages.length;
    const signedUp = await postJson(`${base}/signup`, signupBody(alice));
    expect({ status: signedUp.status, body: signedUp.body }).toEqual({ status: 200, body: { success: MSG.signedUp } });
    const first = extractLink(await mailTo(ms.smtp, alice.email, mark), '/active_account');
    expect(first.startsWith(`${base}/active_account?username=${alice.name}&key=`)).toBe(true);

    // Before activation: the document's answer names the address, and a fresh link is on its way.
    mark = ms.smtp.messages.length;
    expectError(
      await postForm(`${base}/signin`, { username: alice.name, password: alice.password }),
      422,
      MSG.notActivated(alice.email),
    );
    const second = extractLink(await mailTo(ms.smtp, alice.email, mark), '/active_account');
    expect(second).not.toBe(first);
    // Again within the minute: the same answer (the link just sent stands), and no account is opened.
    expectError(
      await postJson(`${base}/signin`, { username: alice.name, password: alice.password }),
      422,
      MSG.notActivated(alice.email),
    );

    // A wrong key, a missing key or username: the document's one answer.
    const key = new URL(first).searchParams.get('key') as string;
    expectError(await get(`${base}/active_account?username=${alice.name}&key=${key.slice(0, -2)}xx`), 422, MSG.alreadyActive);
    expectError(await get(`${base}/active_account?username=${alice.name}`), 422, MSG.alreadyActive);
    expectError(await get(`${base}/active_account?key=${key}`), 422, MSG.alreadyActive);
    // The second link opened under another account's name: refused, and the account is not activated by it
    // (the first link below still activates it).
    const secondKey = new URL(second).searchParams.get('key') as string;
    expectError(await get(`${base}/active_account?username=someone_else&key=${secondKey}`), 422, MSG.alreadyActive);

    const done = await get(first);
    expect({ status: done.status, body: done.body }).toEqual({ status: 200, body: { success: MSG.activated } });
    expectError(await get(first), 422, MSG.alreadyActive);
    // The other, unused link of an account active now: the document's "already active".
    expectError(await get(second), 422, MSG.alreadyActive);

    const before = Math.floor(Date.now() / 1000);
    const signedIn = await postJson(`${base}/signin`, { username: alice.name, password: alice.password });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toEqual({ success: MSG.signedIn, JWTToken: expect.stringMatching(/^ps_[A-Za-z0-9_-]{20,}$/) });
    token = signedIn.body.JWTToken;

    const info = await get(`${base}/userInfo`, bearer(token));
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ id: expect.any(String), username: alice.name, email: alice.email, iat: expect.any(Number) });
    expect(info.body.iat).toBeGreaterThanOrEqual(before - 1);
    expect(info.body.iat).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    aliceId = info.body.id;

    // The same session on the canonical API: the same account.
    const me = await ms.client.withToken(token).users.me();
    expect(me).toMatchObject({ id: aliceId, name: alice.name, email: alice.email, emailVerified: true });
  });

  it('signs in by address (in `email` or in `username`), from a form or JSON; a signin by address before activation mails a link that works', async () => {
    expect(await signin({ email: alice.email, password: alice.password })).toMatch(/^ps_/);
    expect(await signin({ username: alice.email.toUpperCase(), password: alice.password })).toMatch(/^ps_/);
    const viaForm = await postForm(`${base}/signin`, { email: alice.email, password: alice.password });
    expect(viaForm.body).toEqual({ success: MSG.signedIn, JWTToken: expect.stringMatching(/^ps_/) });

    const bob = xUser('bob');
    let mark = ms.smtp.messages.length;
    // Signed up with a urlencoded form this time.
    const signedUp = await postForm(`${base}/signup`, signupBody(bob));
    expect(signedUp.body).toEqual({ success: MSG.signedUp });
    await mailTo(ms.smtp, bob.email, mark);
    mark = ms.smtp.messages.length;
    expectError(await postJson(`${base}/signin`, { email: bob.email, password: bob.password }), 422, MSG.notActivated(bob.email));
    const link = extractLink(await mailTo(ms.smtp, bob.email, mark), '/active_account');
    expect((await get(link)).body).toEqual({ success: MSG.activated });
    expect(await signin({ email: bob.email, password: bob.password })).toMatch(/^ps_/);
  });

  it('refuses every bad signup with 422 and a message saying what is wrong', async () => {
    const u = xUser('carol');
    const at = (fields: Record<string, unknown>) => postJson(`${base}/signup`, fields);
    expectError(await at({}), 422, '缺少参数：username、email、password、repeat_password');
    expectError(await at({ username: u.name, email: u.email, password: u.password }), 422, '缺少参数：repeat_password');
    const rule = '用户名至少需要5个字符，且只能包含字母、数字、“-”和“_”。';
    expectError(await at({ ...signupBody(u), username: 'abcd' }), 422, rule);
    expectError(await at({ ...signupBody(u), username: 'carol.smith' }), 422, rule);
    expectError(await at({ ...signupBody(u), username: 'caröline' }), 422, rule);
    expectError(await at({ ...signupBody(u), username: 'c'.repeat(33) }), 422, '用户名最多32个字符。');
    expectError(await at({ ...signupBody(u), email: 'not-an-address' }), 422, '邮箱格式不正确。');
    expectError(await at({ ...signupBody(u), repeat_password: `${u.password}!` }), 422, '两次输入的密码不一致。');
    expectError(
      await at({ ...signupBody(u), password: 'password1', repeat_password: 'password1' }),
      422,
      '密码强度太弱，请使用更长、更不容易被猜到的密码。',
    );
    // Taken: the name (in any case) or the address, with the document's message.
    expectError(await at({ ...signupBody(u), username: alice.name }), 422, MSG.taken);
    expectError(await at({ ...signupBody(u), username: alice.name.toUpperCase() }), 422, MSG.taken);
    expectError(await at({ ...signupBody(u), email: alice.email }), 422, MSG.taken);
    // None of that made an account: the name is still free.
    const mark = ms.smtp.messages.length;
    expect((await at(signupBody(u))).body).toEqual({ success: MSG.signedUp });
    await mailTo(ms.smtp, u.email, mark);

    // Not JSON, or JSON that does not parse: still the dialect's envelope.
    expectError(
      await send(`${base}/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' }),
      400,
      '请求体不是有效的 JSON。',
    );
    expectError(
      await send(`${base}/signup`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<signup/>' }),
      415,
      '不支持的 Content-Type：请使用 application/json 或 application/x-www-form-urlencoded。',
    );
  });

  it('refuses a bad signin with the document’s message, and too many with 429 and Retry-After', async () => {
    expectError(
      await postJson(`${base}/signin`, { username: alice.name, password: 'Wrong-Password-123' }),
      422,
      MSG.wrongCredentials,
    );
    expectError(
      await postJson(`${base}/signin`, { username: 'nobody_here_at_all', password: 'whatever' }),
      422,
      MSG.wrongCredentials,
    );
    expectError(await postJson(`${base}/signin`, { username: alice.name }), 422, '请输入用户名（或邮箱）和密码。');
    expectError(await postJson(`${base}/signin`, { password: alice.password }), 422, '请输入用户名（或邮箱）和密码。');

    const { user } = await registerVerified(ms, xUser('dave'));
    let last: Answer | undefined;
    for (let i = 0; i < 8 && last?.status !== 429; i++) {
      last = await postJson(`${base}/signin`, { username: user.name, password: 'Wrong-Password-123' });
    }
    expect(last?.status).toBe(429);
    expect(last?.body.error).toMatch(/^请求过于频繁，请在 \d+ 秒后再试。$/);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('asks for the JWTToken on every other route: 401 without it, with a bad one, or an unknown one', async () => {
    expectError(await get(`${base}/userInfo`), 401, '请先登录：请求需要携带 Authorization: Bearer <JWTToken> 请求头。');
    expectError(
      await get(`${base}/images`, { authorization: token }),
      401,
      '请先登录：请求需要携带 Authorization: Bearer <JWTToken> 请求头。',
    );
    expectError(await get(`${base}/userInfo`, bearer('eyJhbGciOiJIUzI1NiJ9.e30.abc')), 401, 'JWTToken 无效，请重新登录。');
    expectError(await get(`${base}/userInfo`, bearer(`ps_${'a'.repeat(43)}`)), 401, '登录已失效（已退出或已过期），请重新登录。');
    expectError(
      await postMultipart(`${base}/upload`, [{ name: 'file', bytes: await files.png(), filename: 'a.png' }]),
      401,
      '请先登录：请求需要携带 Authorization: Bearer <JWTToken> 请求头。',
    );
  });

  it('uploads png and jpg images, lists them, and the URLs give the same bytes without a token', async () => {
    const png = await files.png(80, 60);
    const jpeg = await files.jpeg(60, 80);
    const uploaded = await postMultipart(
      `${base}/upload`,
      [
        { name: 'file', bytes: png, filename: 'one.png', type: 'image/png' },
        { name: 'file', bytes: jpeg, filename: 'two.jpg', type: 'image/jpeg' },
      ],
      bearer(token),
    );
    expect(uploaded.status).toBe(200);
    expect(uploaded.body).toEqual({ urls: [expect.any(String), expect.any(String)] });
    const urls = uploaded.body.urls as string[];
    for (const url of urls) expect(url).toMatch(new RegExp(`^${ms.stack.url}/api/v1/media/[^/?]+\\?exp=\\d+&sig=`));
    expect(await bytesOf(await fetch(urls[0] as string))).toEqual(png);
    expect(await bytesOf(await fetch(urls[1] as string))).toEqual(jpeg);

    // A part named `images` works too (the document names none).
    const third = await postMultipart(
      `${base}/upload`,
      [{ name: 'images', bytes: await files.png(10, 10), filename: 'x.png' }],
      bearer(token),
    );
    expect(third.body).toEqual({ urls: [expect.any(String)] });

    const idOf = (url: string) => new URL(url).pathname;
    const listed = await get(`${base}/images`, bearer(token));
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ urls: expect.any(Array) });
    expect((listed.body.urls as string[]).map(idOf).sort()).toEqual([...urls, ...third.body.urls].map(idOf).sort());
    for (const url of listed.body.urls as string[]) expect((await fetch(url)).status).toBe(200);

    // The canonical API, with the same token, sees the same uploads.
    const mine = await ms.client.withToken(token).media.list({ kind: 'image' });
    expect(mine.items.map((m) => m.url).sort()).toEqual((listed.body.urls as string[]).map(idOf).sort());
  });

  it('refuses a gif, a file over 1 MB, a form that is no multipart or names no image, and lists nothing for a new user', async () => {
    const gif = await files.gif();
    expectError(
      await postMultipart(`${base}/upload`, [{ name: 'file', bytes: gif, filename: 'a.png' }], bearer(token)),
      400,
      MSG.badFormat,
    );
    expectError(
      await postMultipart(`${base}/upload`, [{ name: 'file', bytes: files.pdf(), filename: 'a.jpg' }], bearer(token)),
      400,
      MSG.badFormat,
    );
    const big = await files.noisePng(700);
    expect(big.length).toBeGreaterThan(1024 * 1024);
    expectError(
      await postMultipart(`${base}/upload`, [{ name: 'file', bytes: big, filename: 'big.png' }], bearer(token)),
      413,
      MSG.tooLarge,
    );
    expectError(
      await postJson(`${base}/upload`, { file: 'a.png' }, bearer(token)),
      415,
      'Send the images as multipart/form-data, in parts named file.',
    );
    expectError(
      await postMultipart(`${base}/upload`, [{ name: 'photo', bytes: await files.png(), filename: 'a.png' }], bearer(token)),
      400,
      'No image in the form: send png or jpg files in multipart/form-data parts named file (or files, image, images).',
    );

    // All or nothing: a form whose second image has too many pixels keeps neither.
    const before = ((await get(`${base}/images`, bearer(token))).body.urls as string[]).length;
    expectError(
      await postMultipart(
        `${base}/upload`,
        [
          { name: 'file', bytes: await files.png(12, 12), filename: 'ok.png' },
          { name: 'file', bytes: files.bombPng(), filename: 'bomb.png' },
        ],
        bearer(token),
      ),
      413,
      'Image dimensions too large!',
    );
    expect(((await get(`${base}/images`, bearer(token))).body.urls as string[]).length).toBe(before);

    const eleven = await Promise.all(Array.from({ length: 11 }, (_, i) => files.png(8 + i, 8)));
    expectError(
      await postMultipart(
        `${base}/upload`,
        eleven.map((bytes, i) => ({ name: 'file', bytes, filename: `${i}.png` })),
        bearer(token),
      ),
      413,
      'Too many files. Max is 10 per upload',
    );

    const erin = xUser('erin');
    await activated(erin);
    const erinToken = await signin({ username: erin.name, password: erin.password });
    const erinId = (await get(`${base}/userInfo`, bearer(erinToken))).body.id as string;
    expectError(await get(`${base}/images`, bearer(erinToken)), 404, MSG.noImages(erinId));
  });

  it('registers faces into the library (201) and searches it: 200 true for the same person, 404 false for another', async () => {
    const registered = await postMultipart(
      `${base}/images-db`,
      [{ name: 'file', bytes: (await portrait('penny', 1)).bytes, filename: 'penny1.png' }],
      bearer(token),
    );
    expect({ status: registered.status, body: registered.body }).toEqual({ status: 201, body: { message: MSG.registered } });

    // Nothing usable: no face, or no image at all.
    const noFace = await postMultipart(`${base}/images-db/`, [{ name: 'file', ...(await landscape()) }], bearer(token));
    expect(noFace.status).toBe(422);
    expect(noFace.body).toEqual({ error: expect.stringContaining('sky.png: no face found') });
    const notImage = await postMultipart(
      `${base}/images-db`,
      [{ name: 'file', bytes: files.pdf(), filename: 'doc.pdf' }],
      bearer(token),
    );
    expect(notImage.status).toBe(422);
    expect(notImage.body).toEqual({ error: expect.stringContaining('doc.pdf: not an image') });
    expectError(
      await postMultipart(`${base}/images-db`, [{ name: 'faceFile', bytes: files.pdf(), filename: 'doc.pdf' }], bearer(token)),
      400,
      'No photo in the form: send them in multipart/form-data parts named file.',
    );

    const same = await postMultipart(
      `${base}/images-db/?search`,
      [{ name: 'faceFile', bytes: (await portrait('penny', 2)).bytes, filename: 'penny2.png' }],
      bearer(token),
    );
    expect({ status: same.status, body: same.body }).toEqual({ status: 200, body: { isInterested: true } });
    const other = await postMultipart(
      `${base}/images-db?search`,
      [{ name: 'faceFile', bytes: (await portrait('sheldon', 1)).bytes, filename: 'sheldon1.png' }],
      bearer(token),
    );
    expect({ status: other.status, body: other.body }).toEqual({ status: 404, body: { isInterested: false } });

    expectError(
      await postMultipart(
        `${base}/images-db/?search`,
        [{ name: 'faceFile', bytes: files.pdf(), filename: 'doc.pdf' }],
        bearer(token),
      ),
      400,
      'faceFile must be an image (png, jpg, gif or webp)!',
    );
    expectError(
      await postMultipart(
        `${base}/images-db/?search`,
        [{ name: 'file', bytes: await files.png(), filename: 'a.png' }],
        bearer(token),
      ),
      400,
      'No photo in the form: send it in a multipart/form-data part named faceFile.',
    );

    // The library is the canonical one: one identity, "xphoto", holding Penny's photo.
    const { items } = await ms.client.withToken(token).faces.listIdentities();
    expect(items).toEqual([expect.objectContaining({ name: 'xphoto', photoCount: 1 })]);
  });

  it('signs out (Parley’s addition): the token stops working here and on the canonical API', async () => {
    const other = await signin({ username: alice.name, password: alice.password });
    const out = await postJson(`${base}/signout`, {}, bearer(other));
    expect({ status: out.status, body: out.body }).toEqual({ status: 200, body: { success: '已退出登录。' } });
    expectError(await get(`${base}/userInfo`, bearer(other)), 401, '登录已失效（已退出或已过期），请重新登录。');
    expect((await get(`${ms.stack.url}/api/v1/auth/session`, bearer(other))).status).toBe(401);
    // Only that session ended.
    expect((await get(`${base}/userInfo`, bearer(token))).status).toBe(200);
  });

  it('answers 503 in its envelope, with Retry-After, while a service it needs is down', async () => {
    await ms.stack.stopService('media');
    try {
      const down = await get(`${base}/images`, bearer(token));
      expectError(down, 503, '服务暂不可用，请稍后再试。');
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await ms.stack.startService('media');
    }
    expect((await get(`${base}/images`, bearer(token))).status).toBe(200);
  });

  it('answers an unknown path in its envelope', async () => {
    expectError(await get(`${base}/nothing-here`), 404, '没有这个接口：GET /compat/xphoto/nothing-here');
  });
});
