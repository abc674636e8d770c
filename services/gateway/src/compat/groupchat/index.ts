import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { AuthEndpoints, type Caller, MediaEndpoints, type MediaKind, type TokenPair } from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAttachFlow } from '../../lib/attach.ts';
import { clientInfo } from '../../lib/client-info.ts';
import type { ReceivedFile } from '../../lib/upload.ts';
import { uploadRouteOptions } from '../../lib/upload-route.ts';
import { bearerToken, callOptions, type DialectOptions, discardUpload, sessionTokenFor, text } from '../kit.ts';
import { errorHandler, Info, Refusal, refuse, succeed, translate } from './envelope.ts';
import * as field from './fields.ts';

/** Where a token may be: `Authorization: Bearer <token>`, `JWT <token>`, `Token <token>`, or the bare token. */
const TOKEN_SCHEMES = ['Bearer', 'JWT', 'Token'];

/** Room and user ids are at most this long; anything longer is no room of ours. */
const ID_MAX = 64;

const JSON_PATHS = ['/register', '/login', '/change_name', '/change_password', '/change_email'] as const;

interface GroupUpload {
  path: string;
  kind: MediaKind;
  /** The multipart part names accepted, in order of preference. */
  fileFields: string[];
  /** The name the document's messages give the file: `[image]`, `[expression]`, … */
  label: string;
  /** Whether its table has "Invalid type of [label]" (upload_file and upload_voice only have "Missing or error type of"). */
  typeMessage: boolean;
}

const GROUP_UPLOADS: GroupUpload[] = [
  { path: '/upload_image', kind: 'image', fileFields: ['avatar'], label: 'image', typeMessage: true },
  // The table's field row says `avatar`, the sample `expression`: both are taken, `expression` first.
  { path: '/upload_expression', kind: 'sticker', fileFields: ['expression', 'avatar'], label: 'expression', typeMessage: true },
  { path: '/upload_file', kind: 'file', fileFields: ['file'], label: 'file', typeMessage: false },
  { path: '/upload_voice', kind: 'voice', fileFields: ['voice'], label: 'voice', typeMessage: false },
];

/**
 * The `groupchat` dialect (../shared/seeds/001_b87a3964f20c2206.txt, docs/compat/groupchat.md): accounts by
 * name+password or email+code with `need_send`, the `{code, info}` envelope, a token and `ws_url`, profile
 * changes and group-chat uploads — each a translation to the canonical bus operations.
 */
