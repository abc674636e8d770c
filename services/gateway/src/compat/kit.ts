import { AuthEndpoints, type Caller, type ClientInfo, isParleyError, MediaEndpoints, type TokenPair } from '@parley/contracts';
import type { BlobStore } from '@parley/kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config.ts';
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
