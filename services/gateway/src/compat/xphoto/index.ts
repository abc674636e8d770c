import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import {
  AuthEndpoints,
  type Caller,
  FaceEndpoints,
  isParleyError,
  MediaEndpoints,
  type ParleyError,
  PHOTOS_PER_REQUEST_MAX,
} from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientInfo } from '../../lib/client-info.ts';
import { uploadRouteOptions } from '../../lib/upload-route.ts';
import {
  bearerToken,
  callOptions,
  codeOf,
  type DialectOptions,
  endSession,
  endSpareSession,
  type Failure,
  failureOf,
  fieldsOf,
  sessionTokenFor,
  text,
} from '../kit.ts';

/**
 * The `xphoto` dialect (../shared/seeds/004): `/signup` → mailed link → `/active_account` → `/signin` (username or
 * email) → `Authorization: Bearer <JWTToken>` on `/userInfo`, `/upload` (png/jpg, 1 MB), `/images` and the face
 * library `/images-db` (register, `?search` → `isInterested`). Envelopes `{success}` / `{error}` with the
 * document's messages. Every route is a translation to the bus calls the canonical routes make.
 * See docs/compat/xphoto.md.
 */

/** The document's messages, as written, and Parley's own (in the same language) where it gave none. */
export const XphotoMessages = {
  signedUp: '欢迎加入 xphoto！我们已给您的注册邮箱发送了一封邮件，请点击里面的链接来激活您的帐号。',
  taken: '用户名或邮箱已被使用。',
  activated: '帐号已被激活，请登录',
  alreadyActive: '帐号已经是激活状态。',
  signedIn: '登录成功！',
  notActivated: (email: string) => `此帐号还没有被激活，激活链接已发送到 ${email} 邮箱，请查收。`,
  wrongCredentials: '用户名或密码错误',
  serverError: '服务器错误',
  // Parley's own, where the document gave none.
  missing: (fields: string[]) => `缺少参数：${fields.join('、')}`,
  usernameRule: '用户名至少需要5个字符，且只能包含字母、数字、“-”和“_”。',
  usernameTooLong: '用户名最多32个字符。',
  badEmail: '邮箱格式不正确。',
  passwordTooLong: '密码最多256个字符。',
  passwordsDiffer: '两次输入的密码不一致。',
  invalidParams: '参数格式不正确。',
  weakPassword: '密码强度太弱，请使用更长、更不容易被猜到的密码。',
  signinMissing: '请输入用户名（或邮箱）和密码。',
  signedOut: '已退出登录。',
  noToken: '请先登录：请求需要携带 Authorization: Bearer <JWTToken> 请求头。',
  badToken: 'JWTToken 无效，请重新登录。',
  sessionEnded: '登录已失效（已退出或已过期），请重新登录。',
  unavailable: '服务暂不可用，请稍后再试。',
  tooMany: (seconds: number) => `请求过于频繁，请在 ${seconds} 秒后再试。`,
  badJson: '请求体不是有效的 JSON。',
  bodyTooLarge: '请求体过大。',
  badContentType: '不支持的 Content-Type：请使用 application/json 或 application/x-www-form-urlencoded。',
  noRoute: (method: string, path: string) => `没有这个接口：${method} ${path}`,
  // The upload routes' (the document's are in English there).
  badFormat: 'File format must be png or jpg!',
  tooLarge: 'File size too large. Max is 1MB',
  imageTooLarge: 'Image dimensions too large!',
  notMultipart: 'Send the images as multipart/form-data, in parts named file.',
  noImagePart: 'No image in the form: send png or jpg files in multipart/form-data parts named file (or files, image, images).',
  tooManyFiles: (max: number) => `Too many files. Max is ${max} per upload`,
  noImages: (userId: string) => `there is no image about userId: ${userId}`,
  registered: 'register success!',
  photosNotMultipart: 'Send the photos as multipart/form-data, in parts named file.',
  searchNotMultipart: 'Send the photo as multipart/form-data, in a part named faceFile.',
  noPhotoPart: 'No photo in the form: send them in multipart/form-data parts named file.',
  noSearchPart: 'No photo in the form: send it in a multipart/form-data part named faceFile.',
  notAnImage: (field: string) => `${field} must be an image (png, jpg, gif or webp)!`,
  photoTooLarge: (maxBytes: number) => `File size too large. Max is ${Math.floor(maxBytes / (1024 * 1024))}MB`,
  tooManyPhotos: `Too many photos. Max is ${PHOTOS_PER_REQUEST_MAX} per request`,
  nothingRegistered: (reasons: string[]) =>
    `register failed: no photo was added, each must show exactly one face (${reasons.join('; ')})`,
} as const;
const M = XphotoMessages;