export default async function groupchat(app: FastifyInstance, opts: DialectOptions): Promise<void> {
  const { bus } = app.parley;
  const { call } = callOptions(opts.timeoutMs);
  const flow = createAttachFlow(app, opts.timeoutMs);
  // PUBLIC_URL: the canonical API (and its WebSocket) lives under it, wherever this dialect is mounted.
  const publicUrl = opts.mount === '/' ? opts.publicBase : opts.publicBase.slice(0, -opts.mount.length);
  const wsUrl = (token: string) => `${publicUrl.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(token)}`;

  await app.register(formbody, { bodyLimit: 16_384 });
  await app.register(multipart);
  app.setErrorHandler(errorHandler);
  if (opts.mount !== '/') {
    app.setNotFoundHandler((req, reply) =>
      reply.code(404).send({ code: -1, info: `No such endpoint: ${req.method} ${req.url.split('?')[0]}` }),
    );
  }

  /** onRequest: the token before a byte of the body is read; "Invalid or expired JWT" when none, a bad one or an ended session. */
  const authenticate = async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req, { schemes: TOKEN_SCHEMES, bare: true });
    if (!token) throw refuse(-2, Info.badToken);
    await app.authenticateToken(req, token);
  };

  /** The document's `id` of a user: it must be the token's own user (a token acts for nobody else). */
  const assertOwnId = (caller: Caller, id: string | undefined): void => {
    if (id === undefined) throw refuse(-1, Info.missing('id'));
    if (id !== caller.userId) throw refuse(-2, Info.badToken);
  };

  /** A login's answer: the canonical session's long-lived token, the WebSocket that pushes this user's events, the user id. */
  const loggedIn = async (pair: TokenPair, req: FastifyRequest) => {
    const { token } = await sessionTokenFor(app, pair, clientInfo(req), opts.timeoutMs);
    return succeed({ token, ws_url: wsUrl(token), id: pair.user.id });
  };

  const routeOptions = { schema: { hide: true } };
  const post = (path: string, auth: boolean, handler: (req: FastifyRequest) => Promise<unknown>) => {
    for (const url of [path, `${path}/`]) {
      app.post(url, { ...routeOptions, ...(auth ? { onRequest: authenticate } : {}) }, (req) =>
        runWithContext({ requestId: req.id }, () => handler(req)),
      );
    }
  };

  // POST /register: need_send true mails a code to an address with no account; false registers with it.
  post('/register', false, async (req) => {
    const f = await field.readFields(req);
    const client = clientInfo(req);
    if (field.needSend(f)) {
      const email = field.email(f, 'email');
      try {
        await bus.request(AuthEndpoints.requestSignupCode, { email, client }, call);
      } catch (err) {
        translate(err, { EMAIL_TAKEN: refuse(-2, Info.emailExists) });
      }
      return succeed();
    }
    const name = field.userName(f, 'name');
    const password = field.password(f, 'password');
    const email = field.email(f, 'email');
    const code = field.securityCode(f);
    if (code === undefined) throw refuse(-2, Info.verifyEmail);
    if (!field.SIX_DIGITS.test(code)) throw refuse(-1, Info.wrongCode);
    let pair: TokenPair;
    try {
      pair = await bus.request(AuthEndpoints.registerWithCode, { name, email, password, code, client }, call);
    } catch (err) {
      return translate(err, {
        CODE_INVALID: refuse(-1, Info.wrongCode),
        NAME_TAKEN: refuse(-2, Info.nameDuplicate),
        EMAIL_TAKEN: refuse(-2, Info.emailExists),
        WEAK_PASSWORD: refuse(-1, Info.weakPassword),
      });
    }
    return loggedIn(pair, req);
  });

  // POST /login: name+password; or email with need_send true (mails a code), then email+security_code.
  post('/login', false, async (req) => {
    const f = await field.readFields(req);
    const client = clientInfo(req);
    const send = field.needSend(f);
    const code = field.securityCode(f);
    if (send || code !== undefined) {
      const email = field.email(f, 'email');
      if (send) {
        await bus.request(AuthEndpoints.requestLoginCode, { email, client }, call);
        return succeed();
      }
      if (!field.SIX_DIGITS.test(code as string)) throw refuse(-1, Info.wrongCode);
      let pair: TokenPair;
      try {
        pair = await bus.request(AuthEndpoints.verifyLoginCode, { email, code: code as string, client }, call);
      } catch (err) {
        return translate(err, { CODE_INVALID: refuse(-1, Info.wrongCode) });
      }
      return loggedIn(pair, req);
    }
    const login = field.optional(f, 'name') ?? field.optional(f, 'email');
    if (login === undefined || login.length > 254) throw refuse(-1, Info.missing('name'));
    if (f.password === undefined && field.optional(f, 'name') === undefined) throw refuse(-1, Info.missing('security_code'));
    const password = field.password(f, 'password');
    let pair: TokenPair;
    try {
      pair = await bus.request(AuthEndpoints.login, { login, password, client, revealUnknown: true }, call);
    } catch (err) {
      return translate(err, {
        USER_NOT_FOUND: refuse(-2, Info.userNotFound),
        INVALID_CREDENTIALS: refuse(-2, Info.wrongLoginPassword),
        EMAIL_NOT_VERIFIED: refuse(-2, Info.verifyEmail),
      });
    }
    return loggedIn(pair, req);
  });

  post('/change_name', true, async (req) => {
    const caller = req.caller!;
    const f = await field.readFields(req);
    assertOwnId(caller, field.optional(f, 'id'));
    const name = field.userName(f, 'new_name');
    try {
      await bus.request(AuthEndpoints.rename, { caller, name }, call);
    } catch (err) {
      translate(err, { NAME_TAKEN: refuse(-2, Info.nameDuplicate) });
    }
    return succeed();
  });

  // The sample names the new password `new_name` (the field table: `new_password`); `new_password` wins.
  post('/change_password', true, async (req) => {
    const caller = req.caller!;
    const f = await field.readFields(req);
    assertOwnId(caller, field.optional(f, 'id'));
    const currentPassword = field.password(f, 'old_password');
    const newPassword = field.password(f, f.new_password === undefined && f.new_name !== undefined ? 'new_name' : 'new_password');
    try {
      await bus.request(AuthEndpoints.changePassword, { caller, currentPassword, newPassword }, call);
    } catch (err) {
      translate(err, {
        WRONG_PASSWORD: refuse(-2, Info.wrongPassword),
        WEAK_PASSWORD: refuse(-1, Info.weakPassword),
      });
    }
    return succeed();
  });

  // Two steps on one path: new_email alone mails a code to it ("Please verify your email"; need_send true:
  // "Succeed"), then new_email+security_code (or the code alone) makes it the account's address.
  post('/change_email', true, async (req) => {
    const caller = req.caller!;
    const f = await field.readFields(req);
    assertOwnId(caller, field.optional(f, 'id'));
    const send = field.needSend(f);
    const code = field.securityCode(f);
    if (code !== undefined && !send) {
      if (f.new_email !== undefined) field.email(f, 'new_email');
      if (!field.SIX_DIGITS.test(code)) throw refuse(-1, Info.wrongCode);
      try {
        await bus.request(AuthEndpoints.confirmEmailChange, { caller, code }, call);
      } catch (err) {
        translate(err, { CODE_INVALID: refuse(-1, Info.wrongCode), EMAIL_TAKEN: refuse(-2, Info.emailExists) });
      }
      return succeed();
    }
    const newEmail = field.email(f, 'new_email');
    try {
      await bus.request(AuthEndpoints.requestEmailChange, { caller, newEmail }, call);
    } catch (err) {
      translate(err, { EMAIL_TAKEN: refuse(-2, Info.emailExists) });
    }
    if (send) return succeed();
    throw refuse(-2, Info.verifyEmail);
  });

  const discard = (req: FastifyRequest, caller: Caller, file: ReceivedFile) =>
    discardUpload(app, req, caller, file, opts.timeoutMs);

  /** The upload pipeline's refusals in the document's words for this file. */
  const uploadRefusals = (label: string, typeMessage: boolean) => {
    const missing = refuse(-1, Info.missing(label));
    const badType = typeMessage ? refuse(-1, Info.invalidType(label)) : missing;
    const tooLarge = (e: { extra?: Record<string, unknown> }) => {
      const max = e.extra?.maxBytes;
      return refuse(-1, Info.tooLarge(label, typeof max === 'number' ? max : undefined));
    };
    return {
      UNSUPPORTED_MEDIA_TYPE: missing,
      BAD_REQUEST: missing,
      VALIDATION_FAILED: missing,
      UNSUPPORTED_FILE_TYPE: badType,
      INVALID_IMAGE: badType,
      FILE_TOO_LARGE: tooLarge,
      PAYLOAD_TOO_LARGE: tooLarge,
      IMAGE_TOO_LARGE: () => refuse(-1, `${Info.tooLarge(label)}: too many pixels`),
      ROOM_NOT_FOUND: refuse(-2, Info.noSuchGroup),
    };
  };

  /** The multipart form: `id` as a text field before the file part (or `?id=`), and the file. */
  const receive = async (
    req: FastifyRequest,
    reply: FastifyReply,
    kind: MediaKind,
    fileFields: string[],
    refusals: ReturnType<typeof uploadRefusals>,
  ): Promise<{ file: ReceivedFile; id: string | undefined }> => {
    try {
      const form = await opts.uploads.receiveForm(req, reply, { kind, fileFields, fields: ['id'] });
      const id = form.fields.id?.trim();
      return { file: form.files[0] as ReceivedFile, id: id === '' ? undefined : id };
    } catch (err) {
      return translate(err, refusals);
    }
  };

  const queryId = (req: FastifyRequest): string | undefined => {
    const id = text((req.query as Record<string, unknown> | undefined)?.id)?.trim();
    return id === '' ? undefined : id;
  };

  const uploadRoute = (path: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
    for (const url of [path, `${path}/`]) {
      app.post(url, { ...routeOptions, ...uploadRouteOptions, onRequest: authenticate }, (req, reply) =>
        runWithContext({ requestId: req.id }, () => handler(req, reply)),
      );
    }
  };

  // POST /change_image: multipart {id (the user), avatar} → the canonical avatar.
  uploadRoute('/change_image', async (req, reply) => {
    const caller = req.caller!;
    const refusals = uploadRefusals('image', true);
    const fromQuery = queryId(req);
    if (fromQuery !== undefined) assertOwnId(caller, fromQuery);
    const { file, id } = await receive(req, reply, 'avatar', ['avatar'], refusals);
    try {
      assertOwnId(caller, fromQuery ?? id);
    } catch (err) {
      await discard(req, caller, file);
      throw err;
    }
    let url: string;
    try {
      const media = await bus.request(MediaEndpoints.register, { caller, ...file }, call);
      // The canonical avatar is the media's path (it never expires); the answer's `url` reads without a token.
      await bus.request(AuthEndpoints.setAvatar, { caller, avatarUrl: media.url }, call);
      url = media.signedUrl;
    } catch (err) {
      return translate(err, refusals);
    }
    return succeed({ url });
  });

  // Group uploads: multipart {id (the room), <file>} → the file as the room's media and a message carrying it.
  for (const upload of GROUP_UPLOADS) {
    uploadRoute(upload.path, async (req, reply) => {
      const caller = req.caller!;
      const refusals = uploadRefusals(upload.label, upload.typeMessage);
      const fromQuery = queryId(req);
      if (fromQuery !== undefined) {
        // Known before the body: members only, asked before a byte is stored.
        try {
          await flow.admit(req, reply, caller, fromQuery);
        } catch (err) {
          translate(err, refusals);
        }
      }
      const { file, id } = await receive(req, reply, upload.kind, upload.fileFields, refusals);
      const roomId = fromQuery ?? id;
      if (roomId === undefined || roomId.length > ID_MAX) {
        await discard(req, caller, file);
        throw roomId === undefined ? refuse(-1, Info.missing('id')) : refuse(-2, Info.noSuchGroup);
      }
      try {
        // The media service checks membership again and deletes the bytes if it refuses.
        const { media } = await flow.attach(req, caller, roomId, file);
        return succeed({ url: media.signedUrl });
      } catch (err) {
        return translate(err, refusals);
      }
    });
  }

  // The document's endpoints are all POST: any other method is told so, in the envelope.
  const paths = [...JSON_PATHS, '/change_image', ...GROUP_UPLOADS.map((u) => u.path)];
  for (const path of paths) {
    for (const url of [path, `${path}/`]) {
      app.route({
        method: ['GET', 'PUT', 'PATCH', 'DELETE'],
        url,
        ...routeOptions,
        handler: async (_req, reply) => {
          reply.header('allow', 'POST');
          throw new Refusal(-1, 'Method not allowed: use POST', 405);
        },
      });
    }
  }
}
