import type { ParleyClient } from '@parley/client';
import { extractCode, extractLink } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, mailTo, type NewUser, newUser, registerVerified } from './support/accounts.ts';
import {
  type Answer,
  bearer,
  dialectBase,
  type FormPart,
  get,
  postForm,
  postJson,
  postMultipart,
  send,
} from './support/compat.ts';
import { listedMedia, type MediaStack, startMediaStack, waitForThumbnails } from './support/media.ts';
import * as files from './support/media-files.ts';
import { roomOf } from './support/rooms.ts';
import { connectReady, type Frame } from './support/ws.ts';

/*
 * The `captcha` dialect, walked from its document (../shared/seeds/000_56663514df51fc1c.txt): every endpoint,
 * every answer it writes, and what a client needs besides (missing arguments, wrong captcha, duplicates, wrong
 * password, bad file type, too large, no session, logout ending the session everywhere).
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const IMAGE_LIMIT = 256 * KiB;
const FILE_LIMIT = 1 * MiB;
const COOKIE = 'parley_session';

const OK = (message: string) => ({ message, status: 'OK' });
const ERROR = (message: string) => ({ message, status: 'ERROR' });

/** An answer of the document: HTTP 200 (it names no statuses) and exactly this body. */
const expectEnvelope = (res: Answer, body: { message: string; status: string }, httpStatus = 200) => {
  expect({ status: res.status, body: res.body }, res.text).toEqual({ status: httpStatus, body });
  expect(res.headers.get('content-type')).toContain('application/json');
};

/** A session's cookie as a client keeps it: `name=value` from Set-Cookie, and its attributes. */
const loginCookie = (res: Answer): { token: string; cookie: string; attributes: string } => {
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
  expect(set, 'a login cookie').toBeDefined();
  const [pair = '', ...attributes] = (set as string).split(';').map((s) => s.trim());
  return { token: pair.slice(COOKIE.length + 1), cookie: pair, attributes: attributes.join('; ') };
};

/** An ELF program header (file-type names it application/x-elf) and a Windows one (MZ). */
const elf = () => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
const exe = () => Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]);

