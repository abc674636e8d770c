import { AuthEndpoints, type Caller, type ClientInfo, isParleyError, MediaEndpoints, type TokenPair } from '@parley/contracts';
import type { BlobStore } from '@parley/kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config.ts';
import { clientInfo } from '../lib/client-info.ts';
import type { FaceUploads } from '../lib/face-uploads.ts';
import type { ReceivedFile, Uploads } from '../lib/upload.ts';
import { FACE_INFERENCE_TIMEOUT_MS } from '../routes/faces.ts';

/** What every dialect plugin gets: the same pipelines the canonical routes use, and where it is mounted. */
export interface DialectOptions {
  /** The mount as configured: `/compat/<name>` or `/` (the plugin is registered with it as its Fastify prefix). */
  mount: string;
  /** PUBLIC_URL and the mount, no trailing slash: for links in mails and URLs in answers. */
  publicBase: string;
  config: GatewayConfig;
  timeoutMs: number;
  uploads: Uploads;
  faceUploads: FaceUploads;
  /** The gateway's blob store (what uploads write to and downloads stream from). */
  blobs: BlobStore;
}

export type DialectPlugin = (app: FastifyInstance, opts: DialectOptions) => Promise<void>;

/** Bus call options: writes once, reads retried once, face inference given its time. */
export const callOptions = (timeoutMs: number) => ({
  call: { timeoutMs },
  read: { timeoutMs, retries: 1 },
  infer: { timeoutMs: Math.max(timeoutMs, FACE_INFERENCE_TIMEOUT_MS) },
});

/**
 * A dialect login's token: dialect clients cannot refresh, so they get the canonical session's long-lived
 * session token (`ps_…`), which works as long as the session does (REFRESH_TOKEN_TTL_SECONDS) and dies with it —
 * a logout through any API ends it everywhere. It is also accepted by the canonical API and its WebSocket.
 */
export const sessionTokenFor = async (
  app: FastifyInstance,
  pair: TokenPair,
  client: ClientInfo,
  timeoutMs: number,
): Promise<{ token: string; createdAt: string; expiresAt: string }> => {
  const caller: Caller = { userId: pair.user.id, sessionId: pair.sessionId, ...client };
  return app.parley.bus.request(AuthEndpoints.issueSessionToken, { caller }, { timeoutMs });
};

/** Logging out through a dialect: the canonical logout (every gateway hears it), and this gateway refuses the session at once. */
export const endSession = async (app: FastifyInstance, req: FastifyRequest, caller: Caller, timeoutMs: number): Promise<void> => {
  await app.parley.bus.request(AuthEndpoints.logout, { caller }, { timeoutMs });
  app.tokenGuard.revocations.add([caller.sessionId], req.tokenExpiresAt ?? Math.floor(Date.now() / 1000) + 3600);
};

/**
 * Ends a session nobody will use: the one a confirmation opens, in a dialect whose document logs in separately
 * (or one whose token could not be made). A failure is logged; the answer does not depend on it.
 */
export const endSpareSession = async (
  app: FastifyInstance,
  req: FastifyRequest,
  pair: TokenPair,
  timeoutMs: number,
): Promise<void> => {
  const caller: Caller = { userId: pair.user.id, sessionId: pair.sessionId, ...clientInfo(req) };
  await app.parley.bus.request(AuthEndpoints.logout, { caller }, { timeoutMs }).catch((err: unknown) => {
    req.log.warn({ err, sessionId: pair.sessionId }, 'compat: a spare session was not ended');
  });
};

/** A legacy client's field as a string: their documents send numbers for passwords, codes and ids (`"password": 123`). */
export const text = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
};

/** A legacy client's boolean: JSON true/false, or the strings "true"/"True"/"1" and "false"/"False"/"0" of a form. */
export const flag = (value: unknown): boolean | undefined => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' || typeof value === 'number') {
    const v = String(value).trim().toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
  }
  return undefined;
};

/** The request's fields: the query string, then the body's (a JSON object or a form) over it. */
export const fieldsOf = (req: FastifyRequest): Record<string, unknown> => {
  const query = (req.query ?? {}) as Record<string, unknown>;
  const body = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body)
    ? { ...query, ...(body as Record<string, unknown>) }
    : { ...query };
};

