import formbody from '@fastify/formbody';
import { AuthEndpoints, type Caller, isParleyError, type ParleyError } from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientInfo } from '../../lib/client-info.ts';
import {
  callOptions,
  type DialectOptions,
  endSession,
  type Failure,
  failureOf,
  fieldsOf,
  RETRY_AFTER_SECONDS,
  sessionTokenFor,
  text,
} from '../kit.ts';

/**
 * The `sessions` dialect (../shared/seeds/002): `/api/v1/auth/{register,login,logout,sessioncheck}` under its
 * mount, every answer in the document's envelope `{value: "v1", method, status: "Success"|"Failed", data|error}`.
 * `sig` is the canonical session token, `expired` the session's end in epoch seconds. See docs/compat/sessions.md.
 */

export const Paths = {
  register: '/api/v1/auth/register',
  login: '/api/v1/auth/login',
  logout: '/api/v1/auth/logout',
  sessioncheck: '/api/v1/auth/sessioncheck',
} as const;

/** Every message this dialect answers with: the document's own where it has one, the same style where it has none. */
export const Messages = {
  nameTaken: 'name is already existent',
  emailTaken: 'email is already existent',
  passwordMismatch: 'password and repeat_password are not the same',
  passwordError: 'password error',
  nameOrTokenEmpty: 'name or token is empty, please check again',
  noSession: 'can not find this kind of session',
  sessionDeleted: 'Session is deleted.',
  tokenWorks: 'this token is works!',
  nameInvalid: 'name is invalid, use 2 to 32 letters, digits, _ . or -',
  emailInvalid: 'email is invalid',
  passwordTooLong: 'password is too long, use at most 256 characters',
  badJson: 'request body is not valid JSON',
  badContentType: 'unsupported content type, send JSON or a form (application/x-www-form-urlencoded)',
  bodyTooLarge: 'request body is too large',
  unavailable: 'server is unavailable now, please try again later',
  serverError: 'server error, please try again later',
} as const;

/** `name is empty, …` / `name and email are empty, …`: which of a route's fields were not sent. */
export const emptyMessage = (missing: string[]): string => {
  const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
  return `${list} ${missing.length === 1 ? 'is' : 'are'} empty, please check again`;
};

