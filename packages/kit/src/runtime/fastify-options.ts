import { randomUUID } from 'node:crypto';
import { compile } from '@fastify/proxy-addr';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from '../logger.ts';
import { limitCloseWait } from './close-deadline.ts';

export interface ServerLimits {
  /** Whole request must arrive within this (slow-client protection; Fastify's default is unlimited). */
  requestTimeoutMs?: number;
  /** Headers must arrive within this. */
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  bodyLimit?: number;
  /** Which peers may tell the client's address in `X-Forwarded-For` (parseTrustProxy); none by default. */
  trustProxy?: TrustProxy;
}

/** Fastify's `trustProxy`: off, or the proxies' addresses. */
export type TrustProxy = false | string[];

/**
 * `TRUST_PROXY` as Fastify's `trustProxy`. Unset or `false`: no one (the peer's address counts, and a
 * client's own X-Forwarded-For is ignored). Otherwise a comma-separated list of the proxies' addresses or
 * CIDR ranges; `loopback`, `linklocal` and `uniquelocal` (10/8, 172.16/12, 192.168/16, fc00::/7) name the
 * usual ranges. Not a hop count: Fastify 5 ignores X-Forwarded-For under one (it cannot tell a proxy from
 * a client sending the header itself), so a number is refused rather than silently trusting no one.
 * Throws on anything else.
 */
export const parseTrustProxy = (value: string | undefined): TrustProxy => {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false') return false;
  if (/^\d+$/.test(text)) throw new Error('a hop count; name the proxies’ addresses instead');
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) throw new Error(`an empty entry in "${text}"`);
  compile(entries); // throws on an address or range it cannot read
  return entries;
};

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The Fastify options every process uses: explicit timeouts, a request id taken from
 * `x-request-id` when it is sane (so one id follows a request through the bus), the shared logger.
 */
export const fastifyOptions = (logger: Logger, limits: ServerLimits = {}): FastifyServerOptions =>
  ({
    loggerInstance: logger,
    requestTimeout: limits.requestTimeoutMs ?? 120_000,
    connectionTimeout: 0,
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? 72_000,
    // Fastify hands `http` to http.createServer, though its types do not list it.
    http: { headersTimeout: limits.headersTimeoutMs ?? 20_000 },
    bodyLimit: limits.bodyLimit ?? 1_048_576,
    trustProxy: limits.trustProxy ?? false,
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Booting waits on real things (migrations, JetStream streams, face-match's model): on a busy machine
    // that takes longer than Fastify's 10 s default. A process that cannot start still fails, later.
    pluginTimeout: 120_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as FastifyServerOptions;

/** A Fastify server as every process runs one: `fastifyOptions`, and a close that waits on no connection beyond the drain time. */
export const createServer = (logger: Logger, limits: ServerLimits = {}): FastifyInstance => {
  const app = Fastify(fastifyOptions(logger, limits));
  limitCloseWait(app);
  return app;
};