/** The canonical error code of a failed call, or undefined for anything else (a bug: the dialect answers its 500). */
export const codeOf = (err: unknown): string | undefined => (isParleyError(err) ? err.code : undefined);

/**
 * Bytes a dialect received and then refused (a form whose room id came after the file and named no room of the
 * caller's): made the caller's own upload and deleted again, so the media service removes them as it removes any
 * deleted upload (unless another media holds the same bytes).
 */
export const discardUpload = async (
  app: FastifyInstance,
  req: FastifyRequest,
  caller: Caller,
  file: ReceivedFile,
  timeoutMs: number,
): Promise<void> => {
  const { bus } = app.parley;
  await bus
    .request(MediaEndpoints.register, { ...file, caller }, { timeoutMs })
    .then((media) => bus.request(MediaEndpoints.delete, { caller, mediaId: media.id }, { timeoutMs }))
    .catch((err: unknown) => req.log.warn({ err, sha256: file.sha256 }, 'compat: refused upload left in the store'));
};

/** Seconds a client is told to wait when the failure names none. */
export const RETRY_AFTER_SECONDS = 5;

const TOKEN_CODES = ['UNAUTHORIZED', 'TOKEN_INVALID', 'SESSION_INVALID', 'SESSION_EXPIRED'] as const;
export type TokenFailure = (typeof TOKEN_CODES)[number];

/**
 * What went wrong, as every dialect's error handler needs to know it; each words it in its own envelope.
 * `token`: no, a bad or an ended token. `rate-limited` / `unavailable`: keep their meaning (429 / 503, with
 * Retry-After). `bad-body`: Fastify refused the body before any route ran. `client`: any other 4xx, with the
 * canonical code and detail. `unexpected`: a 5xx or a bug, to be logged.
 */
export type Failure =
  | { kind: 'token'; code: TokenFailure; message: string }
  | { kind: 'rate-limited'; retryAfter: number }
  | { kind: 'unavailable'; retryAfter: number }
  | { kind: 'bad-body'; reason: 'json' | 'too-large' | 'content-type' }
  | { kind: 'client'; status: number; code: string | undefined; message: string }
  | { kind: 'unexpected'; status: number; code: string | undefined; message: string };

export const failureOf = (err: unknown): Failure => {
  const e = (err ?? {}) as { code?: unknown; statusCode?: unknown; extra?: Record<string, unknown> };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const canonical = isParleyError(err);
  const status = canonical ? err.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  const message = err instanceof Error ? err.message : String(err);
  const after = e.extra?.retryAfter;
  const retryAfter = typeof after === 'number' && Number.isFinite(after) && after > 0 ? Math.ceil(after) : RETRY_AFTER_SECONDS;
  if ((TOKEN_CODES as readonly (string | undefined)[]).includes(code))
    return { kind: 'token', code: code as TokenFailure, message };
  if (code === 'TOO_MANY_ATTEMPTS' || code === 'TOO_MANY_REQUESTS' || status === 429) return { kind: 'rate-limited', retryAfter };
  if (code === 'SERVICE_UNAVAILABLE' || code === 'UPSTREAM_TIMEOUT' || status === 503 || status === 504) {
    return { kind: 'unavailable', retryAfter };
  }
  if (!canonical) {
    if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return { kind: 'bad-body', reason: 'json' };
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return { kind: 'bad-body', reason: 'too-large' };
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { kind: 'bad-body', reason: 'content-type' };
  }
  return status >= 400 && status < 500
    ? { kind: 'client', status, code, message }
    : { kind: 'unexpected', status, code, message };
};

/**
 * The token of `Authorization: <scheme> <token>` for one of `schemes` (default `Bearer`, any case); with `bare`, also a
 * header holding only the token. Undefined when there is none.
 */
export const bearerToken = (
  req: FastifyRequest,
  options: { schemes?: readonly string[]; bare?: boolean } = {},
): string | undefined => {
  const parts = req.headers.authorization?.trim().split(/\s+/) ?? [];
  const [first, second] = parts;
  if (!first) return undefined;
  if (parts.length === 1) return options.bare ? first : undefined;
  const schemes = (options.schemes ?? ['Bearer']).map((s) => s.toLowerCase());
  return parts.length === 2 && schemes.includes(first.toLowerCase()) ? second : undefined;
};