/** A `Failed` answer: the message, and the HTTP status (200 unless it is a rate limit or an outage). */
class Failed extends Error {
  constructor(
    message: string,
    readonly httpStatus = 200,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const OTHER_METHODS = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

const success = (req: FastifyRequest, data: Record<string, unknown>) => ({
  value: 'v1',
  method: req.method,
  status: 'Success',
  data,
});
const failure = (req: FastifyRequest, message: string) => ({
  value: 'v1',
  method: req.method,
  status: 'Failed',
  error: { message },
});

const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

type Fields = Record<string, unknown>;

/**
 * The named fields as trimmed strings (passwords untrimmed): absent or blank ones fail with the route's
 * message for empty fields; a field of another type (an object, a list) is named as such.
 */
const required = <K extends string>(
  fields: Fields,
  names: readonly K[],
  onEmpty: (missing: K[]) => string,
): Record<K, string> => {
  const out = {} as Record<K, string>;
  const missing: K[] = [];
  for (const name of names) {
    const raw = fields[name];
    const value = text(raw);
    if (value === undefined && raw !== undefined && raw !== null) throw new Failed(`${name} must be a string`);
    const kept = value === undefined ? '' : name.includes('password') ? value : value.trim();
    if (kept === '') missing.push(name);
    out[name] = kept;
  }
  if (missing.length > 0) throw new Failed(onEmpty(missing));
  return out;
};

/** A failure no route translated itself: rate limits (429) and outages (503) keep their meaning; the rest is Failed. */
const failedFor = (failure: Failure): Failed => {
  switch (failure.kind) {
    case 'rate-limited':
      return new Failed(`too many attempts, please try again in ${failure.retryAfter} seconds`, 429, failure.retryAfter);
    case 'unavailable':
      return new Failed(Messages.unavailable, 503, RETRY_AFTER_SECONDS);
    case 'bad-body':
      return new Failed(
        failure.reason === 'json'
          ? Messages.badJson
          : failure.reason === 'too-large'
            ? Messages.bodyTooLarge
            : Messages.badContentType,
      );
    case 'token':
    case 'client':
      return new Failed(failure.message);
    case 'unexpected':
      return new Failed(Messages.serverError, 500);
  }
};

/** A token (or its session) the canonical side refused, as opposed to a rate limit, an outage or a bug. */
const refusedToken = (err: unknown): boolean => ['token', 'client'].includes(failureOf(err).kind);

/** Which field a canonical VALIDATION_FAILED names (`/name`, `/email`, `/password`). */
const invalidFields = (err: ParleyError): string[] => {
  const errors = err.extra?.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .map((e) => (typeof e?.path === 'string' ? e.path.replace(/^\//, '').split('/')[0] : ''))
    .filter((p): p is string => p !== '');
};

const weakPasswordMessage = (err: ParleyError): string => {
  const strength = err.extra?.strength;
  const feedback = err.extra?.feedback as { warning?: unknown; suggestions?: unknown } | undefined;
  const scored = typeof strength === 'number' ? `strength ${strength} of 4, ` : '';
  const hints = [
    typeof feedback?.warning === 'string' ? feedback.warning : undefined,
    ...(Array.isArray(feedback?.suggestions) ? feedback.suggestions.filter((s): s is string => typeof s === 'string') : []),
  ].filter((s): s is string => !!s);
  return `password is too weak (${scored}at least 3 and 8 characters needed)${hints.length ? `: ${hints.join(' ')}` : ''}`;
};

export default async function sessionsDialect(app: FastifyInstance, opts: DialectOptions): Promise<void> {
  if (opts.mount === '/') {
    // Its paths are /api/v1/auth/…: at the root they would be the canonical API's own login, logout and register.
    throw new Error(
      'COMPAT_DIALECTS: the sessions dialect cannot be mounted at / (its paths /api/v1/auth/* are the canonical API’s); choose another prefix, e.g. sessions=/legacy',
    );
  }
  const { bus } = app.parley;
  const { call, read } = callOptions(opts.timeoutMs);

  await app.register(formbody);
  // An empty JSON body is a request with no fields (the route then names them), not a parse error.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, {});
    json(req, body as string, done);
  });

  const send = (req: FastifyRequest, reply: FastifyReply, err: Failed) => {
    if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter));
    return reply.code(err.httpStatus).type('application/json; charset=utf-8').send(failure(req, err.message));
  };

  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof Failed) return send(req, reply, err);
    const failure = failureOf(err);
    if (failure.kind === 'unexpected') {
      if (isParleyError(err)) req.log.warn({ code: err.code, detail: err.message }, 'sessions dialect: upstream failure');
      else req.log.error({ err }, 'sessions dialect: unhandled error');
    }
    return send(req, reply, failedFor(failure));
  });

  app.setNotFoundHandler((req, reply) =>
    send(req, reply, new Failed(`no such api: ${req.method} ${req.url.split('?')[0]}`, 404)),
  );

  /** One documented POST path, and a 405 in the envelope for every other method on it. */
  const route = (url: string, handler: (req: FastifyRequest, fields: Fields) => Promise<Record<string, unknown>>) => {
    app.route({
      method: 'POST',
      url,
      schema: { hide: true },
      handler: (req, reply) =>
        runWithContext({ requestId: req.id }, async () => {
          const data = await handler(req, fieldsOf(req));
          return reply.code(200).type('application/json; charset=utf-8').send(success(req, data));
        }),
    });
    app.route({
      method: [...OTHER_METHODS],
      url,
      schema: { hide: true },
      handler: (req, reply) => {
        reply.header('allow', 'POST');
        return send(req, reply, new Failed(`method ${req.method} is not allowed, use POST`, 405));
      },
    });
  };

  /** The session token and its end for a canonical login's TokenPair. */
  const signed = async (req: FastifyRequest, login: string, password: string) => {
    const client = clientInfo(req);
    const pair = await bus.request(AuthEndpoints.login, { login, password, client, allowUnverified: true }, call);
    const session = await sessionTokenFor(app, pair, client, opts.timeoutMs);
    return { expired: epochSeconds(session.expiresAt), sig: session.token };
  };

  /** The caller a token stands for, when it is a live session of the user `name` (their name or email, any case). */
  const sessionOf = async (req: FastifyRequest, name: string, token: string): Promise<Caller> => {
    try {
      const caller = await app.authenticateToken(req, token);
      const me = await bus.request(AuthEndpoints.me, { caller }, read);
      const wanted = name.toLowerCase();
      if (me.name.toLowerCase() !== wanted && me.email.toLowerCase() !== wanted) throw new Failed(Messages.noSession);
      return caller;
    } catch (err) {
      if (err instanceof Failed) throw err;
      if (refusedToken(err)) throw new Failed(Messages.noSession);
      throw err;
    }
  };

  route(Paths.register, async (req, fields) => {
    const f = required(fields, ['name', 'password', 'repeat_password', 'email'] as const, emptyMessage);
    if (f.password !== f.repeat_password) throw new Failed(Messages.passwordMismatch);
    try {
      await bus.request(
        AuthEndpoints.register,
        { name: f.name, email: f.email, password: f.password, verify: 'link', client: clientInfo(req) },
        call,
      );
    } catch (err) {
      if (!isParleyError(err)) throw err;
      if (err.code === 'NAME_TAKEN') throw new Failed(Messages.nameTaken);
      if (err.code === 'EMAIL_TAKEN') throw new Failed(Messages.emailTaken);
      if (err.code === 'WEAK_PASSWORD') throw new Failed(weakPasswordMessage(err));
      if (err.code === 'VALIDATION_FAILED') {
        const bad = invalidFields(err);
        if (bad.includes('name')) throw new Failed(Messages.nameInvalid);
        if (bad.includes('email')) throw new Failed(Messages.emailInvalid);
        if (bad.includes('password')) throw new Failed(Messages.passwordTooLong);
      }
      throw err;
    }
    // The old system started a session at once and never confirmed addresses: the confirmation link is mailed,
    // and this dialect's login does not wait for it (the canonical API does).
    return signed(req, f.name, f.password);
  });

  route(Paths.login, async (req, fields) => {
    const f = required(fields, ['name', 'password'] as const, emptyMessage);
    try {
      return await signed(req, f.name, f.password);
    } catch (err) {
      // One answer for a wrong password and an unknown name, as the document shows (no enumeration).
      const code = isParleyError(err) ? err.code : undefined;
      if (code === 'INVALID_CREDENTIALS' || code === 'USER_NOT_FOUND' || code === 'VALIDATION_FAILED') {
        throw new Failed(Messages.passwordError);
      }
      throw err;
    }
  });

  route(Paths.logout, async (req, fields) => {
    const f = required(fields, ['name', 'token'] as const, () => Messages.nameOrTokenEmpty);
    const caller = await sessionOf(req, f.name, f.token);
    try {
      await endSession(app, req, caller, opts.timeoutMs);
    } catch (err) {
      // Ended by someone else in between: there is no such session any more.
      if (refusedToken(err)) throw new Failed(Messages.noSession);
      throw err;
    }
    return { message: Messages.sessionDeleted };
  });

  route(Paths.sessioncheck, async (req, fields) => {
    const f = required(fields, ['name', 'token'] as const, () => Messages.nameOrTokenEmpty);
    await sessionOf(req, f.name, f.token);
    return { expired: req.tokenExpiresAt, message: Messages.tokenWorks, token: f.token };
  });
}