describe('captcha dialect: the document 000 served under /compat/captcha', () => {
  let ms: MediaStack;
  /** A second stack with only this dialect, mounted at the root (started alongside: stacks take a while). */
  let rootMs: MediaStack;
  let base: string;
  let url: (path: string) => string;
  beforeAll(async () => {
    const [main, root] = await Promise.allSettled([
      startMediaStack('fs', { UPLOAD_LIMIT_IMAGE_BYTES: String(IMAGE_LIMIT), UPLOAD_LIMIT_FILE_BYTES: String(FILE_LIMIT) }),
      startMediaStack('fs', { COMPAT_DIALECTS: 'none,captcha=/' }),
    ]);
    if (main.status === 'fulfilled') ms = main.value;
    if (root.status === 'fulfilled') rootMs = root.value;
    for (const started of [main, root]) if (started.status === 'rejected') throw started.reason;
    base = dialectBase(ms.stack, 'captcha');
    url = (path) => `${base}${path}`;
  });
  afterAll(async () => {
    await Promise.all([ms?.close(), rootMs?.close()]);
  });

  /** Registers with `mark: "captcha"` and returns the mailed captcha. */
  const registerForCaptcha = async (user: NewUser): Promise<string> => {
    const mark = ms.smtp.messages.length;
    const res = await postJson(url('/auth/register'), {
      name: user.name,
      passward: user.password,
      email: user.email,
      mark: 'captcha',
    });
    expectEnvelope(res, OK('Send captcha success.'));
    return extractCode(await mailTo(ms.smtp, user.email, mark));
  };

  /** A confirmed account logged in through the dialect: its cookie (the session token) and a canonical client with it. */
  interface CaptchaUser {
    user: NewUser;
    id: string;
    token: string;
    cookie: Record<string, string>;
    client: ParleyClient;
  }
  const captchaUser = async (prefix: string): Promise<CaptchaUser> => {
    const user = newUser(prefix);
    const captcha = await registerForCaptcha(user);
    expectEnvelope(
      await postJson(url('/auth/validate_captcha'), { captcha, email: user.email }),
      OK('This user has been confirmed.'),
    );
    const res = await postJson(url('/auth/login'), { email: user.email, password: user.password });
    expectEnvelope(res, OK('Verification success.'));
    const { token, cookie } = loginCookie(res);
    const client = ms.client.withToken(token);
    return { user, id: (await client.users.me()).id, token, cookie: { cookie }, client };
  };

  describe('注册 POST /auth/register', () => {
    it('answers "Arguments mismatch." when name, passward or email is missing or empty, in JSON or a form', async () => {
      const user = newUser('missing');
      const full = { name: user.name, passward: user.password, email: user.email, mark: 'captcha' };
      const mark = ms.smtp.messages.length;
      for (const field of ['name', 'passward', 'email'] as const) {
        const { [field]: _, ...without } = full;
        expectEnvelope(await postJson(url('/auth/register'), without), ERROR('Arguments mismatch.'));
        expectEnvelope(await postForm(url('/auth/register'), { ...full, [field]: '' }), ERROR('Arguments mismatch.'));
      }
      expectEnvelope(await postJson(url('/auth/register'), {}), ERROR('Arguments mismatch.'));
      // No body, a body that is not JSON, a JSON array: the same answer, never a 500.
      expectEnvelope(await send(url('/auth/register'), { method: 'POST' }), ERROR('Arguments mismatch.'));
      const broken = await send(url('/auth/register'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name": ',
      });
      expectEnvelope(broken, ERROR('Arguments mismatch.'));
      expectEnvelope(await postJson(url('/auth/register'), [full]), ERROR('Arguments mismatch.'));
      // Nothing was created: the address is still free.
      expect(ms.smtp.messages.length).toBe(mark);
      expectEnvelope(await postJson(url('/auth/register'), full), OK('Send captcha success.'));
    });

    it('mark "captcha": mails a 6-digit captcha, and the account waits for it', async () => {
      const user = newUser('cap');
      const mark = ms.smtp.messages.length;
      const res = await postJson(url('/auth/register'), {
        name: user.name,
        passward: user.password,
        email: user.email,
        mark: 'captcha',
      });
      expectEnvelope(res, OK('Send captcha success.'));
      const mail = await mailTo(ms.smtp, user.email, mark);
      expect(extractCode(mail)).toMatch(/^\d{6}$/);
      // Not confirmed yet: the login is refused.
      expectEnvelope(
        await postJson(url('/auth/login'), { email: user.email, password: user.password }),
        ERROR('Verification failed.'),
      );
    });

    it('any other mark (or none): mails a confirmation link; once opened, the account logs in', async () => {
      for (const mark of ['email', undefined]) {
        const user = newUser('link');
        const before = ms.smtp.messages.length;
        // An HTML form's body, with the document's `passward`.
        const fields: Record<string, string> = { name: user.name, passward: user.password, email: user.email };
        if (mark) fields.mark = mark;
        expectEnvelope(await postForm(url('/auth/register'), fields), OK('Send confirm email success.'));
        const link = extractLink(await mailTo(ms.smtp, user.email, before), '/api/v1/auth/verify-email?token=');
        expect(link.startsWith(ms.stack.url)).toBe(true);
        expectEnvelope(
          await postJson(url('/auth/login'), { email: user.email, password: user.password }),
          ERROR('Verification failed.'),
        );
        // The confirm page's button.
        await ms.client.auth.verifyEmail({ token: new URL(link).searchParams.get('token') as string });
        expectEnvelope(
          await postJson(url('/auth/login'), { email: user.email, password: user.password }),
          OK('Verification success.'),
        );
      }
    });

    it('takes `password` when a client spelled it right', async () => {
      const user = newUser('spelled');
      const res = await postJson(url('/auth/register'), {
        name: user.name,
        password: user.password,
        email: user.email,
        mark: 'captcha',
      });
      expectEnvelope(res, OK('Send captcha success.'));
    });

    it('refuses a used email or name, a weak password, an invalid name or email, each in the envelope', async () => {
      const taken = newUser('taken');
      await registerForCaptcha(taken);
      const other = newUser('other');
      const register = (fields: Record<string, unknown>) =>
        postJson(url('/auth/register'), {
          name: other.name,
          passward: other.password,
          email: other.email,
          mark: 'captcha',
          ...fields,
        });
      expectEnvelope(await register({ email: taken.email }), ERROR('This email has been used.'));
      expectEnvelope(await register({ email: taken.email.toUpperCase() }), ERROR('This email has been used.'));
      expectEnvelope(await register({ name: taken.name }), ERROR('This name has been used.'));
      expectEnvelope(await register({ passward: 'password' }), ERROR('The password is too weak.'));
      expectEnvelope(
        await register({ name: 'no spaces allowed' }),
        ERROR('The name is not valid: 2 to 32 letters, digits, "_", "." or "-".'),
      );
      expectEnvelope(await register({ email: 'not-an-address' }), ERROR('The email is not valid.'));
      expectEnvelope(await register({ passward: 'x'.repeat(300) }), ERROR('The password is not valid: at most 256 characters.'));
      // None of them took the name or the address.
      expectEnvelope(await register({}), OK('Send captcha success.'));
    });
  });

  describe('验证码验证 POST /auth/validate_captcha', () => {
    it('walks every answer: missing arguments, wrong captcha, confirmed, then "This email has been used."', async () => {
      const user = newUser('validate');
      const captcha = await registerForCaptcha(user);
      const validate = (fields: Record<string, unknown>) => postJson(url('/auth/validate_captcha'), fields);

      expectEnvelope(await validate({ email: user.email }), ERROR('Arguments mismatch.'));
      expectEnvelope(await validate({ captcha }), ERROR('Arguments mismatch.'));
      expectEnvelope(await validate({ captcha: '', email: user.email }), ERROR('Arguments mismatch.'));
      const wrong = captcha === '000000' ? '111111' : '000000';
      expectEnvelope(await validate({ captcha: wrong, email: user.email }), ERROR('The captcha is not correct.'));
      expectEnvelope(await validate({ captcha: 'abc', email: user.email }), ERROR('The captcha is not correct.'));
      expectEnvelope(await validate({ captcha, email: newUser('nobody').email }), ERROR('The captcha is not correct.'));

      // The document writes "ERROR" for this success; its client expects "OK" (docs/compat/captcha.md).
      expectEnvelope(
        await postForm(url('/auth/validate_captcha'), { captcha, email: user.email }),
        OK('This user has been confirmed.'),
      );
      expectEnvelope(await validate({ captcha, email: user.email }), ERROR('This email has been used.'));

      // Confirming opened no session that lingers: the login's is the only one.
      const res = await postJson(url('/auth/login'), { email: user.email, password: user.password });
      expectEnvelope(res, OK('Verification success.'));
      const sessions = await ms.client.withToken(loginCookie(res).token).auth.sessions();
      expect(sessions.items).toHaveLength(1);
    });
  });

  describe('登录 POST /auth/login', () => {
    let account: CaptchaUser;
    beforeAll(async () => {
      account = await captchaUser('login');
    });

    it('walks every answer: missing arguments, no such user, wrong password', async () => {
      const { user } = account;
      const login = (fields: Record<string, unknown>) => postJson(url('/auth/login'), fields);
      expectEnvelope(await login({ email: user.email }), ERROR('Arguments mismatch.'));
      expectEnvelope(await login({ password: user.password }), ERROR('Arguments mismatch.'));
      expectEnvelope(await login({ email: '', password: user.password }), ERROR('Arguments mismatch.'));
      expectEnvelope(await login({ email: newUser('ghost').email, password: user.password }), ERROR("User doesn't exist"));
      expectEnvelope(await login({ email: user.email, password: `${user.password}!` }), ERROR('Verification failed.'));
      for (const res of [await login({ email: user.email }), await login({ email: user.email, password: 'nope' })]) {
        expect(res.headers.getSetCookie()).toEqual([]);
      }
    });

    it('logs in with a cookie holding a canonical session token that the canonical API takes too', async () => {
      const { user } = account;
      const res = await postForm(url('/auth/login'), { email: user.email, password: user.password });
      expectEnvelope(res, OK('Verification success.'));
      const { token, attributes } = loginCookie(res);
      expect(token).toMatch(/^ps_/);
      expect(attributes).toMatch(/HttpOnly/);
      expect(attributes).toMatch(/SameSite=Lax/);
      expect(attributes).toMatch(/Path=\/compat\/captcha(;|$)/);
      const maxAge = Number(/Max-Age=(\d+)/.exec(attributes)?.[1]);
      // As long as the canonical session: 30 days by default.
      expect(maxAge).toBeGreaterThan(29 * 24 * 3600);
      expect(maxAge).toBeLessThanOrEqual(30 * 24 * 3600);
      const session = await get(`${ms.stack.url}/api/v1/auth/session`, bearer(token));
      expect(session.status).toBe(200);
      expect((await ms.client.withToken(token).users.me()).email).toBe(user.email);
      // The name logs in as well (the canonical login takes either).
      expectEnvelope(
        await postJson(url('/auth/login'), { email: user.name, password: user.password }),
        OK('Verification success.'),
      );
    });

    it('after five wrong passwords answers 429 with Retry-After, in the envelope', async () => {
      const { user } = await captchaUser('throttled');
      for (let i = 0; i < 5; i++) {
        expectEnvelope(
          await postJson(url('/auth/login'), { email: user.email, password: `wrong-${i}` }),
          ERROR('Verification failed.'),
        );
      }
      const res = await postJson(url('/auth/login'), { email: user.email, password: user.password });
      expect(res.status).toBe(429);
      expect(res.body).toEqual({
        message: expect.stringMatching(/^Too many attempts\. Try again in \d+ seconds\.$/),
        status: 'ERROR',
      });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('上传文件 POST /upload and 下载文件 GET /upload/<filename>', () => {
    let uploader: CaptchaUser;
    let outsider: CaptchaUser;
    let member: Account;
    let roomId: string;
    let otherRoomId: string;
    beforeAll(async () => {
      uploader = await captchaUser('uploader');
      outsider = await captchaUser('outsider');
      member = await registerVerified(ms, newUser('member'));
      roomId = (await roomOf(member, [], 'Shared')).id;
      await member.client.rooms.addMember(roomId, uploader.id);
      otherRoomId = (await roomOf(member, [], 'Elsewhere')).id;
    });

    const form = (file: FormPart | undefined, fields: Record<string, string>, fileFirst = false): FormPart[] => {
      const text = Object.entries(fields).map(([name, value]) => ({ name, value }));
      if (!file) return text;
      return fileFirst ? [file, ...text] : [...text, file];
    };
    const filePart = (bytes: Uint8Array, filename: string): FormPart => ({ name: 'file', bytes, filename });
    const upload = (parts: FormPart[], headers: Record<string, string> = uploader.cookie) =>
      postMultipart(url('/upload'), parts, headers);
    const history = async () => (await member.client.rooms.history(roomId, { limit: 100 })).items;

    it('uploads into the room: a member on the canonical WebSocket gets a message with the download URL, which serves the bytes', async () => {
      const { client: socket } = await connectReady(ms.stack.url, member.tokens.accessToken);
      try {
        const bytes = await files.png(40, 30);
        const res = await upload(
          form(filePart(bytes, 'upload.bin'), { name: 'holiday.png', user_id: uploader.id, chatroom_id: roomId }),
        );
        expectEnvelope(res, OK('Send file successfully.'));

        const frame: Frame = await socket.next((f) => f.type === 'message.created' && f.roomId === roomId);
        const message = frame.message as {
          senderId: string;
          text: string;
          media: { id: string; kind: string; filename: string };
        };
        expect(message.senderId).toBe(uploader.id);
        expect(message.media).toMatchObject({
          kind: 'image',
          filename: 'holiday.png',
          contentType: 'image/png',
          size: bytes.length,
        });
        // "通过websocket发送一个获得此文件的API的URL": the message's text is this dialect's download URL.
        expect(message.text).toBe(`${base}/upload/${message.media.id}.png`);

        // A member reads it with a canonical token; the uploader with the login cookie or the session token.
        for (const headers of [bearer(member.tokens.accessToken), uploader.cookie, bearer(uploader.token)]) {
          const res = await fetch(message.text, { headers });
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toBe('image/png');
          expect(res.headers.get('content-disposition')).toContain('filename="holiday.png"');
          expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
        }
        // The name in the URL is only a name: the id alone finds it too.
        const byId = await fetch(url(`/upload/${message.media.id}`), { headers: uploader.cookie });
        expect(Buffer.from(await byId.arrayBuffer())).toEqual(bytes);
        // The same message in the room's history.
        expect((await history()).find((m) => m.media?.id === message.media.id)?.text).toBe(message.text);
      } finally {
        await socket.close();
      }
    });

    it('takes the fields in any order, a voice recording as voice and any other file as a file', async () => {
      const cases: [Buffer, string, string, string][] = [
        [files.wav(), 'hello.wav', 'voice', 'audio/wav'],
        [files.pdf(), 'minutes.pdf', 'file', 'application/pdf'],
        [Buffer.from('just some plain notes\n'), 'notes.txt', 'file', 'application/octet-stream'],
      ];
      for (const [bytes, filename, kind, type] of cases) {
        // The file first, its fields after it (a client appending the file first); no `name`: the file's own.
        const res = await upload(form(filePart(bytes, filename), { user_id: uploader.id, chatroom_id: roomId }, true));
        expectEnvelope(res, OK('Send file successfully.'));
        const last = (await history())[0];
        expect(last?.media).toMatchObject({ kind, filename, contentType: type, size: bytes.length });
        const download = await fetch(last?.text as string, { headers: bearer(member.tokens.accessToken) });
        expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
      }
    });

    it('answers "Send file failed." for every refusal, and stores and posts nothing', async () => {
      const pdf = filePart(files.pdf(), 'plan.pdf');
      const fields = { name: 'plan.pdf', user_id: uploader.id, chatroom_id: roomId };
      expect((await files.noisePng(400)).length).toBeGreaterThan(IMAGE_LIMIT);
      await waitForThumbnails(uploader.client);
      const before = {
        history: await history(),
        media: await listedMedia(uploader.client),
        store: await ms.storeFingerprint(),
      };

      const refusals: [string, () => Promise<Answer>][] = [
        ['no session', () => upload(form(pdf, fields), {})],
        ['a session that is not one', () => upload(form(pdf, fields), { cookie: `${COOKIE}=ps_${'x'.repeat(40)}` })],
        ['someone else’s user_id', () => upload(form(pdf, { ...fields, user_id: member.tokens.user.id }))],
        ['someone else’s user_id after the file', () => upload(form(pdf, { ...fields, user_id: member.tokens.user.id }, true))],
        ['a room the user is not in', () => upload(form(pdf, { ...fields, chatroom_id: otherRoomId }))],
        ['a room the user is not in, after the file', () => upload(form(pdf, { ...fields, chatroom_id: otherRoomId }, true))],
        ['a room that does not exist', () => upload(form(pdf, { ...fields, chatroom_id: 'no-such-room' }))],
        ['no user_id', () => upload(form(pdf, { name: 'plan.pdf', chatroom_id: roomId }))],
        ['no chatroom_id', () => upload(form(pdf, { name: 'plan.pdf', user_id: uploader.id }))],
        ['no file', () => upload(form(undefined, fields))],
        ['a file part named otherwise', () => upload(form({ ...pdf, name: 'upload' }, fields))],
        ['two files', () => upload([...form(pdf, fields), filePart(files.pdf(), 'again.pdf')])],
        ['HTML', () => upload(form(filePart(files.html(), 'page.html'), fields))],
        ['SVG', () => upload(form(filePart(files.svg(), 'logo.svg'), fields))],
        ['a shell script', () => upload(form(filePart(Buffer.from('#!/bin/sh\nrm -rf ~\n'), 'run.sh'), fields))],
        ['an ELF program', () => upload(form(filePart(elf(), 'tool'), fields))],
        ['a Windows program', () => upload(form(filePart(exe(), 'setup.exe'), fields))],
        ['an image over the image limit', async () => upload(form(filePart(await files.noisePng(400), 'big.png'), fields))],
        [
          'a file over the file limit',
          () => upload(form(filePart(Buffer.concat([files.pdf(), Buffer.alloc(FILE_LIMIT)]), 'big.pdf'), fields)),
        ],
        ['a JSON body', () => postJson(url('/upload'), fields, uploader.cookie)],
        ['GET (the wrong method)', () => get(url('/upload'), uploader.cookie)],
        ['PUT (the wrong method)', () => send(url('/upload'), { method: 'PUT', headers: uploader.cookie })],
      ];
      for (const [why, attempt] of refusals) {
        const res = await attempt();
        expect({ why, status: res.status, body: res.body }).toEqual({ why, status: 200, body: ERROR('Send file failed.') });
      }

      expect(await history()).toEqual(before.history);
      expect(await listedMedia(uploader.client)).toEqual(before.media);
      expect(await ms.storeFingerprint()).toBe(before.store);
    });

    it('downloads for members and the owner only: anyone else, no session or an unknown file get 404 "File does not exist."', async () => {
      const bytes = files.pdf();
      expectEnvelope(
        await upload(form(filePart(bytes, 'private.pdf'), { user_id: uploader.id, chatroom_id: roomId })),
        OK('Send file successfully.'),
      );
      const link = (await history())[0]?.text as string;
      expect(link).toMatch(new RegExp(`^${base}/upload/[A-Za-z0-9_-]+\\.pdf$`));
      const missing = ERROR('File does not exist.');
      expectEnvelope(await get(link, outsider.cookie), missing, 404);
      expectEnvelope(await get(link, bearer(outsider.token)), missing, 404);
      expectEnvelope(await get(link), missing, 404);
      expectEnvelope(await get(link, { cookie: `${COOKIE}=not-a-token` }), missing, 404);
      expectEnvelope(await get(url('/upload/AAAAAAAAAAAAAAAAAAAAAA.pdf'), uploader.cookie), missing, 404);
      expectEnvelope(await get(url('/upload/..%2F..%2Fetc%2Fpasswd'), uploader.cookie), missing, 404);
      // The member still reads it, with the bytes' own type, as a download.
      const res = await fetch(link, { headers: bearer(member.tokens.accessToken) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    });

    it('answers any other method on /upload/<filename> with 405 "Method mismatch."', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await send(url('/upload/AAAAAAAAAAAAAAAAAAAAAA.png'), { method, headers: uploader.cookie });
        expectEnvelope(res, ERROR('Method mismatch.'), 405);
      }
    });
  });

  describe('登出 /auth/logout', () => {
    it('ends the session everywhere (the canonical API refuses its token), clears the cookie, says "Logout success."', async () => {
      const account = await captchaUser('logout');
      const res = await postJson(url('/auth/logout'), {}, account.cookie);
      expectEnvelope(res, OK('Logout success.'));
      const cleared = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`)) ?? '';
      expect(cleared).toMatch(/^parley_session=;/);
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/);

      const session = await get(`${ms.stack.url}/api/v1/auth/session`, bearer(account.token));
      expect(session.status).toBe(401);
      // The dialect refuses the old cookie too.
      await expect(account.client.users.me()).rejects.toMatchObject({ status: 401 });
      const upload = await postMultipart(
        url('/upload'),
        [
          { name: 'user_id', value: account.id },
          { name: 'chatroom_id', value: 'x' },
          { name: 'file', bytes: files.pdf(), filename: 'a.pdf' },
        ],
        account.cookie,
      );
      expectEnvelope(upload, ERROR('Send file failed.'));
    });

    it('takes GET as well, a bearer token as well as the cookie, and answers the same with no session at all', async () => {
      const account = await captchaUser('logoutget');
      expectEnvelope(await get(url('/auth/logout'), bearer(account.token)), OK('Logout success.'));
      expect((await get(`${ms.stack.url}/api/v1/auth/session`, bearer(account.token))).status).toBe(401);
      expectEnvelope(await get(url('/auth/logout')), OK('Logout success.'));
      expectEnvelope(await get(url('/auth/logout'), account.cookie), OK('Logout success.'));
    });
  });

  describe('everything else under the mount', () => {
    it('answers another method on the auth routes with 405 "Method mismatch.", and an unknown path with 404', async () => {
      for (const path of ['/auth/register', '/auth/validate_captcha', '/auth/login']) {
        expectEnvelope(await get(url(path)), ERROR('Method mismatch.'), 405);
      }
      expectEnvelope(await send(url('/auth/logout'), { method: 'DELETE' }), ERROR('Method mismatch.'), 405);
      expectEnvelope(await get(url('/auth/nothing')), ERROR('Not found.'), 404);
    });

    it('answers a malformed multipart upload in the envelope, never a 500', async () => {
      const account = await captchaUser('malformed');
      const res = await send(url('/upload'), {
        method: 'POST',
        headers: { ...account.cookie, 'content-type': 'multipart/form-data; boundary=xyz' },
        body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated',
      });
      expectEnvelope(res, ERROR('Send file failed.'));
    });

    it('answers an unsupported body type in the envelope, never a 500', async () => {
      const res = await send(url('/auth/login'), { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<login/>' });
      expectEnvelope(res, ERROR('Arguments mismatch.'));
      const multipart = await postMultipart(url('/auth/login'), [{ name: 'email', value: 'someone@example.test' }]);
      expectEnvelope(multipart, ERROR('Arguments mismatch.'));
    });
  });

  describe('mounted at the root (COMPAT_DIALECTS=none,captcha=/)', () => {
    it('serves the document’s paths at the root: the cookie’s Path is /, the pushed URL names /upload/<filename>', async () => {
      const owner = await registerVerified(rootMs, newUser('rootowner'));
      const room = await roomOf(owner, [], 'Root');
      const res = await postJson(`${rootMs.stack.url}/auth/login`, { email: owner.user.email, password: owner.user.password });
      expectEnvelope(res, OK('Verification success.'));
      const { cookie, attributes } = loginCookie(res);
      expect(attributes).toMatch(/Path=\/(;|$)/);
      const bytes = files.pdf();
      const parts: FormPart[] = [
        { name: 'user_id', value: owner.tokens.user.id },
        { name: 'chatroom_id', value: room.id },
        { name: 'file', bytes, filename: 'root.pdf' },
      ];
      expectEnvelope(await postMultipart(`${rootMs.stack.url}/upload`, parts, { cookie }), OK('Send file successfully.'));
      const link = (await owner.client.rooms.history(room.id)).items[0]?.text as string;
      expect(link).toMatch(new RegExp(`^${rootMs.stack.url}/upload/[A-Za-z0-9_-]+\\.pdf$`));
      const download = await fetch(link, { headers: { cookie } });
      expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
      // The other dialects are off, and the root's unknown paths stay the canonical 404.
      expect((await get(`${rootMs.stack.url}/compat/captcha/auth/login`)).status).toBe(404);
      expect((await get(`${rootMs.stack.url}/no/such/path`)).headers.get('content-type')).toContain('application/problem+json');
    });
  });
});
