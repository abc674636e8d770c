import { randomUUID } from 'node:crypto';
import type { FastifyServerOptions } from 'fastify';
import type { Logger } from '../logger.ts';

export interface ServerLimits {
  /** Whole request must arrive within this (slow-client protection; Fastify's default is unlimited). */
  requestTimeoutMs?: number;
  /** Headers must arrive within this. */
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  bodyLimit?: number;
}

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
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as FastifyServerOptions;
