import jwt from '@fastify/jwt';
import {
  AuthEndpoints,
  type Caller,
  isParleyError,
  KeysChangedSubject,
  ParleyError,
  RevocationSubject,
  Revoked,
} from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Value } from 'typebox/value';
import { clientInfo } from '../lib/client-info.ts';
import { createKeyStore, type KeyStore } from '../lib/key-store.ts';
import { createRevocationList, type RevocationList } from '../lib/revocations.ts';

/** The claims the auth service puts in an access token. */
export interface AccessClaims {
  sub: string;
  sid: string;
  iss: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  /** `admin` while the account's address is in ADMIN_EMAILS (decided at login); absent in older tokens = `user`. */
  role?: 'user' | 'admin';
}

export interface AuthenticateOptions {
  issuer: string;
  audience: string;
  busTimeoutMs: number;
}

export interface TokenGuard {
  keys: KeyStore;
  revocations: RevocationList;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest/preHandler hook: sets `req.caller` from a valid access token or throws 401 (UNAUTHORIZED, TOKEN_INVALID, SESSION_INVALID). */
    authenticate: (req: FastifyRequest) => Promise<void>;
    /**
     * The same check for a token found elsewhere (a dialect's cookie, query or body field): an access token
     * (JWT) or a session token (`ps_…`). Sets `req.caller` and `req.tokenExpiresAt`, or throws 401.
     */
    authenticateToken: (req: FastifyRequest, token: string) => Promise<Caller>;
    tokenGuard: TokenGuard;
  }
  interface FastifyRequest {
    caller: Caller | null;
    /** `exp` of the access token that authenticated the request (epoch seconds); a session token's session end. */
    tokenExpiresAt: number | null;
    /** A token a dialect found somewhere of its own, for the JWT verifier to read. */
    presentedToken: string | null;
  }
  interface FastifyContextConfig {
    /** Also accept the access token as `?token=` (the WebSocket, where browsers cannot set headers). */
    tokenInQuery?: boolean;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessClaims;
    user: AccessClaims;
  }
}

const BEARER = /^Bearer +(\S*) *$/i;

/** The access token of a request: `Authorization: Bearer`, or `?token=` on routes that opt in. Undefined when none was sent. */
const extractToken = (req: FastifyRequest): string | undefined => {
  const header = req.headers.authorization;
  if (typeof header === 'string' && /^Bearer\b/i.test(header)) return BEARER.exec(header)?.[1] ?? '';
  if (req.routeOptions.config?.tokenInQuery) {
    const token = (req.query as { token?: unknown } | undefined)?.token;
    if (typeof token === 'string' && token !== '') return token;
  }
  return undefined;
};

/** Session tokens (auth's `issueSessionToken`): opaque, long-lived, one per dialect login. */
const SESSION_TOKEN = /^ps_[A-Za-z0-9_-]{20,100}$/;
/** How long a gateway trusts a resolved session token before asking the auth service again (revocations apply at once). */
const SESSION_TOKEN_CACHE_MS = 5_000;
const SESSION_TOKEN_CACHE_MAX = 10_000;

const invalid = (detail: string) => new ParleyError('TOKEN_INVALID', detail);
const sessionEnded = () => new ParleyError('SESSION_INVALID', 'This session has ended; log in again');

/**
 * Verifies access tokens locally: EdDSA only, issuer, audience and expiry checked, the key chosen
 * by `kid` from the auth service's JWKS. A revoked session is refused at once on every gateway,
 * from the revocations each gateway holds (see lib/revocations.ts).
 */
