import { isParleyError } from '@parley/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type Failure, failureOf, RETRY_AFTER_SECONDS } from '../kit.ts';

/**
 * The `groupchat` document's envelope: `{code, info, ...}`. Success is HTTP 200 with code 0 and info
 * "Succeed"; every refusal the tables list is HTTP 400 with code -1 or -2 and the message as written.
 */
export const SUCCEED = 'Succeed';

/** The document's messages, spelled exactly as in its tables. */
export const Info = {
  verifyEmail: 'Please verify your email',
  wrongCode: 'Wrong verify code',
  nameDuplicate: 'Username duplicate',
  emailExists: 'Email already exists',
  userNotFound: 'Username not found',
  /** `/login`'s table capitalises it; `/change_password`'s does not. */
  wrongLoginPassword: 'Wrong Password',
  wrongPassword: 'Wrong password',
  badToken: 'Invalid or expired JWT',
  missing: (field: string) => `Missing or error type of [${field}]`,
  invalidType: (field: string) => `Invalid type of [${field}]`,
  // Parley's own, for what the tables do not cover (docs/compat/groupchat.md lists them).
  weakPassword: 'Weak password',
  invalidName: (field: string) => `Invalid [${field}]: 2 to 32 letters, digits, '_', '.' or '-'`,
  invalidEmail: (field: string) => `Invalid [${field}]: not an email address`,
  tooLarge: (field: string, maxBytes?: number) =>
    maxBytes === undefined ? `Too large [${field}]` : `Too large [${field}]: at most ${maxBytes} bytes`,
  noSuchGroup: 'Group chat not found',
  tooManyAttempts: 'Too many attempts',
  unavailable: 'Service unavailable',
  serverError: 'Server error',
} as const;

/** A refusal in the document's envelope; thrown by handlers, rendered by the plugin's error handler. */
export class Refusal extends Error {
  constructor(
    readonly code: number,
    readonly info: string,
    readonly status = 400,
    readonly retryAfter?: number,
  ) {
    super(info);
    this.name = 'Refusal';
  }
}

export const refuse = (code: -1 | -2, info: string): Refusal => new Refusal(code, info);

/** A failure no route translated itself, in this envelope. */
const refusalFor = (failure: Failure): Refusal => {
  switch (failure.kind) {
    case 'token':
      return refuse(-2, Info.badToken);
    case 'rate-limited':
      return new Refusal(-3, Info.tooManyAttempts, 429, failure.retryAfter);
    case 'unavailable':
      return new Refusal(-3, Info.unavailable, 503, RETRY_AFTER_SECONDS);
    case 'bad-body':
      return refuse(-1, BadBody[failure.reason]);
    case 'client':
      return refuse(-1, failure.message || 'Bad request');
    case 'unexpected':
      return new Refusal(-3, Info.serverError, 500);
  }
};

const BadBody = {
  json: 'Invalid JSON body',
  'too-large': 'Request body too large',
  'content-type': 'Unsupported Content-Type: send JSON, a urlencoded form or multipart/form-data',
} as const;

export const sendRefusal = (reply: FastifyReply, r: Refusal): FastifyReply => {
  if (r.retryAfter !== undefined) reply.header('retry-after', String(r.retryAfter));
  return reply.code(r.status).type('application/json; charset=utf-8').send({ code: r.code, info: r.info });
};

/** Every failure under the mount leaves in the envelope; a truly unexpected one is logged and is a 500. */
export const errorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
  if (err instanceof Refusal) return sendRefusal(reply, err);
  const failure = failureOf(err);
  if (failure.kind === 'unexpected') {
    if (isParleyError(err)) req.log.warn({ code: err.code, detail: err.message }, 'groupchat: upstream failure');
    else req.log.error({ err }, 'groupchat: unhandled error');
  }
  return sendRefusal(reply, refusalFor(failure));
};

/** `{code: 0, info: "Succeed", ...extra}`, HTTP 200. */
export const succeed = (extra: Record<string, unknown> = {}) => ({ code: 0, info: SUCCEED, ...extra });

/**
 * Translates the canonical codes a route expects into the document's refusals; anything else is rethrown
 * for the error handler (token, rate-limit and dependency failures, or a bug).
 */
export const translate = (
  err: unknown,
  table: Record<string, Refusal | ((e: { extra?: Record<string, unknown> }) => Refusal)>,
): never => {
  if (isParleyError(err)) {
    const entry = table[err.code];
    if (entry) throw typeof entry === 'function' ? entry(err.extra ? { extra: err.extra } : {}) : entry;
  }
  throw err;
};