/** An answer in the dialect's envelope, thrown from anywhere under the mount and sent by its error handler. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly retryAfter?: number,
  ) {
    super(typeof body.error === 'string' ? body.error : 'refused');
  }
}
const refuse = (status: number, error: string, retryAfter?: number): Refusal => new Refusal(status, { error }, retryAfter);

/** The document's username rule: at least 5 characters, `/^[a-zA-Z0-9\-_]+$/i`. */
const USERNAME = /^[a-zA-Z0-9\-_]+$/i;
const USERNAME_MIN = 5;
/** The canonical UserName's limit. */
const USERNAME_MAX = 32;
const PASSWORD_MAX = 256;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EMAIL_MAX = 254;
const LOGIN_MAX = 254;
const KEY_MAX = 200;
/** The document: png or jpg, at most 1 MB. */
const IMAGE_LIMIT = { maxBytes: 1024 * 1024, types: ['image/png', 'image/jpeg'] } as const;
const IMAGE_FIELDS = ['file', 'files', 'image', 'images'] as const;
const IMAGES_PER_UPLOAD = 10;
/** The one face identity per user the document's single library maps to. */
const IDENTITY_NAME = 'xphoto';
/** Every failure the routes did not translate themselves, in the dialect's envelope. */
const refusalFor = (failure: Failure): Refusal => {
  switch (failure.kind) {
    case 'token':
      return refuse(
        401,
        failure.code === 'UNAUTHORIZED' ? M.noToken : failure.code === 'TOKEN_INVALID' ? M.badToken : M.sessionEnded,
      );
    case 'rate-limited':
      return refuse(429, M.tooMany(failure.retryAfter), failure.retryAfter);
    case 'unavailable':
      return refuse(503, M.unavailable, failure.retryAfter);
    case 'bad-body':
      return failure.reason === 'json'
        ? refuse(400, M.badJson)
        : failure.reason === 'too-large'
          ? refuse(413, M.bodyTooLarge)
          : refuse(415, M.badContentType);
    case 'client':
      // A client error the route did not expect still says what was wrong.
      return refuse(failure.status, failure.message);
    case 'unexpected':
      return refuse(500, M.serverError);
  }
};

const send = (reply: FastifyReply, answer: Refusal): FastifyReply => {
  if (answer.retryAfter !== undefined) reply.header('retry-after', String(answer.retryAfter));
  return reply.code(answer.status).send(answer.body);
};

/** What the string fields of a request hold: a string (or a number sent as one), or undefined. Empty counts as missing. */
const field = (fields: Record<string, unknown>, name: string): string | undefined => {
  const value = text(fields[name]);
  return value === undefined || value === '' ? undefined : value;
};