async function authenticatePlugin(app: FastifyInstance, opts: AuthenticateOptions): Promise<void> {
  const { bus } = app.parley;
  const timeoutMs = opts.busTimeoutMs;

  // Short waits: these also run while the gateway boots, which must not hang on an absent auth service.
  const quick = { timeoutMs: Math.min(timeoutMs, 2_000) };
  const keys = createKeyStore({
    fetchJwks: () => bus.request(AuthEndpoints.jwks, {}, { ...quick, retries: 1 }),
    // An unreachable auth service is expected while a cluster starts: the reason, not a stack trace.
    onError: (err) => app.log.warn({ reason: (err as Error).message }, 'could not fetch the auth service’s JWKS'),
  });
  const revocations = createRevocationList({
    loadLive: () => bus.request(AuthEndpoints.liveRevocations, {}, quick),
    onLoadError: (err, loadedBefore) =>
      app.log[loadedBefore ? 'warn' : 'info'](
        { reason: (err as Error).message },
        loadedBefore
          ? 'could not resync the live revocations; keeping what this gateway holds'
          : 'the auth service does not answer yet; asking it about each session until the revocations load',
      ),
  });

  // Subscribed before the first load, so nothing revoked in between is missed. No queue group: every gateway hears each one.
  const subscriptions = [
    bus.subscribe(RevocationSubject, (data) => {
      if (!Value.Check(Revoked, data)) return app.log.warn({ data }, 'ignored a malformed revocation');
      revocations.add(data.sessionIds, data.until);
    }),
    bus.subscribe(KeysChangedSubject, () => keys.refresh()),
  ];
  app.addHook('onClose', async () => {
    revocations.stop();
    await Promise.allSettled(subscriptions.map((s) => s.stop()));
  });
  await Promise.all([revocations.start(), keys.refresh()]);

  await app.register(jwt, {
    secret: {
      public: async (_req: FastifyRequest, token: unknown) => {
        const kid = (token as { header?: { kid?: unknown } }).header?.kid;
        if (typeof kid !== 'string' || kid === '') throw invalid('The access token names no signing key');
        const key = await keys.keyFor(kid);
        if (key) return key;
        if (keys.unavailable) {
          throw new ParleyError('SERVICE_UNAVAILABLE', 'Access tokens cannot be checked now: the auth service does not answer');
        }
        throw invalid('The access token is signed by an unknown key');
      },
    },
    decode: { complete: true },
    verify: {
      algorithms: ['EdDSA'],
      allowedIss: opts.issuer,
      allowedAud: opts.audience,
      requiredClaims: ['sub', 'sid', 'exp', 'iss', 'aud'],
      extractToken: (req: FastifyRequest) => req.presentedToken ?? extractToken(req),
    },
  });

  app.decorateRequest('caller', null);
  app.decorateRequest('tokenExpiresAt', null);
  app.decorateRequest('presentedToken', null);
  app.decorate('tokenGuard', { keys, revocations });

  // Resolved session tokens, briefly: a dialect client's every request would otherwise be a bus call.
  const resolved = new Map<string, { caller: Omit<Caller, 'ip' | 'userAgent'>; expiresAt: number; until: number }>();
  const resolveSessionToken = async (req: FastifyRequest, token: string): Promise<Caller> => {
    const now = Date.now();
    let hit = resolved.get(token);
    if (!hit || hit.until <= now) {
      const r = await runWithContext({ requestId: req.id }, () =>
        bus.request(AuthEndpoints.resolveSessionToken, { token }, { timeoutMs, retries: 1 }),
      );
      if (resolved.size >= SESSION_TOKEN_CACHE_MAX) resolved.clear();
      hit = {
        caller: { userId: r.userId, sessionId: r.sessionId, role: r.role },
        expiresAt: Math.floor(Date.parse(r.expiresAt) / 1000),
        until: now + SESSION_TOKEN_CACHE_MS,
      };
      resolved.set(token, hit);
    }
    if (revocations.has(hit.caller.sessionId)) {
      resolved.delete(token);
      throw new ParleyError('SESSION_EXPIRED', 'This session has ended');
    }
    if (hit.expiresAt * 1000 <= now) throw new ParleyError('SESSION_EXPIRED', 'This session has ended');
    req.tokenExpiresAt = hit.expiresAt;
    return { ...hit.caller, ...clientInfo(req) };
  };

  const authenticateToken = async (req: FastifyRequest, token: string): Promise<Caller> => {
    if (SESSION_TOKEN.test(token)) {
      req.caller = await resolveSessionToken(req, token);
      return req.caller;
    }
    req.presentedToken = token;
    await verifyAccessToken(req);
    return req.caller!;
  };
  app.decorate('authenticateToken', authenticateToken);

  app.decorate('authenticate', async (req: FastifyRequest): Promise<void> => {
    const token = extractToken(req);
    if (token === undefined) {
      throw new ParleyError('UNAUTHORIZED', 'This route needs an access token: Authorization: Bearer <accessToken>');
    }
    if (token === '') throw invalid('The Authorization header holds no token');
    await authenticateToken(req, token);
  });

  /** The token (from the header, `?token=` or what a dialect presented) verified as a JWT; sets the caller. */
  async function verifyAccessToken(req: FastifyRequest): Promise<void> {
    let claims: AccessClaims;
    try {
      claims = await req.jwtVerify<AccessClaims>();
    } catch (err) {
      if (isParleyError(err)) throw err;
      const expired = (err as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED';
      throw invalid(expired ? 'The access token has expired; refresh it' : 'The access token is invalid');
    }
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') throw invalid('The access token is invalid');

    // Anything but an explicit admin claim is a plain user: the services check `role` for admin routes.
    const role = claims.role === 'admin' ? 'admin' : 'user';
    const caller: Caller = { userId: claims.sub, sessionId: claims.sid, role, ...clientInfo(req) };
    if (revocations.loaded) {
      if (revocations.has(caller.sessionId)) throw sessionEnded();
    } else {
      // Not yet sure what was revoked before this gateway started: ask (slower, but never wrong).
      await runWithContext({ requestId: req.id }, () => bus.request(AuthEndpoints.session, { caller }, { timeoutMs }));
    }
    req.caller = caller;
    req.tokenExpiresAt = claims.exp;
  }
}

export default fp(authenticatePlugin, { name: 'parley-authenticate', dependencies: ['parley-service-kit'] });
