import formbody from '@fastify/formbody';
import {
  AuditEndpoints,
  AuthEndpoints,
  type Caller,
  type ClientInfo,
  FaceEndpoints,
  isParleyError,
  type LoginRecord,
  type TokenPair,
} from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientInfo } from '../../lib/client-info.ts';
import { callOptions, codeOf, type DialectOptions, endSpareSession, fieldsOf, sessionTokenFor, text } from '../kit.ts';

/**
 * The `status-codes` dialect (../shared/seeds/003_1f6053b7ada8fd76.txt): `/Login`, `/Register`, `/VerifyCode`,
 * `/SearchAllUsers`, `/GetAllLogs`, `/GetLatestLog`, `/CreateIdentity`, `/SearchIdentityByUser`, each answering
 * HTTP 200 with `{"Status":{"Result":N}, …}` — its clients read `Result`, never the HTTP status. Every route is a
 * translation to the canonical bus calls; the `token` is the canonical session token (docs/compat/status-codes.md).
 */

type Body = Record<string, unknown>;

/** `{"Status":{"Result":n}}` and the route's own members. */
const answer = (result: number, rest: Body = {}): Body => ({ Status: { Result: result }, ...rest });

/** What a route answers with a result code and nothing else: its document's "empty" shape for that code. */
type EmptyShape = (result: number) => Body;

interface RouteConfig {
  statusCodes: {
    empty: EmptyShape;
    /** The document's "server error" code for this route: what a truly unexpected failure answers. */
    unexpected: number;
  };
}

/** A result code decided before the route's own answer (a refused token, a missing argument). */
class Outcome extends Error {
  constructor(readonly result: number) {
    super(`Result ${result}`);
  }
}

/** A field as the client sent it (query or body), or undefined when absent, empty or holding U+0000 (nothing stores it). */
const field = (fields: Body, name: string, trim = true): string | undefined => {
  const raw = text(fields[name]);
  if (raw === undefined || raw.includes('\u0000')) return undefined;
  const value = trim ? raw.trim() : raw;
  return value === '' ? undefined : value;
};

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EMAIL_MAX = 254;
const NAME_MAX = 32;
const NAME_RETRIES = 5;

/** A canonical user name from an address's local part: letters, digits, `_.-`, 2–32 characters. */
const nameFromEmail = (email: string): string => {
  const local = email.split('@')[0] ?? '';
  let base = [...local].filter((c) => /[\p{L}\p{N}_.-]/u.test(c)).join('');
  base = [...base].slice(0, NAME_MAX).join('');
  if (base.length < 2) base = base === '' ? 'user' : `${base}-user`;
  return base;
};

