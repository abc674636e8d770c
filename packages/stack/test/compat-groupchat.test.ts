import { randomBytes } from 'node:crypto';
import type { RoomDetail } from '@parley/contracts';
import { extractCode } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Account, mailTo, newUser, registerVerified } from './support/accounts.ts';
import { type Answer, dialectBase, type FormPart, postForm, postJson, postMultipart, send } from './support/compat.ts';
import { type MediaStack, sha256, startMediaStack } from './support/media.ts';
import * as files from './support/media-files.ts';
import { connectReady, type Frame, type WsClient } from './support/ws.ts';

/**
 * The `groupchat` document (../shared/seeds/001_b87a3964f20c2206.txt), walked endpoint by endpoint against the
 * running gateway: `{code, info}` answers, HTTP 200 for success and 400 for each refusal its tables list.
 */

const FILE_LIMIT = 256 * 1024;

/** A refusal exactly as the document's tables write it. */
const refused = (answer: Answer, code: number, info: string, status = 400) =>
  expect({ status: answer.status, body: answer.body }).toEqual({ status, body: { code, info } });

const succeeded = (answer: Answer, extra: Record<string, unknown> = {}) =>
  expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { code: 0, info: 'Succeed', ...extra } });

/** A PDF no other upload has: its bytes are in the store only if something kept them. */
const uniquePdf = (): Buffer => Buffer.concat([files.pdf(), randomBytes(32)]);

const bareAuth = (token: string) => ({ authorization: token });
const bearerAuth = (token: string) => ({ authorization: `Bearer ${token}` });