export default async function xphoto(app: FastifyInstance, opts: DialectOptions): Promise<void> {
  const { bus } = app.parley;
  const { call, read, infer } = callOptions(opts.timeoutMs);
  await app.register(formbody);
  await app.register(multipart);

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof Refusal) return send(reply, err);
    const failure = failureOf(err);
    if (failure.kind === 'unexpected') {
      if (isParleyError(err)) req.log.warn({ code: err.code, detail: err.message }, 'xphoto: upstream failure');
      else req.log.error({ err }, 'xphoto: unhandled error');
    }
    return send(reply, refusalFor(failure));
  });
  if (opts.mount !== '/') {
    app.setNotFoundHandler((req, reply) => send(reply, refuse(404, M.noRoute(req.method, req.url.split('?')[0] ?? ''))));
  }

  /** The document's header, `Authorization: 'Bearer ' + JWTToken`: sets `req.caller` or refuses with 401. */
  const authenticate = async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req);
    if (token === undefined) throw refuse(401, M.noToken);
    await app.authenticateToken(req, token);
  };

  const hidden = { schema: { hide: true } };
  const authed = { ...hidden, onRequest: authenticate };
  const uploadRoute = { ...authed, ...uploadRouteOptions };

  // ---- 注册 POST /signup {username, email, password, repeat_password} --------------------------------------------
  app.post('/signup', hidden, (req) =>
    runWithContext({ requestId: req.id }, async () => {
      const fields = fieldsOf(req);
      const username = field(fields, 'username');
      const email = field(fields, 'email')?.trim();
      const password = field(fields, 'password');
      const repeat = field(fields, 'repeat_password');
      const missing = (
        [
          ['username', username],
          ['email', email],
          ['password', password],
          ['repeat_password', repeat],
        ] as const
      )
        .filter(([, value]) => value === undefined || value === '')
        .map(([name]) => name);
      if (missing.length > 0 || !username || !email || !password) throw refuse(422, M.missing(missing));
      if (username.length < USERNAME_MIN || !USERNAME.test(username)) throw refuse(422, M.usernameRule);
      if (username.length > USERNAME_MAX) throw refuse(422, M.usernameTooLong);
      if (email.length > EMAIL_MAX || !EMAIL.test(email)) throw refuse(422, M.badEmail);
      if (password.length > PASSWORD_MAX) throw refuse(422, M.passwordTooLong);
      if (password !== repeat) throw refuse(422, M.passwordsDiffer);
      try {
        await bus.request(
          AuthEndpoints.register,
          {
            name: username,
            email,
            password,
            verify: 'link',
            client: clientInfo(req),
            linkTemplate: linkTemplate(username),
          },
          call,
        );
      } catch (err) {
        switch (codeOf(err)) {
          case 'NAME_TAKEN':
          case 'EMAIL_TAKEN':
            throw refuse(422, M.taken);
          case 'WEAK_PASSWORD':
            throw refuse(422, M.weakPassword);
          case 'VALIDATION_FAILED':
            throw refuse(422, /email/i.test((err as ParleyError).message) ? M.badEmail : M.invalidParams);
        }
        throw err;
      }
      return { success: M.signedUp };
    }),
  );

  /** Where the activation mail points: this dialect's `/active_account`, the username and the key in the query. */
  const linkTemplate = (username: string): string =>
    `${opts.publicBase}/active_account?username=${encodeURIComponent(username)}&key={token}`;

  // ---- 激活账号 GET /active_account?key&username -----------------------------------------------------------------
  app.get('/active_account', hidden, (req) =>
    runWithContext({ requestId: req.id }, async () => {
      const fields = fieldsOf(req);
      const key = field(fields, 'key');
      const username = field(fields, 'username');
      // The document: a wrong key, a wrong account and an active account all get the same answer.
      if (!key || !username || key.length > KEY_MAX) throw refuse(422, M.alreadyActive);
      // Checked before the link is spent: a wrong username leaves the account as it was.
      const link = await bus.request(AuthEndpoints.inspectEmailLink, { token: key }, read);
      const named = username.toLowerCase();
      const owner = [link.name, link.email].map((v) => v?.toLowerCase());
      if (!link.valid || link.verified || !owner.includes(named)) throw refuse(422, M.alreadyActive);
      let pair: Awaited<ReturnType<typeof verifyLink>>;
      try {
        pair = await verifyLink(key, req);
      } catch (err) {
        const code = codeOf(err);
        if (code === 'LINK_INVALID' || code === 'EMAIL_ALREADY_VERIFIED' || code === 'VALIDATION_FAILED') {
          throw refuse(422, M.alreadyActive);
        }
        throw err;
      }
      // No session is handed out here (the document logs in at /signin): the one the link started ends now.
      await endSpareSession(app, req, pair, opts.timeoutMs);
      return { success: M.activated };
    }),
  );
  const verifyLink = (token: string, req: FastifyRequest) =>
    bus.request(AuthEndpoints.verifyEmailLink, { token, client: clientInfo(req), revealVerified: true }, call);

  // ---- 登录 POST /signin {username|email, password} ----------------------------------------------------------------
  app.post('/signin', hidden, (req) =>
    runWithContext({ requestId: req.id }, async () => {
      const fields = fieldsOf(req);
      const login = (field(fields, 'username') ?? field(fields, 'email'))?.trim();
      const password = field(fields, 'password');
      if (!login || !password) throw refuse(422, M.signinMissing);
      if (login.length > LOGIN_MAX || password.length > PASSWORD_MAX) throw refuse(422, M.wrongCredentials);
      const client = clientInfo(req);
      try {
        const pair = await bus.request(AuthEndpoints.login, { login, password, client }, call);
        const { token } = await sessionTokenFor(app, pair, client, opts.timeoutMs);
        return { success: M.signedIn, JWTToken: token };
      } catch (err) {
        switch (codeOf(err)) {
          case 'INVALID_CREDENTIALS':
          case 'USER_NOT_FOUND':
          case 'VALIDATION_FAILED':
            throw refuse(422, M.wrongCredentials);
          case 'EMAIL_NOT_VERIFIED': {
            const extra = (err as ParleyError).extra;
            const email = typeof extra?.email === 'string' ? extra.email : login;
            // The link names the account by its name, whichever of name or address was typed.
            await resendLink(req, email, typeof extra?.name === 'string' ? extra.name : login);
            throw refuse(422, M.notActivated(email));
          }
        }
        throw err;
      }
    }),
  );

  /**
   * The document's "激活链接已发送": a fresh link to the account's address. The auth service mails at most one a
   * minute per address: within that minute the link sent moments ago stands, and the answer is the same. The
   * link's `username` is what the client signed in with (the account's name, or its address when that is what it
   * sent: the refusal names no account), and `/active_account` accepts either.
   */
  const resendLink = async (req: FastifyRequest, email: string, login: string): Promise<void> => {
    try {
      await bus.request(
        AuthEndpoints.resendVerification,
        { email, client: clientInfo(req), linkTemplate: linkTemplate(login) },
        call,
      );
    } catch (err) {
      if (codeOf(err) !== 'TOO_MANY_ATTEMPTS') throw err;
    }
  };

  // ---- 注销 POST /signout (Parley's addition: the document only drops the token on the client) ------------------------
  app.post('/signout', authed, (req) =>
    runWithContext({ requestId: req.id }, async () => {
      await endSession(app, req, req.caller!, opts.timeoutMs);
      return { success: M.signedOut };
    }),
  );

  // ---- 获取用户信息 GET /userInfo ----------------------------------------------------------------------------------
  app.get('/userInfo', authed, (req) =>
    runWithContext({ requestId: req.id }, async () => {
      const caller = req.caller!;
      const [me, sessions] = await Promise.all([
        bus.request(AuthEndpoints.me, { caller }, read),
        bus.request(AuthEndpoints.listSessions, { caller }, read),
      ]);
      const session = sessions.items.find((s) => s.id === caller.sessionId);
      const iat = Math.floor(Date.parse(session?.createdAt ?? me.createdAt) / 1000);
      return { id: me.id, username: me.name, email: me.email, iat };
    }),
  );

  // ---- 上传图片 POST /upload (multipart, png/jpg up to 1 MB each) ----------------------------------------------------
  app.post('/upload', uploadRoute, (req, reply) =>
    runWithContext({ requestId: req.id }, async () => {
      const caller = req.caller!;
      const form = await opts.uploads
        .receiveForm(req, reply, { kind: 'image', fileFields: IMAGE_FIELDS, limit: IMAGE_LIMIT, maxFiles: IMAGES_PER_UPLOAD })
        .catch((err: unknown) => {
          throw uploadRefusal(err);
        });
      // All or nothing: a file the media service refuses (too many pixels, unreadable) undoes the ones before it.
      const stored: { id: string; signedUrl: string }[] = [];
      try {
        for (const file of form.files) stored.push(await bus.request(MediaEndpoints.register, { caller, ...file }, call));
      } catch (err) {
        for (const { id } of stored) {
          await bus.request(MediaEndpoints.delete, { caller, mediaId: id }, call).catch((cause: unknown) => {
            req.log.warn({ err: cause, mediaId: id }, 'xphoto: could not undo an upload of a refused form');
          });
        }
        throw uploadRefusal(err);
      }
      return { urls: stored.map((m) => m.signedUrl) };
    }),
  );

  // ---- 获取用户所有的图片 GET /images -------------------------------------------------------------------------------
  app.get('/images', authed, (req) =>
    runWithContext({ requestId: req.id }, async () => {
      const caller = req.caller!;
      const urls: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bus.request(
          MediaEndpoints.list,
          { caller, kind: 'image', limit: 100, ...(cursor ? { cursor } : {}) },
          read,
        );
        urls.push(...page.items.map((m) => m.signedUrl));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (urls.length === 0) throw refuse(404, M.noImages(caller.userId));
      return { urls };
    }),
  );

  // ---- 人脸库 POST /images-db (register) and POST /images-db?search ------------------------------------------------
  const { faceUploads } = opts;

  /** The user's one xphoto identity, made on first use. */
  const identityOf = async (caller: Caller): Promise<string> => {
    const { items } = await bus.request(FaceEndpoints.listIdentities, { caller }, read);
    const found = items.find((i) => i.name === IDENTITY_NAME);
    if (found) return found.id;
    return (await bus.request(FaceEndpoints.createIdentity, { caller, name: IDENTITY_NAME }, call)).id;
  };

  const register = async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = req.caller!;
    const received = await faceUploads.receiveMany(req, reply, 'file').catch((err: unknown) => {
      throw photoRefusal(err, 'file');
    });
    const { photos } = received;
    const reasons = received.invalid.map((i) => `${i.file}: not an image`);
    const added = await faceUploads.using(req, photos, async () => {
      if (photos.length === 0) return 0;
      const identityId = await identityOf(caller);
      const answer = await bus.request(FaceEndpoints.addPhotos, { caller, identityId, photos }, infer);
      reasons.push(...answer.rejected.map((r) => `${r.file}: ${REJECTION[r.code] ?? r.detail}`));
      return answer.added.length;
    });
    if (added === 0) throw refuse(422, M.nothingRegistered(reasons));
    return reply.code(201).send({ message: M.registered });
  };

  const search = async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = req.caller!;
    const photo = await faceUploads.receiveOne(req, reply, 'faceFile').catch((err: unknown) => {
      throw photoRefusal(err, 'faceFile');
    });
    const found = await faceUploads.using(req, [photo], () =>
      bus.request(FaceEndpoints.search, { caller, photo }, infer).catch((err: unknown) => {
        throw photoRefusal(err, 'faceFile');
      }),
    );
    return reply.code(found.matched ? 200 : 404).send({ isInterested: found.matched });
  };

  for (const url of ['/images-db', '/images-db/']) {
    app.post(url, uploadRoute, (req, reply) =>
      runWithContext({ requestId: req.id }, () => {
        const query = (req.query ?? {}) as Record<string, unknown>;
        return 'search' in query ? search(req, reply) : register(req, reply);
      }),
    );
  }
}

