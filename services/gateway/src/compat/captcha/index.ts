import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import multipart, { type Multipart } from '@fastify/multipart';
import {
  AuthEndpoints,
  type Caller,
  isParleyError,
  MediaEndpoints,
  type MediaObject,
  mediaRules,
  type TokenPair,
} from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAttachFlow } from '../../lib/attach.ts';
import { clientInfo } from '../../lib/client-info.ts';
import { drainRequest } from '../../lib/drain.ts';
import { sanitizeFilename } from '../../lib/filename.ts';
import { sendMedia } from '../../lib/serve-media.ts';
import type { ReceivedFile } from '../../lib/upload.ts';
import { uploadRouteOptions } from '../../lib/upload-route.ts';
import {
  bearerToken,
  callOptions,
  codeOf,
  type DialectOptions,
  discardUpload,
  endSession,
  endSpareSession,
  failureOf,
  RETRY_AFTER_SECONDS,
  sessionTokenFor,
  text,
} from '../kit.ts';
import { answer, error, Messages, ok, Refusal, refuse } from './envelope.ts';
import { chatKind, UploadFields, type UploadFormFields } from './upload.ts';

/** The login cookie: the session token of the canonical session the login started. */
export const SESSION_COOKIE = 'parley_session';

/** `/upload/<filename>`: the media id, then anything after a dot (the extension the pushed URL carries). */
const FILENAME = /^([A-Za-z0-9_-]{1,64})(?:\.[^/]*)?$/;

/**
 * The `captcha` dialect (../shared/seeds/000_56663514df51fc1c.txt, docs/compat/captcha.md): register with a mailed
 * captcha or a confirmation link, validate the captcha, log in (a cookie holding a canonical session token), log
 * out, upload a file into a chat room (its download URL is pushed over the canonical WebSocket) and download it.
 * Every answer is the document's `{message, status}`.
 */