/** The same name with `-` and four random digits, still at most 32 characters: the next try when the name is taken. */
const withSuffix = (base: string): string =>
  `${[...base].slice(0, NAME_MAX - 5).join('')}-${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;

/** `YYYY-MM-DD HH:MM:SS` in UTC, the document's log key. */
const stamp = (iso: string): string => new Date(iso).toISOString().replace('T', ' ').slice(0, 19);

/** One match: the value itself; several: an array (a JSON object cannot repeat the document's key). */
const oneOrMany = (key: string, values: string[]): Body =>
  values.length === 0 ? {} : { [key]: values.length === 1 ? values[0] : values };

const LOG_PAGE = 100;
const LOG_PAGES_MAX = 50;
const SEARCH_LIMIT = 100;

export default async function dialect(app: FastifyInstance, opts: DialectOptions): Promise<void> {
  const { bus } = app.parley;
  const { call, read } = callOptions(opts.timeoutMs);

  await app.register(formbody);
  // Legacy clients send `Content-Type: application/json` with an empty body and the fields in the query string.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const source = String(body);
    if (source.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(source));
    } catch {
      done(Object.assign(new Error('The body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  const configOf = (req: FastifyRequest): RouteConfig['statusCodes'] | undefined =>
    (req.routeOptions.config as Partial<RouteConfig> | undefined)?.statusCodes;

  // Every failure under this mount leaves in the document's envelope: bad input as the route's failure code,
  // anything else (a bug) as its "server error" code. Always HTTP 200 on a documented path, as its clients expect.
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const status = err.statusCode ?? (isParleyError(err) ? err.status : 500);
    const clientFault = Boolean(err.validation) || (status >= 400 && status < 500);
    if (!clientFault) req.log.error({ err }, 'status-codes dialect: unexpected failure');
    const route = configOf(req);
    if (!route) return reply.code(clientFault ? status : 500).send(answer(2));
    return reply.code(200).send(route.empty(clientFault ? 2 : route.unexpected));
  });
  if (opts.mount !== '/') {
    app.setNotFoundHandler((_req, reply) => reply.code(404).send(answer(2)));
  }

  /** GET with the query string (as documented) and POST with the same fields in a JSON or form body. */
  const route = (
    path: string,
    empty: EmptyShape,
    unexpected: number,
    handler: (req: FastifyRequest, fields: Body, client: ClientInfo) => Promise<Body>,
  ): void => {
    const config: RouteConfig = { statusCodes: { empty, unexpected } };
    app.route({
      method: ['GET', 'POST'],
      url: path,
      schema: { hide: true },
      config,
      handler: (req, reply) =>
        runWithContext({ requestId: req.id }, async () => {
          let body: Body;
          try {
            body = await handler(req, fieldsOf(req), clientInfo(req));
          } catch (err) {
            if (!(err instanceof Outcome)) throw err;
            body = empty(err.result);
          }
          return reply.code(200).send(body);
        }),
    });
  };

  /** The `token` field: 3 when its session ended (logged out, revoked, expired), 4 when there is none or it was never issued. */
  const authenticate = async (req: FastifyRequest, fields: Body): Promise<Caller> => {
    const token = field(fields, 'token');
    if (token === undefined) throw new Outcome(4);
    try {
      return await app.authenticateToken(req, token);
    } catch (err) {
      const code = codeOf(err);
      if (code === 'SESSION_EXPIRED') throw new Outcome(3);
      if (code === 'SESSION_INVALID' || code === 'TOKEN_INVALID') throw new Outcome(4);
      req.log.warn({ code, detail: (err as Error).message }, 'status-codes dialect: could not check a token');
      throw new Outcome(2);
    }
  };

  /** A canonical failure as the route's failure code, logging what was not the client's fault. */
  const failed = (req: FastifyRequest, err: unknown, result: number): Outcome => {
    if (!isParleyError(err)) throw err;
    if (err.status >= 500) req.log.warn({ code: err.code, detail: err.message }, 'status-codes dialect: upstream failure');
    return new Outcome(result);
  };

  /** A session nobody will use (the confirmation's, or one whose token could not be made) is ended at once. */
  const discard = (req: FastifyRequest, pair: TokenPair): Promise<void> => endSpareSession(app, req, pair, opts.timeoutMs);

  // 1.1 Login: 1 with the token; 2 wrong password / unknown / unconfirmed / refused; 3 the token could not be made;
  // 4 the login could not be recorded (the canonical 503).
  route(
    '/Login',
    (n) => answer(n, { Token: {} }),
    3,
    async (req, fields, client) => {
      const id = field(fields, 'id');
      const password = field(fields, 'password', false);
      if (id === undefined || password === undefined) throw new Outcome(2);
      let pair: TokenPair;
      try {
        pair = await bus.request(AuthEndpoints.login, { login: id, password, client }, call);
      } catch (err) {
        if (isParleyError(err) && err.status === 503) throw failed(req, err, 4);
        throw failed(req, err, isParleyError(err) && err.status >= 500 ? 3 : 2);
      }
      try {
        const { token } = await sessionTokenFor(app, pair, client, opts.timeoutMs);
        return answer(1, { Token: { Token: token } });
      } catch (err) {
        await discard(req, pair);
        throw failed(req, err, 3);
      }
    },
  );

  // 1.2 Register: 1 code mailed; 2 the mail (or anything else) failed; 3 the address has an account; 5 too weak.
  route(
    '/Register',
    (n) => answer(n, { Strength: 0 }),
    2,
    async (req, fields, client) => {
      const email = field(fields, 'id');
      const password = field(fields, 'password', false);
      if (password === undefined) throw new Outcome(2);
      const wellFormed = email !== undefined && email.length <= EMAIL_MAX && EMAIL_SHAPE.test(email);
      const name = nameFromEmail(wellFormed ? email : '');
      let strength: number;
      let acceptable: boolean;
      try {
        const rating = await bus.request(
          AuthEndpoints.passwordStrength,
          { password, ...(wellFormed ? { name, email } : {}) },
          read,
        );
        strength = rating.score;
        acceptable = rating.acceptable;
      } catch (err) {
        throw failed(req, err, 2);
      }
      const reply = (n: number, score = strength): Body => answer(n, { Strength: score });
      if (!wellFormed) return reply(2);
      if (!acceptable) return reply(5);
      for (let attempt = 0; attempt <= NAME_RETRIES; attempt++) {
        const tryName = attempt === 0 ? name : withSuffix(name);
        try {
          await bus.request(
            AuthEndpoints.register,
            { name: tryName, email, password, verify: 'code', codeFormat: 'alnum4', client },
            call,
          );
          return reply(1);
        } catch (err) {
          const code = codeOf(err);
          if (code === 'NAME_TAKEN') continue;
          if (code === 'EMAIL_TAKEN') return reply(3);
          if (code === 'WEAK_PASSWORD') {
            const score = (err as { extra?: { strength?: unknown } }).extra?.strength;
            return reply(5, typeof score === 'number' ? score : strength);
          }
          failed(req, err, 2);
          return reply(2);
        }
      }
      req.log.warn({ name }, 'status-codes dialect: every derived name was taken');
      return reply(2);
    },
  );

  // 4.1 VerifyCode: 1 confirmed; 2 wrong or expired code; 3 the confirmation failed on Parley's side.
  route(
    '/VerifyCode',
    (n) => answer(n),
    3,
    async (req, fields, client) => {
      const email = field(fields, 'address');
      const code = field(fields, 'code');
      if (email === undefined || code === undefined) throw new Outcome(2);
      let pair: TokenPair;
      try {
        pair = await bus.request(AuthEndpoints.verifyEmailCode, { email, code, client }, call);
      } catch (err) {
        throw failed(req, err, isParleyError(err) && err.status >= 500 ? 3 : 2);
      }
      // The document's flow logs in next: the confirmation's own session is not handed out, so it is ended.
      await discard(req, pair);
      return answer(1);
    },
  );

  // 1.3 SearchAllUsers: fuzzy on names; the one account whose address IS the query is shown by that address.
  route(
    '/SearchAllUsers',
    (n) => answer(n, { Users: {} }),
    2,
    async (req, fields) => {
      const caller = await authenticate(req, fields);
      const q = field(fields, 'id');
      if (q === undefined) throw new Outcome(2);
      let items: { name: string; emailMatch?: boolean | undefined }[];
      try {
        items = (await bus.request(AuthEndpoints.searchUsers, { caller, q, limit: SEARCH_LIMIT }, read)).items;
      } catch (err) {
        throw failed(req, err, 2);
      }
      // The one account whose address IS the query is shown by that address (what the asker already knows).
      return answer(1, {
        Users: oneOrMany(
          'User Id',
          items.map((u) => (u.emailMatch ? q : u.name)),
        ),
      });
    },
  );

  /** Every successful login of the caller's account, newest first. */
  const successfulLogins = async (caller: Caller): Promise<LoginRecord[]> => {
    const records: LoginRecord[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < LOG_PAGES_MAX; page++) {
      const got = await bus.request(
        AuditEndpoints.logins,
        { caller, limit: LOG_PAGE, ...(cursor === undefined ? {} : { cursor }) },
        read,
      );
      records.push(...got.items.filter((r) => r.success));
      if (!got.nextCursor) break;
      cursor = got.nextCursor;
    }
    return records;
  };

  const logEntry = (record: LoginRecord): [string, string] => {
    const at = stamp(record.at);
    return [at, `Last Login: ${at}`];
  };

  // 2.1 GetAllLogs: oldest first, one key per second. Its "token不存在" (4) answer is documented with "Log".
  route(
    '/GetAllLogs',
    (n) => answer(n, n === 4 ? { Log: {} } : { Logs: {} }),
    2,
    async (req, fields) => {
      const caller = await authenticate(req, fields);
      let records: LoginRecord[];
      try {
        records = await successfulLogins(caller);
      } catch (err) {
        throw failed(req, err, 2);
      }
      return answer(1, { Logs: Object.fromEntries(records.reverse().map(logEntry)) });
    },
  );

  // 2.2 GetLatestLog: the latest successful login; none recorded yet is still a successful query (1, empty).
  route(
    '/GetLatestLog',
    (n) => answer(n, { Log: {} }),
    2,
    async (req, fields) => {
      const caller = await authenticate(req, fields);
      try {
        const latest = await bus.request(AuditEndpoints.latestLogin, { caller }, read);
        return answer(1, { Log: Object.fromEntries([logEntry(latest)]) });
      } catch (err) {
        if (codeOf(err) === 'NO_LOGIN_YET') return answer(1, { Log: {} });
        throw failed(req, err, 2);
      }
    },
  );

  // 3.1 CreateIdentity: 1 created; 2 no usable name or the face library refused.
  route(
    '/CreateIdentity',
    (n) => answer(n),
    2,
    async (req, fields) => {
      const caller = await authenticate(req, fields);
      const name = field(fields, 'name', false);
      if (name === undefined || name.trim() === '') throw new Outcome(2);
      try {
        await bus.request(FaceEndpoints.createIdentity, { caller, name }, call);
      } catch (err) {
        throw failed(req, err, 2);
      }
      return answer(1);
    },
  );

  // 3.2 SearchIdentityByUser: the caller's identities by name.
  route(
    '/SearchIdentityByUser',
    (n) => answer(n, { identities: {} }),
    2,
    async (req, fields) => {
      const caller = await authenticate(req, fields);
      try {
        const { items } = await bus.request(FaceEndpoints.listIdentities, { caller }, read);
        return answer(1, {
          identities: oneOrMany(
            'name',
            items.map((i) => i.name),
          ),
        });
      } catch (err) {
        throw failed(req, err, 2);
      }
    },
  );
}