/** Why the face service refused a photo; an unreadable one keeps its own detail (too many pixels, not readable). */
const REJECTION: Record<string, string> = {
  NO_FACE: 'no face found',
  MULTIPLE_FACES: 'more than one face',
};

/** The upload pipeline's refusals of `/upload`, with the document's two messages for the type and the size. */
const uploadRefusal = (err: unknown): unknown => {
  switch (codeOf(err)) {
    case 'UNSUPPORTED_FILE_TYPE':
    case 'INVALID_IMAGE':
      return refuse(400, M.badFormat);
    case 'FILE_TOO_LARGE':
      return refuse(413, M.tooLarge);
    case 'IMAGE_TOO_LARGE':
      return refuse(413, M.imageTooLarge);
    case 'UNSUPPORTED_MEDIA_TYPE':
      return refuse(415, M.notMultipart);
    case 'BAD_REQUEST':
      return refuse(400, M.noImagePart);
    case 'PAYLOAD_TOO_LARGE':
      return refuse(413, M.tooManyFiles(IMAGES_PER_UPLOAD));
  }
  return err;
};

/** The face photo pipeline's refusals, for the `file` parts of a registration or the search's `faceFile`. */
const photoRefusal = (err: unknown, partName: 'file' | 'faceFile'): unknown => {
  switch (codeOf(err)) {
    case 'UNSUPPORTED_FILE_TYPE':
    case 'INVALID_IMAGE':
      return refuse(400, M.notAnImage(partName));
    case 'FILE_TOO_LARGE': {
      const maxBytes = (err as ParleyError).extra?.maxBytes;
      return refuse(413, M.photoTooLarge(typeof maxBytes === 'number' ? maxBytes : 10 * 1024 * 1024));
    }
    case 'IMAGE_TOO_LARGE':
      return refuse(413, M.imageTooLarge);
    case 'UNSUPPORTED_MEDIA_TYPE':
      return refuse(415, partName === 'file' ? M.photosNotMultipart : M.searchNotMultipart);
    case 'BAD_REQUEST':
      return refuse(400, partName === 'file' ? M.noPhotoPart : M.noSearchPart);
    case 'PAYLOAD_TOO_LARGE':
      return refuse(413, M.tooManyPhotos);
  }
  return err;
};