export default async function captcha(app: FastifyInstance, opts: DialectOptions): Promise<void> {
  const { bus } = app.parley;
  const { call, read } = callOptions(opts.timeoutMs);
  const rules = mediaRules(opts.config);
  const flow = createAttachFlow(app, opts.timeoutMs);
  // The store the gateway's uploads write to: the download streams from it.
  const { blobs } = opts;

  await app.register(formbody);
  await app.register(cookie);
  await app.register(multipart);

  const cookiePath = opts.mount === '/' ? '/' : opts.mount;
  const secureCookie = opts.publicBase.startsWith('https:');
  const hidden = { schema: { hide: true } };

  const run = (req: FastifyRequest, work: () => Promise<unknown>) => runWithContext({ requestId: req.id }, work);

  /** The session token a request carries: `Authorization: Bearer`, else the login cookie. */
  const tokenOf = (req: FastifyRequest): string | undefined => {
    const fromHeader = bearerToken(req);
    if (fromHeader) return fromHeader;
    const fromCookie = req.cookies[SESSION_COOKIE];
    return fromCookie ? fromCookie : undefined;
  };

  /** The caller of a request's token, or undefined (no token, or one that is not good): only an outage is thrown. */
  const callerOf = async (req: FastifyRequest): Promise<Caller | undefined> => {
    const token = tokenOf(req);
    if (token === undefined) return undefined;
    try {
      return await app.authenticateToken(req, token);
    } catch (err) {
      if (failureOf(err).kind === 'unavailable') throw err;
      return undefined;
    }
  };

  // ── 注册 ─────────────────────────────────────────────────────────────────────────────────────────────────────
  app.post('/auth/register', hidden, (req, reply) =>
    run(req, async () => {
      const f = await bodyFields(req);
      const name = present(text(f.name)?.trim());
      const email = present(text(f.email)?.trim());
      // The document spells it `passward`; a client that fixed the typo is understood too.
      const password = present(text(f.passward)) ?? present(text(f.password));
      if (!name || !email || !password) return answer(reply, error(Messages.argumentsMismatch));
      const byCaptcha = text(f.mark)?.trim().toLowerCase() === 'captcha';
      try {
        await bus.request(
          AuthEndpoints.register,
          { name, email, password, verify: byCaptcha ? 'code' : 'link', client: clientInfo(req) },
          call,
        );
      } catch (err) {
        const code = codeOf(err);
        if (code === 'EMAIL_TAKEN') return answer(reply, error(Messages.emailUsed));
        if (code === 'NAME_TAKEN') return answer(reply, error(Messages.nameUsed));
        if (code === 'WEAK_PASSWORD') return answer(reply, error(Messages.passwordWeak));
        if (code === 'VALIDATION_FAILED') return answer(reply, error(invalidField(err)));
        throw err;
      }
      return answer(reply, ok(byCaptcha ? Messages.captchaSent : Messages.confirmEmailSent));
    }),
  );

  // ── 验证码验证 ────────────────────────────────────────────────────────────────────────────────────────────────
  app.post('/auth/validate_captcha', hidden, (req, reply) =>
    run(req, async () => {
      const f = await bodyFields(req);
      const code = present(text(f.captcha)?.trim());
      const email = present(text(f.email)?.trim());
      if (!code || !email) return answer(reply, error(Messages.argumentsMismatch));
      const client = clientInfo(req);
      let pair: TokenPair;
      try {
        pair = await bus.request(AuthEndpoints.verifyEmailCode, { email, code, client, revealVerified: true }, call);
      } catch (err) {
        const c = codeOf(err);
        if (c === 'EMAIL_ALREADY_VERIFIED') return answer(reply, error(Messages.emailUsed));
        // A malformed captcha or address cannot be the right one.
        if (c === 'CODE_INVALID' || c === 'VALIDATION_FAILED') return answer(reply, error(Messages.captchaWrong));
        throw err;
      }
      // Confirming is all this call does here; the session the confirmation opened is ended (login starts one).
      await endSpareSession(app, req, pair, opts.timeoutMs);
      // The document writes status "ERROR" for this success; its client expects "OK" (docs: ambiguities).
      return answer(reply, ok(Messages.userConfirmed));
    }),
  );

  // ── 登录 ─────────────────────────────────────────────────────────────────────────────────────────────────────
  app.post('/auth/login', hidden, (req, reply) =>
    run(req, async () => {
      const f = await bodyFields(req);
      const login = present(text(f.email)?.trim());
      const password = present(text(f.password)) ?? present(text(f.passward));
      if (!login || !password) return answer(reply, error(Messages.argumentsMismatch));
      const client = clientInfo(req);
      let pair: TokenPair;
      try {
        pair = await bus.request(AuthEndpoints.login, { login, password, client, revealUnknown: true }, call);
      } catch (err) {
        const code = codeOf(err);
        if (code === 'USER_NOT_FOUND') return answer(reply, error(Messages.userMissing));
        if (code === 'INVALID_CREDENTIALS' || code === 'EMAIL_NOT_VERIFIED' || code === 'VALIDATION_FAILED') {
          return answer(reply, error(Messages.verificationFailed));
        }
        throw err;
      }
      const session = await sessionTokenFor(app, pair, client, opts.timeoutMs);
      const maxAge = Math.max(0, Math.floor((Date.parse(session.expiresAt) - Date.now()) / 1000));
      reply.setCookie(SESSION_COOKIE, session.token, {
        path: cookiePath,
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookie,
        maxAge,
      });
      return answer(reply, ok(Messages.verificationSuccess));
    }),
  );

  // ── 登出 (the document names no method) ──────────────────────────────────────────────────────────────────────
  app.route({
    method: ['GET', 'POST'],
    url: '/auth/logout',
    ...hidden,
    handler: (req, reply) =>
      run(req, async () => {
        const caller = await callerOf(req);
        if (caller) await endSession(app, req, caller, opts.timeoutMs);
        reply.clearCookie(SESSION_COOKIE, { path: cookiePath, httpOnly: true, sameSite: 'lax', secure: secureCookie });
        return answer(reply, ok(Messages.logoutSuccess));
      }),
  });

  // ── 上传文件 ──────────────────────────────────────────────────────────────────────────────────────────────────
  /** Where the pushed message points: this dialect's download of the media, named like the file. */
  const downloadUrl = (media: MediaObject): string => {
    const ext = /\.([A-Za-z0-9]{1,10})$/.exec(media.filename)?.[0] ?? '';
    return `${opts.publicBase}/upload/${media.id}${ext}`;
  };

  app.post('/upload', { ...hidden, ...uploadRouteOptions }, (req, reply) =>
    run(req, async () => {
      const caller = await callerOf(req);
      if (!caller) {
        drainRequest(req, reply);
        throw refuse(Messages.fileFailed);
      }
      const checkFields = async (fields: UploadFormFields, final: boolean) => {
        const userId = present(fields.user_id?.trim());
        const roomId = present(fields.chatroom_id?.trim());
        if (userId !== undefined && userId !== caller.userId) throw refuse(Messages.fileFailed);
        if (final && (!userId || !roomId)) throw refuse(Messages.fileFailed);
        return roomId;
      };
      let admitted: string | undefined;
      const discard = (stored: ReceivedFile) => discardUpload(app, req, caller, stored, opts.timeoutMs);
      const { files, fields } = await opts.uploads.receiveForm(req, reply, {
        fields: UploadFields,
        fieldsAfterFile: true,
        kindFor: chatKind(rules),
        discard,
        beforeFile: async (fields) => {
          const roomId = await checkFields(fields, false);
          if (roomId === undefined) return;
          // Members only, asked before a byte of the file is read.
          await flow.admit(req, reply, caller, roomId);
          admitted = roomId;
        },
      });
      const file = files[0] as ReceivedFile;
      let roomId: string;
      try {
        roomId = (await checkFields(fields, true)) as string;
        if (admitted !== undefined && admitted !== roomId) throw refuse(Messages.fileFailed);
      } catch (err) {
        await discard(file);
        throw err;
      }
      const name = present(fields.name?.trim());
      const stored: ReceivedFile = name ? { ...file, filename: sanitizeFilename(name, file.filename) } : file;
      // Registering checks membership again (the bytes are dropped when it refuses); the message's text is the
      // download URL, so members are pushed "the URL of an API that gets this file".
      await flow.attach(req, caller, roomId, stored, downloadUrl);
      return answer(reply, ok(Messages.fileSent));
    }),
  );

  // "储存文件失败 … http方法错误": any other method on /upload is the document's failure.
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/upload',
    ...hidden,
    ...uploadRouteOptions,
    handler: (_req, reply) => answer(reply, error(Messages.fileFailed)),
  });

  // ── 下载文件 ──────────────────────────────────────────────────────────────────────────────────────────────────
  app.route({
    method: ['GET', 'HEAD'],
    url: '/upload/*',
    exposeHeadRoute: false,
    ...hidden,
    handler: (req, reply) =>
      run(req, async () => {
        const mediaId = FILENAME.exec((req.params as { '*': string })['*'])?.[1];
        const caller = mediaId === undefined ? undefined : await callerOf(req);
        if (!mediaId || !caller) throw refuse(Messages.fileMissing, 404);
        const grant = await bus.request(MediaEndpoints.grant, { mediaId, variant: 'original', caller }, read);
        return sendMedia(req, reply, grant, blobs);
      }),
  });
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/upload/*',
    ...hidden,
    ...uploadRouteOptions,
    handler: (_req, reply) => answer(reply.header('allow', 'GET, HEAD'), error(Messages.methodMismatch), 405),
  });

  // The auth routes asked with another method: the document's own words for it.
  for (const url of ['/auth/register', '/auth/validate_captcha', '/auth/login']) {
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH'],
      url,
      ...hidden,
      handler: (_req, reply) => answer(reply.header('allow', 'POST'), error(Messages.methodMismatch), 405),
    });
  }
  app.route({
    method: ['PUT', 'DELETE', 'PATCH'],
    url: '/auth/logout',
    ...hidden,
    handler: (_req, reply) => answer(reply.header('allow', 'GET, POST'), error(Messages.methodMismatch), 405),
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof Refusal) return answer(reply, err.body, err.httpStatus);
    const failure = failureOf(err);
    switch (failure.kind) {
      case 'rate-limited':
        reply.header('retry-after', String(failure.retryAfter));
        return answer(reply, error(`Too many attempts. Try again in ${failure.retryAfter} seconds.`), 429);
      case 'unavailable':
        reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        return answer(reply, error(Messages.unavailable), 503);
      case 'unexpected':
        req.log.error({ err }, 'captcha: unexpected failure');
        return answer(reply, error(Messages.serverError), 500);
    }
    // The client's fault (a bad body, a refused file, a media it may not read): the route's own failure answer.
    const route = routeOf(req);
    if (route === 'download') {
      if (failure.kind === 'client' && failure.status === 416) return answer(reply, error(Messages.rangeNotSatisfiable), 416);
      return answer(reply, error(Messages.fileMissing), 404);
    }
    if (route === 'upload') return answer(reply, error(Messages.fileFailed));
    return answer(reply, error(Messages.argumentsMismatch));
  });

  // Fastify allows one not-found handler at the root, and the canonical API has it there.
  if (opts.mount !== '/') {
    app.setNotFoundHandler((_req, reply) => answer(reply, error(Messages.notFound), 404));
  }
}

const present = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

const routeOf = (req: FastifyRequest): 'upload' | 'download' | 'auth' => {
  const url = req.routeOptions.url ?? '';
  if (url.endsWith('/upload/*')) return 'download';
  if (url.endsWith('/upload')) return 'upload';
  return 'auth';
};

/** Which field the bus refused, in the document's style. */
const invalidField = (err: unknown): string => {
  const errors = isParleyError(err) ? (err.extra?.errors as { path?: string }[] | undefined) : undefined;
  const paths = (errors ?? []).map((e) => e.path ?? '');
  if (paths.some((p) => p.startsWith('/name'))) return Messages.nameInvalid;
  if (paths.some((p) => p.startsWith('/email'))) return Messages.emailInvalid;
  if (paths.some((p) => p.startsWith('/password'))) return Messages.passwordInvalid;
  return Messages.argumentsMismatch;
};

/**
 * The request's fields: a JSON object, an urlencoded form, or a multipart form's text fields (the old system read
 * its form either way). The query string is not read: credentials do not belong in URLs.
 */
const bodyFields = async (req: FastifyRequest): Promise<Record<string, unknown>> => {
  if (req.isMultipart()) {
    const fields: Record<string, unknown> = {};
    const limits = { fields: 16, fieldSize: 4096, fieldNameSize: 64, parts: 16, files: 0, headerPairs: 16 };
    for await (const part of req.parts({ limits }) as AsyncIterable<Multipart>) {
      if (part.type === 'file') {
        part.file.resume();
        continue;
      }
      fields[part.fieldname] = part.value;
    }
    return fields;
  }
  const body = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body)
    ? (body as Record<string, unknown>)
    : {};
};