/** A socket opened on exactly the URL the dialect answered, collecting its frames. */
const openLiteral = (
  url: string,
): Promise<{ socket: WebSocket; frames: Frame[]; next: (p: (f: Frame) => boolean) => Promise<Frame> }> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const frames: Frame[] = [];
    const waiters = new Set<() => void>();
    socket.on('message', (data) => {
      frames.push(JSON.parse(data.toString()) as Frame);
      for (const wake of waiters) wake();
    });
    socket.on('error', reject);
    socket.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    const next = (predicate: (f: Frame) => boolean) =>
      new Promise<Frame>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no such frame; got ${JSON.stringify(frames)}`)), 15_000);
        const check = () => {
          const frame = frames.find(predicate);
          if (!frame) return;
          clearTimeout(timer);
          waiters.delete(check);
          done(frame);
        };
        waiters.add(check);
        check();
      });
    socket.once('open', () => resolve({ socket, frames, next }));
  });

describe('groupchat dialect (001): accounts by name or email code, profile changes, group-chat uploads', () => {
  let ms: MediaStack;
  let base: string;
  let dora: Account; // a canonical account: owns the group chat, logs in by email code
  let erin: Account; // a canonical account whose name and address are taken
  const alice = newUser('alice');
  let aliceId: string;
  let registerToken: string;
  let token: string; // alice's working session (name login)
  let formToken: string; // another session of alice's (form login)
  let newPassword: string;
  let room: RoomDetail;
  let privateRoom: RoomDetail;

  const url = (path: string) => `${base}${path}`;
  const canonical = (t: string) => ms.client.withToken(t);

  beforeAll(async () => {
    ms = await startMediaStack('fs', { UPLOAD_LIMIT_FILE_BYTES: String(FILE_LIMIT) });
    base = dialectBase(ms.stack, 'groupchat');
    [dora, erin] = await Promise.all([registerVerified(ms, newUser('dora')), registerVerified(ms, newUser('erin'))]);
  });
  afterAll(async () => ms?.close());

  describe('POST /register', () => {
    let code: string;

    it('need_send true mails a code to an address with no account: {code: 0, info: "Succeed"}', async () => {
      const mark = ms.smtp.messages.length;
      const answer = await postJson(url('/register'), { email: alice.email, need_send: true });
      succeeded(answer);
      code = extractCode(await mailTo(ms.smtp, alice.email, mark));

      // A second code for the same address within the minute: the rate limit, in the envelope.
      const again = await postJson(url('/register'), { email: alice.email, need_send: true });
      refused(again, -3, 'Too many attempts', 429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('need_send true for an address that has an account: -2 "Email already exists"', async () => {
      refused(await postJson(url('/register'), { email: erin.user.email, need_send: true }), -2, 'Email already exists');
    });

    it('refuses what the tables list, and a missing or malformed field, losing nothing', async () => {
      const body = { name: alice.name, password: alice.password, email: alice.email };
      refused(await postJson(url('/register'), { ...body, need_send: false }), -2, 'Please verify your email');
      const wrong = code === '000000' ? '111111' : '000000';
      refused(await postJson(url('/register'), { ...body, security_code: wrong, need_send: false }), -1, 'Wrong verify code');
      refused(await postJson(url('/register'), { ...body, security_code: '12ab' }), -1, 'Wrong verify code');
      refused(await postJson(url('/register'), { ...body, name: erin.user.name, security_code: code }), -2, 'Username duplicate');
      refused(await postJson(url('/register'), { ...body, password: 123, security_code: code }), -1, 'Weak password');
      refused(
        await postJson(url('/register'), { password: alice.password, email: alice.email, security_code: code }),
        -1,
        'Missing or error type of [name]',
      );
      refused(
        await postJson(url('/register'), { ...body, email: 'not-an-address', security_code: code }),
        -1,
        'Invalid [email]: not an email address',
      );
      refused(
        await postJson(url('/register'), { ...body, name: 'a b', security_code: code }),
        -1,
        "Invalid [name]: 2 to 32 letters, digits, '_', '.' or '-'",
      );
      refused(
        await postJson(url('/register'), { email: alice.email, need_send: 'perhaps' }),
        -1,
        'Missing or error type of [need_send]',
      );
      refused(await postJson(url('/register'), { email: 'nope', need_send: true }), -1, 'Invalid [email]: not an email address');
      // The document's sample is a Python literal (`False`): not JSON, and said so.
      const python = await send(url('/register'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"email": "${alice.email}", "need_send" True}`,
      });
      refused(python, -1, 'Invalid JSON body');
      const plain = await send(url('/register'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      refused(plain, -1, 'Send the fields as a JSON object, a urlencoded form or multipart/form-data');
      refused(
        await postJson(url('/register'), [alice.email, true]),
        -1,
        'Send the fields as a JSON object, a urlencoded form or multipart/form-data',
      );
      const xml = await send(url('/register'), { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
      refused(xml, -1, 'Unsupported Content-Type: send JSON, a urlencoded form or multipart/form-data');
      // None of it created the account.
      refused(await postJson(url('/login'), { name: alice.name, password: alice.password }), -2, 'Username not found');
    });

    it('need_send false with the mailed code registers: token, ws_url and the user id', async () => {
      const answer = await postJson(url('/register'), {
        name: alice.name,
        password: alice.password,
        email: alice.email,
        security_code: code,
        need_send: false,
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        code: 0,
        info: 'Succeed',
        token: expect.stringMatching(/^ps_/),
        ws_url: expect.any(String),
        id: expect.any(String),
      });
      registerToken = answer.body.token;
      aliceId = answer.body.id;
      expect(answer.body.ws_url).toBe(
        `${ms.stack.url.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(registerToken)}`,
      );

      // The same account on the canonical API, confirmed by the code, with the token the dialect gave.
      const me = await canonical(registerToken).users.me();
      expect(me).toMatchObject({ id: aliceId, name: alice.name, email: alice.email, emailVerified: true });

      // ws_url is a WebSocket that opens with this user's feed.
      const ws = await openLiteral(answer.body.ws_url);
      const hello = await ws.next((f) => f.type === 'hello');
      expect(hello.userId).toBe(aliceId);
      ws.socket.close();

      // The code is spent.
      refused(
        await postJson(url('/register'), {
          name: newUser('x').name,
          password: alice.password,
          email: alice.email,
          security_code: code,
        }),
        -1,
        'Wrong verify code',
      );
    });
  });

  describe('POST /login', () => {
    it('by name and password: token and ws_url; urlencoded forms too', async () => {
      const answer = await postJson(url('/login'), { name: alice.name, password: alice.password });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        code: 0,
        info: 'Succeed',
        token: expect.stringMatching(/^ps_/),
        ws_url: expect.stringContaining('/api/v1/ws?token=ps_'),
        id: aliceId,
      });
      token = answer.body.token;
      expect(token).not.toBe(registerToken);

      const form = await postForm(url('/login'), { name: alice.name, password: alice.password });
      expect(form.body).toMatchObject({ code: 0, info: 'Succeed', id: aliceId });
      formToken = form.body.token;
    });

    it('refuses as its table says: "Username not found", "Wrong Password", "Please verify your email"', async () => {
      refused(await postJson(url('/login'), { name: newUser('ghost').name, password: alice.password }), -2, 'Username not found');
      refused(await postJson(url('/login'), { name: alice.name, password: 123 }), -2, 'Wrong Password');
      const unconfirmed = newUser('frank');
      await ms.client.auth.register(unconfirmed);
      refused(
        await postJson(url('/login'), { name: unconfirmed.name, password: unconfirmed.password }),
        -2,
        'Please verify your email',
      );
      refused(await postJson(url('/login'), { name: alice.name }), -1, 'Missing or error type of [password]');
      refused(await postJson(url('/login'), {}), -1, 'Missing or error type of [name]');
      refused(await postJson(url('/login'), { email: dora.user.email }), -1, 'Missing or error type of [security_code]');
    });

    it('by email: need_send true mails a code, then email + security_code logs in', async () => {
      const mark = ms.smtp.messages.length;
      succeeded(await postJson(url('/login'), { email: dora.user.email, need_send: true }));
      const code = extractCode(await mailTo(ms.smtp, dora.user.email, mark));
      const wrong = code === '000000' ? '111111' : '000000';
      refused(
        await postJson(url('/login'), { email: dora.user.email, security_code: wrong, need_send: false }),
        -1,
        'Wrong verify code',
      );
      // As the sample sends it: the code as a number (a leading zero lost on the way is put back).
      const answer = await postJson(url('/login'), { email: dora.user.email, security_code: Number(code), need_send: false });
      expect(answer.body).toEqual({
        code: 0,
        info: 'Succeed',
        token: expect.stringMatching(/^ps_/),
        ws_url: expect.any(String),
        id: dora.tokens.user.id,
      });
      expect((await canonical(answer.body.token).users.me()).email).toBe(dora.user.email);
    });
  });

  describe('POST /change_name', () => {
    it('renames the token’s user; a canonical client sees the new name', async () => {
      const renamed = newUser('alicia').name;
      succeeded(await postJson(url('/change_name'), { id: aliceId, new_name: renamed }, bearerAuth(token)));
      expect((await canonical(token).users.me()).name).toBe(renamed);
      // The bare token in Authorization works too (the document does not say how it is sent).
      alice.name = newUser('alix').name;
      succeeded(await postJson(url('/change_name'), { id: aliceId, new_name: alice.name }, bareAuth(token)));
      expect((await canonical(token).users.me()).name).toBe(alice.name);
    });

    it('refuses: "Username duplicate", "Invalid or expired JWT" (no token, a bad one, another user’s id)', async () => {
      refused(
        await postJson(url('/change_name'), { id: aliceId, new_name: erin.user.name }, bearerAuth(token)),
        -2,
        'Username duplicate',
      );
      refused(await postJson(url('/change_name'), { id: aliceId, new_name: 'zed_name' }), -2, 'Invalid or expired JWT');
      refused(
        await postJson(url('/change_name'), { id: aliceId, new_name: 'zed_name' }, bearerAuth('ps_notatokenatallnotatokenatall')),
        -2,
        'Invalid or expired JWT',
      );
      refused(
        await postJson(url('/change_name'), { id: aliceId, new_name: 'zed_name' }, bearerAuth('garbage')),
        -2,
        'Invalid or expired JWT',
      );
      refused(
        await postJson(url('/change_name'), { id: erin.tokens.user.id, new_name: 'zed_name' }, bearerAuth(token)),
        -2,
        'Invalid or expired JWT',
      );
      refused(
        await postJson(url('/change_name'), { id: 1, new_name: 'zed_name' }, bearerAuth(token)),
        -2,
        'Invalid or expired JWT',
      );
      refused(
        await postJson(url('/change_name'), { new_name: 'zed_name' }, bearerAuth(token)),
        -1,
        'Missing or error type of [id]',
      );
      refused(await postJson(url('/change_name'), { id: aliceId }, bearerAuth(token)), -1, 'Missing or error type of [new_name]');
      expect((await canonical(token).users.me()).name).toBe(alice.name);
      expect((await canonical(erin.tokens.accessToken).users.me()).name).toBe(erin.user.name);
    });
  });

  describe('POST /change_password', () => {
    it('refuses "Wrong password", a weak one, and a missing field', async () => {
      refused(
        await postJson(
          url('/change_password'),
          { id: aliceId, old_password: 123456, new_password: 'Brand-New-Harbor-Lantern-42' },
          bearerAuth(token),
        ),
        -2,
        'Wrong password',
      );
      refused(
        await postJson(
          url('/change_password'),
          { id: aliceId, old_password: alice.password, new_password: 12345678 },
          bearerAuth(token),
        ),
        -1,
        'Weak password',
      );
      refused(
        await postJson(url('/change_password'), { id: aliceId, old_password: alice.password }, bearerAuth(token)),
        -1,
        'Missing or error type of [new_password]',
      );
      refused(
        await postJson(url('/change_password'), { id: aliceId, new_password: 'x' }, bearerAuth(token)),
        -1,
        'Missing or error type of [old_password]',
      );
      refused(
        await postJson(url('/change_password'), {
          id: aliceId,
          old_password: alice.password,
          new_password: 'Brand-New-Harbor-Lantern-42',
        }),
        -2,
        'Invalid or expired JWT',
      );
    });

    it('changes it (the sample’s `new_name` taken as the new password); other sessions end everywhere', async () => {
      newPassword = `${alice.password}-Renewed`;
      succeeded(
        await postJson(
          url('/change_password'),
          { id: aliceId, old_password: alice.password, new_name: newPassword },
          bearerAuth(token),
        ),
      );
      refused(await postJson(url('/login'), { name: alice.name, password: alice.password }), -2, 'Wrong Password');
      const answer = await postJson(url('/login'), { name: alice.name, password: newPassword });
      expect(answer.body).toMatchObject({ code: 0, info: 'Succeed', id: aliceId });
      // The sessions of the register and the form login ended: on the dialect and on the canonical API.
      refused(
        await postJson(url('/change_name'), { id: aliceId, new_name: 'late_name' }, bearerAuth(registerToken)),
        -2,
        'Invalid or expired JWT',
      );
      const session = await send(`${ms.stack.url}/api/v1/auth/session`, { headers: bearerAuth(formToken) });
      expect(session.status).toBe(401);
      // The session that changed it goes on.
      expect((await canonical(token).users.me()).id).toBe(aliceId);
    });
  });

  describe('POST /change_email', () => {
    const next = newUser('alice2').email;

    it('new_email alone mails a code to it and answers -2 "Please verify your email"; the code then changes it', async () => {
      const mark = ms.smtp.messages.length;
      refused(
        await postJson(url('/change_email'), { id: aliceId, new_email: next }, bearerAuth(token)),
        -2,
        'Please verify your email',
      );
      const code = extractCode(await mailTo(ms.smtp, next, mark));
      const wrong = code === '000000' ? '111111' : '000000';
      refused(
        await postJson(url('/change_email'), { id: aliceId, new_email: next, security_code: wrong }, bearerAuth(token)),
        -1,
        'Wrong verify code',
      );
      expect((await canonical(token).users.me()).email).toBe(alice.email);
      succeeded(await postJson(url('/change_email'), { id: aliceId, new_email: next, security_code: code }, bearerAuth(token)));
      expect(await canonical(token).users.me()).toMatchObject({ email: next, emailVerified: true });
      alice.email = next;
    });

    it('need_send true only mails the code: "Succeed"; a taken address: "Email already exists"', async () => {
      const other = newUser('alice3').email;
      const mark = ms.smtp.messages.length;
      succeeded(await postJson(url('/change_email'), { id: aliceId, new_email: other, need_send: true }, bearerAuth(token)));
      expect(extractCode(await mailTo(ms.smtp, other, mark))).toMatch(/^\d{6}$/);
      refused(
        await postJson(url('/change_email'), { id: aliceId, new_email: erin.user.email }, bearerAuth(token)),
        -2,
        'Email already exists',
      );
      refused(
        await postJson(url('/change_email'), { id: aliceId }, bearerAuth(token)),
        -1,
        'Missing or error type of [new_email]',
      );
      refused(await postJson(url('/change_email'), { id: aliceId, new_email: other }), -2, 'Invalid or expired JWT');
      expect((await canonical(token).users.me()).email).toBe(alice.email);
    });
  });

  describe('POST /change_image', () => {
    const image = (bytes: Buffer, name = 'me.png'): FormPart => ({ name: 'avatar', bytes, filename: name });

    it('sets the avatar from multipart {id, avatar}: url reads without a token; a canonical client sees it', async () => {
      const png = await files.png(40, 40);
      const answer = await postMultipart(url('/change_image'), [{ name: 'id', value: aliceId }, image(png)], bearerAuth(token));
      expect(answer.body).toEqual({
        code: 0,
        info: 'Succeed',
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/media\/[^/?]+\?exp=\d+&sig=/),
      });
      const served = await fetch(answer.body.url);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer())).toEqual(png);
      const me = await canonical(token).users.me();
      expect(me.avatarUrl).toBe(new URL(answer.body.url).pathname);
    });

    it('refuses "Missing or error type of [image]", "Invalid type of [image]", another user’s id; keeps nothing', async () => {
      const before = (await canonical(token).media.list({ limit: 100 })).items.length;
      const avatarBefore = (await canonical(token).users.me()).avatarUrl;
      refused(
        await postMultipart(url('/change_image'), [{ name: 'id', value: aliceId }], bearerAuth(token)),
        -1,
        'Missing or error type of [image]',
      );
      refused(
        await postMultipart(
          url('/change_image'),
          [
            { name: 'id', value: aliceId },
            { name: 'photo', bytes: await files.png(), filename: 'a.png' },
          ],
          bearerAuth(token),
        ),
        -1,
        'Missing or error type of [image]',
      );
      refused(
        await postJson(url('/change_image'), { id: aliceId, avatar: 'avatar' }, bearerAuth(token)),
        -1,
        'Missing or error type of [image]',
      );
      refused(
        await postMultipart(
          url('/change_image'),
          [{ name: 'id', value: aliceId }, image(files.pdf(), 'me.png')],
          bearerAuth(token),
        ),
        -1,
        'Invalid type of [image]',
      );
      refused(
        await postMultipart(
          url('/change_image'),
          [{ name: 'id', value: aliceId }, image(await files.gif(), 'me.gif')],
          bearerAuth(token),
        ),
        -1,
        'Invalid type of [image]',
      );
      // Someone else's id, or none: refused after the form was read, and its bytes are not kept.
      const stranger = await files.png(41, 37);
      refused(
        await postMultipart(
          url('/change_image'),
          [{ name: 'id', value: erin.tokens.user.id }, image(stranger)],
          bearerAuth(token),
        ),
        -2,
        'Invalid or expired JWT',
      );
      const anonymous = await files.png(43, 39);
      refused(
        await postMultipart(url('/change_image'), [image(anonymous)], bearerAuth(token)),
        -1,
        'Missing or error type of [id]',
      );
      expect(await ms.blobs.stat(sha256(stranger))).toBeNull();
      expect(await ms.blobs.stat(sha256(anonymous))).toBeNull();
      refused(
        await postMultipart(url('/change_image'), [{ name: 'id', value: aliceId }, image(await files.png())]),
        -2,
        'Invalid or expired JWT',
      );
      expect((await canonical(token).media.list({ limit: 100 })).items).toHaveLength(before);
      expect((await canonical(token).users.me()).avatarUrl).toBe(avatarBefore);
    });
  });

  describe('group-chat uploads', () => {
    let doraWs: WsClient;
    let aliceWs: Awaited<ReturnType<typeof openLiteral>>;

    beforeAll(async () => {
      room = await dora.client.rooms.create({ name: 'Team', memberIds: [aliceId] });
      privateRoom = await dora.client.rooms.create({ name: 'Dora only' });
      doraWs = (await connectReady(ms.stack.url, dora.tokens.accessToken)).client;
      const login = await postJson(url('/login'), { name: alice.name, password: newPassword });
      aliceWs = await openLiteral(login.body.ws_url);
      await aliceWs.next((f) => f.type === 'hello');
    });
    afterAll(async () => {
      await doraWs?.close();
      aliceWs?.socket.close();
    });

    const uploads: [string, string, string, () => Promise<Buffer> | Buffer, string, string][] = [
      ['/upload_image', 'avatar', 'image', () => files.jpeg(), 'beach.jpg', 'image/jpeg'],
      ['/upload_expression', 'expression', 'sticker', () => files.webp(32, 32), 'wave.webp', 'image/webp'],
      ['/upload_expression', 'avatar', 'sticker', () => files.png(32, 32), 'smile.png', 'image/png'],
      ['/upload_file', 'file', 'file', () => files.pdf(), 'plan.pdf', 'application/pdf'],
      ['/upload_voice', 'voice', 'voice', () => files.oggOpus(), 'hello.opus', 'audio/ogg'],
      ['/upload_voice', 'voice', 'voice', () => files.wav(), 'hello.wav', 'audio/wav'],
    ];

    it.each(uploads)(
      '%s (part `%s`) posts a %s message to the group: url reads without a token, members get it pushed',
      async (path, part, kind, make, filename, type) => {
        const bytes = await make();
        const answer = await postMultipart(
          url(path),
          [
            { name: 'id', value: room.id },
            { name: part, bytes, filename },
          ],
          bearerAuth(token),
        );
        expect(answer.body).toEqual({
          code: 0,
          info: 'Succeed',
          url: expect.stringMatching(/\/api\/v1\/media\/[^/?]+\?exp=\d+&sig=/),
        });
        const served = await fetch(answer.body.url);
        expect(served.headers.get('content-type')).toContain(type);
        expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);

        const mediaPath = new URL(answer.body.url).pathname;
        const pushed = (f: Frame) =>
          f.type === 'message.created' && (f.message as { media?: { url?: string } }).media?.url === mediaPath;
        const frame = await doraWs.next(pushed);
        expect(frame).toMatchObject({
          roomId: room.id,
          message: { senderId: aliceId, media: { kind, filename, contentType: type, size: bytes.length } },
        });
        await aliceWs.next(pushed);
      },
    );

    it('takes the group id as ?id= too', async () => {
      const answer = await postMultipart(
        `${url('/upload_file')}?id=${encodeURIComponent(room.id)}`,
        [{ name: 'file', bytes: files.pdf(), filename: 'q.pdf' }],
        bearerAuth(token),
      );
      expect(answer.body).toMatchObject({ code: 0, info: 'Succeed' });
    });

    it('refuses as the tables say, and a group the user is not in, posting and keeping nothing', async () => {
      const history = async () => (await dora.client.rooms.history(room.id, { limit: 100 })).items.length;
      const mine = async () => (await canonical(token).media.list({ limit: 100 })).items.length;
      const before = { history: await history(), mine: await mine() };
      const id = { name: 'id', value: room.id };
      const auth = bearerAuth(token);

      refused(
        await postMultipart(url('/upload_image'), [id, { name: 'avatar', bytes: files.pdf(), filename: 'x.jpg' }], auth),
        -1,
        'Invalid type of [image]',
      );
      refused(await postMultipart(url('/upload_image'), [id], auth), -1, 'Missing or error type of [image]');
      refused(
        await postMultipart(
          url('/upload_expression'),
          [id, { name: 'expression', bytes: await files.jpeg(), filename: 'x.jpg' }],
          auth,
        ),
        -1,
        'Invalid type of [expression]',
      );
      refused(
        await postMultipart(
          url('/upload_expression'),
          [id, { name: 'sticker', bytes: await files.png(), filename: 'x.png' }],
          auth,
        ),
        -1,
        'Missing or error type of [expression]',
      );
      refused(
        await postMultipart(url('/upload_voice'), [id, { name: 'voice', bytes: await files.png(), filename: 'x.ogg' }], auth),
        -1,
        'Missing or error type of [voice]',
      );
      refused(await postMultipart(url('/upload_voice'), [id], auth), -1, 'Missing or error type of [voice]');
      refused(await postMultipart(url('/upload_file'), [id], auth), -1, 'Missing or error type of [file]');
      refused(await postJson(url('/upload_file'), { id: room.id, file: 'file' }, auth), -1, 'Missing or error type of [file]');
      const big = Buffer.concat([files.pdf(), Buffer.alloc(FILE_LIMIT)]);
      refused(
        await postMultipart(url('/upload_file'), [id, { name: 'file', bytes: big, filename: 'big.pdf' }], auth),
        -1,
        `Too large [file]: at most ${FILE_LIMIT} bytes`,
      );

      // Not a member (the group exists), no such group, no id, an id that is no group's: nothing stored.
      const refusedFiles: Buffer[] = [];
      const file = () => {
        const bytes = uniquePdf();
        refusedFiles.push(bytes);
        return { name: 'file', bytes, filename: 'x.pdf' };
      };
      refused(
        await postMultipart(url('/upload_file'), [{ name: 'id', value: privateRoom.id }, file()], auth),
        -2,
        'Group chat not found',
      );
      refused(await postMultipart(`${url('/upload_file')}?id=${privateRoom.id}`, [file()], auth), -2, 'Group chat not found');
      refused(await postMultipart(url('/upload_file'), [{ name: 'id', value: '1' }, file()], auth), -2, 'Group chat not found');
      refused(
        await postMultipart(url('/upload_file'), [{ name: 'id', value: 'r'.repeat(65) }, file()], auth),
        -2,
        'Group chat not found',
      );
      refused(await postMultipart(url('/upload_file'), [file()], auth), -1, 'Missing or error type of [id]');
      // The id after the file: a browser sends fields in form order; the document's order is id first.
      refused(await postMultipart(url('/upload_file'), [file(), id], auth), -1, 'Missing or error type of [id]');
      for (const bytes of refusedFiles) expect(await ms.blobs.stat(sha256(bytes))).toBeNull();
      const f = { name: 'file', bytes: files.pdf(), filename: 'x.pdf' };
      refused(await postMultipart(url('/upload_file'), [id, f]), -2, 'Invalid or expired JWT');
      refused(
        await postMultipart(
          url('/upload_voice'),
          [id, { name: 'voice', bytes: files.wav(), filename: 'v.wav' }],
          bearerAuth('ps_notatokenatallnotatokenatall'),
        ),
        -2,
        'Invalid or expired JWT',
      );

      expect({ history: await history(), mine: await mine() }).toEqual(before);
      expect((await dora.client.rooms.history(privateRoom.id)).items).toEqual([]);
    });
  });

  describe('the envelope for everything else', () => {
    it('answers an unknown path 404 and another method 405, in the envelope', async () => {
      const missing = await postJson(url('/delete_account'), {});
      refused(missing, -1, 'No such endpoint: POST /compat/groupchat/delete_account', 404);
      const get = await send(url('/login'));
      refused(get, -1, 'Method not allowed: use POST', 405);
      expect(get.headers.get('allow')).toBe('POST');
    });

    it('takes a trailing slash and multipart text fields (a browser’s FormData)', async () => {
      const answer = await postMultipart(url('/login/'), [
        { name: 'name', value: alice.name },
        { name: 'password', value: newPassword },
      ]);
      expect(answer.body).toMatchObject({ code: 0, info: 'Succeed', id: aliceId });
    });

    it('a session ended through the canonical API is refused at once: -2 "Invalid or expired JWT"', async () => {
      const answer = await postJson(url('/login'), { name: alice.name, password: newPassword });
      const session = answer.body.token as string;
      // The dialect's token is a canonical session token: the canonical API takes it, and can end it.
      const logout = await send(`${ms.stack.url}/api/v1/auth/logout`, { method: 'POST', headers: bearerAuth(session) });
      expect(logout.status).toBe(204);
      refused(
        await postJson(url('/change_name'), { id: aliceId, new_name: 'after_logout' }, bearerAuth(session)),
        -2,
        'Invalid or expired JWT',
      );
      expect((await send(`${ms.stack.url}/api/v1/auth/session`, { headers: bearerAuth(session) })).status).toBe(401);
      expect((await canonical(token).users.me()).name).toBe(alice.name);
    });

    // Last: it stops the auth service.
    it('answers a dependency failure 503 {code: -3, info: "Service unavailable"} with Retry-After', async () => {
      await ms.stack.stopService('auth');
      const answer = await postJson(url('/login'), { name: alice.name, password: newPassword });
      refused(answer, -3, 'Service unavailable', 503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
});
